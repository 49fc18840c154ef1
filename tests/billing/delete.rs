//! Deleting a job before it settled (issue 10): the gateway settles it
//! first, from HeyGen's status (or output), then forwards the delete. A job
//! whose length cannot be learned any more is captured at the larger of its
//! hold and the plan's longest video, and counted as a capture at the
//! estimate.

use crate::common::*;
use crate::{hold_id, one_and_a_half, video_id, Rig};

async fn create(rig: &Rig) -> (String, String) {
    let resp = rig.post("/v2/video/generate", &one_and_a_half()).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    (hold_id(&resp), video_id(&resp))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_video_deleted_at_once_settles_at_its_real_length_first() {
    for path in ["/v1/video.delete?video_id=", "/v3/videos/"] {
        let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 100")).await;
        let (hold, video) = create(&rig).await;
        // HeyGen finished (60 s, 1 credit/min); nobody read the status yet.
        assert!(rig.mock.complete(&video, 60.0));
        let del = rig
            .call("alpha", "DELETE", &format!("{path}{video}"), &[], "")
            .await;
        assert_eq!(del.status, 200, "{path}: {}", del.text());
        // Settled before the delete was forwarded: 1 credit, not the 1.5 held.
        let h = rig.hold(&hold).await;
        assert_eq!(h["state"], "captured", "{path}: {h}");
        assert_eq!(h["captured"], "1", "{path}: {h}");
        let order: Vec<String> = rig
            .mock
            .requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        let status_at = order.iter().position(|r| r.starts_with("GET "));
        let delete_at = order.iter().position(|r| r.starts_with("DELETE "));
        assert!(status_at < delete_at, "status read first: {order:?}");
        assert!(status_at.is_some(), "{order:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_video_deleted_while_rendering_is_captured_at_the_plans_longest_video() {
    let rig = Rig::start(|c| {
        c.set("plan", "max_video_seconds", "600")
            .tenant_budgets("alpha", "daily = 100")
    })
    .await;
    let (hold, video) = create(&rig).await;
    let del = rig
        .call("alpha", "DELETE", &format!("/v3/videos/{video}"), &[], "")
        .await;
    assert_eq!(del.status, 200, "{}", del.text());
    // Still pending at HeyGen: 600 s at 1 credit/min, above the 1.5 held.
    let h = rig.hold(&hold).await;
    assert_eq!(h["captured"], "10", "{h}");
    let m = metrics_text(rig.gw.admin_addr).await;
    assert_metric(
        &m,
        r#"heygen_gateway_settlement_at_estimate_total{feature="standard_avatar"} 1"#,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_settled_video_changes_nothing() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 100")).await;
    let (hold, video) = create(&rig).await;
    assert!(rig.mock.complete(&video, 27.0));
    let status = rig
        .get(&format!("/v1/video_status.get?video_id={video}"))
        .await;
    assert_eq!(status.status, 200);
    let before = rig.wait_hold(&hold, "captured").await;
    let del = rig
        .call("alpha", "DELETE", &format!("/v3/videos/{video}"), &[], "")
        .await;
    assert_eq!(del.status, 200, "{}", del.text());
    assert_eq!(rig.hold(&hold).await["captured"], before["captured"]);
}

/// A delete that deleted nothing must not settle the job: it stays pending,
/// and once HeyGen finishes it (60 s, 1 credit/min) its status read
/// captures its real length, not the 30-minute maximum (30 credits).
async fn still_settles_at_its_length(rig: &Rig, hold: &str, video: &str, case: &str) {
    let h = rig.hold(hold).await;
    assert_eq!(h["state"], "submitted", "{case}: nothing captured: {h}");
    assert!(
        rig.mock.complete(video, 60.0),
        "{case}: HeyGen still has it"
    );
    let status = rig
        .get(&format!("/v1/video_status.get?video_id={video}"))
        .await;
    assert_eq!(status.status, 200, "{case}: {}", status.text());
    let h = rig.wait_hold(hold, "captured").await;
    assert_eq!(h["captured"], "1", "{case}: {h}");
    let m = metrics_text(rig.gw.admin_addr).await;
    assert_metric(
        &m,
        r#"heygen_gateway_settlement_at_estimate_total{feature="standard_avatar"} 0"#,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_the_gateway_refuses_leaves_the_job_to_settle_at_its_length() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 100")).await;
    let (hold, video) = create(&rig).await;
    // Names the job, but is an unknown write: refused before HeyGen.
    let del = rig
        .call("alpha", "DELETE", &format!("/v3/videos/{video}/x"), &[], "")
        .await;
    assert_eq!(del.status, 403, "{}", del.text());
    assert_eq!(del.header("x-gateway-rejected"), Some("unknown_route"));
    let sent: Vec<String> = rig.mock.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(sent, ["/v2/video/generate"], "not even a status read");
    still_settles_at_its_length(&rig, &hold, &video, "unknown write").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_heygen_refuses_leaves_the_job_to_settle_at_its_length() {
    let cases = [
        (
            "/v3/videos/",
            "/v3/videos/",
            http::StatusCode::INTERNAL_SERVER_ERROR,
        ),
        (
            "/v1/video.delete?video_id=",
            "/v1/video.delete",
            http::StatusCode::BAD_REQUEST,
        ),
    ];
    for (path, prefix, refusal) in cases {
        let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 100")).await;
        let (hold, video) = create(&rig).await;
        rig.mock.on_path(prefix).fail_next(1, refusal);
        let del = rig
            .call("alpha", "DELETE", &format!("{path}{video}"), &[], "")
            .await;
        assert_eq!(del.status, refusal.as_u16(), "{path}: {}", del.text());
        still_settles_at_its_length(&rig, &hold, &video, path).await;
    }
}
