//! How sessions start beyond `streaming.new`, and starts refused: a v3
//! realtime stream (per second, stopped by DELETE), a session started at
//! HeyGen with a token (metered from HeyGen's list; an unused token is
//! released), the `sessions_in_flight` caps per tenant and org and under
//! concurrency; and a session HeyGen ends on its own.

use serde_json::{json, Value};

use super::sessions::{
    at, at_heygen, captured, metered, metered_rig, minute_holds, start_session, wait_all_settled,
    wait_minutes,
};
use crate::common::*;
use crate::{Rig, SETTLE_WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn realtime_streams_are_metered_per_second_and_stopped_by_delete() {
    let (rig, clock) = metered_rig("daily = 100").await;
    let body = json!({"type": "tts", "avatar_id": "a", "voice_id": "v"});
    let stream = super::sessions::start_stream(&rig, body).await;
    at(&clock, 42);
    let del = rig
        .call(
            "alpha",
            "DELETE",
            &format!("/v3/avatar-realtime/{stream}"),
            &[],
            "",
        )
        .await;
    assert_eq!(del.status, 200, "{}", del.text());
    let holds: Vec<Value> = rig
        .holds(None)
        .await
        .into_iter()
        .filter(|h| h["feature"] == "avatar_realtime")
        .collect();
    // 42 s at 3 credits/min.
    assert_eq!(holds.len(), 1);
    assert_eq!(
        (holds[0]["state"].as_str(), holds[0]["captured"].as_str()),
        (Some("captured"), Some("2.1"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_started_with_a_token_is_metered_from_heygens_list() {
    let (rig, clock) = metered_rig("daily = 100").await;
    let r = rig.post("/v1/streaming.create_token", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        minute_holds(&rig).await[0]["state"],
        "held",
        "the token holds a minute"
    );
    // The app's SDK starts the session at HeyGen with the token: the
    // gateway sees no call, only HeyGen's session list.
    let direct = at_heygen(&rig, "/v1/streaming.new", json!({"avatar_id": "a"})).await;
    let session = direct.json()["data"]["session_id"]
        .as_str()
        .expect("id")
        .to_string();
    // Bound to alpha once the gateway sees it in HeyGen's list: then its
    // calls through the gateway are alpha's.
    let keep = json!({ "session_id": session }).to_string();
    eventually_async(
        || async {
            let r = rig
                .call(
                    "alpha",
                    "POST",
                    "/v1/streaming.keep_alive",
                    &[],
                    keep.clone(),
                )
                .await;
            r.status == 200
        },
        SETTLE_WAIT,
    )
    .await;
    // Metered: the next minute is held on time.
    at(&clock, 59);
    wait_minutes(&rig, 2).await;
    let stop = json!({ "session_id": session }).to_string();
    let beta = rig
        .call("beta", "POST", "/v1/streaming.stop", &[], stop.clone())
        .await;
    assert_eq!(beta.status, 404, "alpha's session: {}", beta.text());
    // The SDK stops it at HeyGen; the gateway sees it leave the list.
    at_heygen(
        &rig,
        "/v1/streaming.stop",
        serde_json::from_str(&stop).expect("json"),
    )
    .await;
    at(&clock, 70);
    let holds = wait_all_settled(&rig).await;
    // Ended when seen gone (70 s): 0.2 + 10 s.
    assert_eq!(captured(&holds), ["0.2", "0.033334"], "{holds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_no_session_uses_is_released() {
    let (rig, clock) = metered_rig("daily = 100").await;
    let r = rig.post("/v1/streaming.create_token", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    at(&clock, 11 * 60);
    eventually_async(
        || async { minute_holds(&rig).await[0]["state"] == "released" },
        SETTLE_WAIT,
    )
    .await;
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_sessions_are_capped_per_tenant_and_org() {
    let rig = Rig::start(|c| {
        metered(c)
            .tenant_limits("alpha", "sessions_in_flight = 1")
            .set("org", "sessions_in_flight", "2")
    })
    .await;
    let first = start_session(&rig, json!({"avatar_id": "a"})).await;
    let second = rig
        .post("/v1/streaming.new", &json!({"avatar_id": "a"}))
        .await;
    assert_eq!(second.status, 429, "{}", second.text());
    assert_eq!(
        second.header("x-gateway-rejected"),
        Some("sessions_in_flight")
    );
    assert!(second.header("retry-after").is_some());
    // Beta fills the org's second slot; a third anywhere is refused.
    let beta = rig
        .call(
            "beta",
            "POST",
            "/v1/streaming.new",
            &[],
            json!({"avatar_id": "a"}).to_string(),
        )
        .await;
    assert_eq!(beta.status, 200, "{}", beta.text());
    let gamma = rig
        .call("gamma", "POST", "/v1/streaming.create_token", &[], "{}")
        .await;
    assert_eq!(gamma.status, 429, "{}", gamma.text());
    assert_eq!(
        gamma.json()["scope"],
        "org",
        "v1 envelope: {}",
        gamma.text()
    );
    // Ending one frees its slot.
    let stop = json!({ "session_id": first }).to_string();
    assert_eq!(
        rig.call("alpha", "POST", "/v1/streaming.stop", &[], stop)
            .await
            .status,
        200
    );
    let again = rig
        .post("/v1/streaming.new", &json!({"avatar_id": "a"}))
        .await;
    assert_eq!(again.status, 200, "{}", again.text());
}

/// The cap is decided inside the start's hold transaction: of twelve
/// concurrent starts under a cap of three, exactly three open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_session_starts_never_pass_the_cap() {
    let rig = Rig::start(|c| metered(c).tenant_limits("alpha", "sessions_in_flight = 3")).await;
    let body = json!({"avatar_id": "a"});
    let starts = (0..12).map(|_| rig.post("/v1/streaming.new", &body));
    let answers = futures_util::future::join_all(starts).await;
    let opened = answers.iter().filter(|r| r.status == 200).count();
    let capped = answers.iter().filter(|r| r.status == 429).count();
    assert_eq!(
        (opened, capped),
        (3, 9),
        "{:?}",
        answers.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    // HeyGen saw only the three that were admitted.
    assert_eq!(rig.creates("/v1/streaming.new"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_heygen_ends_on_its_own_stops_being_charged() {
    let (rig, clock) = metered_rig("daily = 100").await;
    let session = start_session(
        &rig,
        json!({"avatar_id": "a", "activity_idle_timeout": 3600}),
    )
    .await;
    // At 45 s HeyGen closes it (its own timeout, or an SDK's stop straight
    // to HeyGen).
    at(&clock, 45);
    at_heygen(&rig, "/v1/streaming.stop", json!({ "session_id": session })).await;
    let holds = wait_all_settled(&rig).await;
    // Ended when seen gone, not at the idle limit an hour later.
    assert_eq!(captured(&holds), ["0.15"], "{holds:?}");
}
