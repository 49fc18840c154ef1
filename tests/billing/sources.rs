//! Where a completed job's real length comes from (issue 10): HeyGen's
//! status when it carries one, else the finished output file probed through
//! the egress guard, else the hold is captured — counted and logged as a
//! capture at the estimate. The mock tells the truth: its v2 translation
//! status has no duration, and its output URLs serve real MP4 headers.

use serde_json::{json, Value};

use crate::common::*;
use crate::{hold_id, one_and_a_half, video_id, Rig};

/// The mock's output files live on loopback: ops allow it, as they would
/// an internal file host.
fn allow_loopback(c: TestConfig) -> TestConfig {
    c.set("egress", "allow_cidrs", r#"["127.0.0.1/32"]"#)
}

/// Starts a fast v2 translation as alpha; returns `(hold, translation id)`.
async fn translate(rig: &Rig) -> (String, String) {
    let body = json!({"video_url": "https://files.example/src.mp4",
                      "output_language": "Spanish (Spain)", "mode": "fast"});
    let resp = rig.post("/v2/video_translate", &body).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    // The source length is not in the request: held at the 5-minute default.
    assert_eq!(resp.header("x-gateway-credits-projected"), Some("15"));
    let id = resp.json()["data"]["video_translate_id"]
        .as_str()
        .expect("id")
        .to_string();
    (hold_id(&resp), id)
}

async fn read_translation(rig: &Rig, id: &str) -> Value {
    let resp = rig.get(&format!("/v2/video_translate/{id}")).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    resp.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sixty_minute_translation_settles_from_its_output_length() {
    let rig = Rig::start(|c| allow_loopback(c).tenant_budgets("alpha", "daily = 500")).await;
    let (hold, id) = translate(&rig).await;
    assert!(rig.mock.complete(&id, 3600.0));
    let status = read_translation(&rig, &id).await;
    assert_eq!(status["data"]["status"], "success");
    assert!(
        status["data"].get("duration").is_none(),
        "HeyGen sends none"
    );
    // 60 minutes at 3 credits/min, not the 15 held.
    let h = rig.wait_hold(&hold, "captured").await;
    assert_eq!(h["captured"], "180", "{h}");
    let m = metrics_text(rig.gw.admin_addr).await;
    assert_metric(
        &m,
        r#"heygen_gateway_settlement_source_total{source="output_probe"} 1"#,
    );
    assert_metric(
        &m,
        r#"heygen_gateway_settlement_source_total{source="estimate"} 0"#,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_the_egress_guard_refuses_is_captured_at_the_hold_and_counted() {
    // Loopback is not allowed: the probe is refused, nothing is guessed low.
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 500")).await;
    let (hold, id) = translate(&rig).await;
    assert!(rig.mock.complete(&id, 3600.0));
    read_translation(&rig, &id).await;
    let h = rig.wait_hold(&hold, "captured").await;
    assert_eq!(h["captured"], "15", "{h}");
    let m = metrics_text(rig.gw.admin_addr).await;
    assert_metric(
        &m,
        r#"heygen_gateway_settlement_source_total{source="estimate"} 1"#,
    );
    assert_metric(
        &m,
        r#"heygen_gateway_settlement_at_estimate_total{feature="translation_fast"} 1"#,
    );
    // Other features' series exist at 0 from the start.
    assert_metric(
        &m,
        r#"heygen_gateway_settlement_at_estimate_total{feature="avatar_iv"} 0"#,
    );
    // `ledger verify` lists it (a note, not a violation).
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let verify = send(
        "GET",
        &format!("http://{}/admin/v1/ledger/verify", rig.gw.admin_addr),
        &[("authorization", &auth)],
        "",
    )
    .await
    .json();
    assert_eq!(verify["ok"], true, "{verify}");
    let listed = &verify["at_estimate"];
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{verify}");
    assert_eq!(listed[0]["job_id"], id.as_str());
    assert_eq!(listed[0]["hold_id"], hold.as_str());
    assert_eq!(listed[0]["captured"], "15");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_with_a_duration_is_counted_as_status() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    let resp = rig.post("/v2/video/generate", &one_and_a_half()).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let (hold, video) = (hold_id(&resp), video_id(&resp));
    assert!(rig.mock.complete(&video, 27.43));
    let status = rig
        .get(&format!("/v1/video_status.get?video_id={video}"))
        .await;
    assert_eq!(status.status, 200);
    rig.wait_hold(&hold, "captured").await;
    let m = metrics_text(rig.gw.admin_addr).await;
    assert_metric(
        &m,
        r#"heygen_gateway_settlement_source_total{source="status"} 1"#,
    );
}

/// A create whose answer names no video yet is held by a placeholder of
/// its session; the poller binds the video the session lists to it, and it
/// settles at that video's length. (Before, its job was the session,
/// settled from whatever video the session's status named last.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v3_agent_session_settles_from_the_video_it_produced() {
    let rig = Rig::start(|c| {
        c.tenant_budgets("alpha", "daily = 100")
            .set("settlement", "poll_interval_seconds", "1")
            .set("settlement", "poll_min_age_seconds", "0")
    })
    .await;
    rig.mock.set_agent_video_id_later(true);
    // `duration_sec` is not a v3 field: the default 120 s (4 credits) is held.
    let resp = rig
        .post(
            "/v3/video-agents",
            &json!({"prompt": "a demo", "duration_sec": 0}),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("x-gateway-credits-projected"), Some("4"));
    let hold = hold_id(&resp);
    let session = resp.json()["data"]["session_id"]
        .as_str()
        .expect("session")
        .to_string();
    let read = rig.get(&format!("/v3/video-agents/{session}")).await;
    assert_eq!(read.status, 200, "{}", read.text());
    let video = read.json()["data"]["video_id"]
        .as_str()
        .expect("video id")
        .to_string();
    // The agent made a 3-minute video: 6 credits at 2/min.
    assert!(rig.mock.complete(&video, 180.0));
    let done = rig.get(&format!("/v3/video-agents/{session}")).await;
    assert_eq!(
        done.json()["data"]["status"],
        "completed",
        "{}",
        done.text()
    );
    let h = rig.wait_hold(&hold, "captured").await;
    assert_eq!(h["captured"], "6", "{h}");
    // Settled from the video's own status, which the gateway now knows.
    let m = metrics_text(rig.gw.admin_addr).await;
    assert_metric(
        &m,
        r#"heygen_gateway_settlement_source_total{source="status"} 1"#,
    );
    assert_eq!(rig.get(&format!("/v3/videos/{video}")).await.status, 200);
}
