//! Settlement nobody asked for, on the settlement tick: the background
//! poller, holds past their TTL expiring at the held amount, and a job that
//! finishes after its hold expired settled at its real length, once.

use super::settlement::create;
use crate::common::*;
use crate::{avatar_iv_three, manual_clock, one_and_a_half, Rig, SETTLE_WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poller_settles_jobs_nobody_asked_about() {
    let rig = Rig::start(|c| {
        c.tenant_budgets("alpha", "daily = 10")
            .set("settlement", "poll_interval_seconds", "1")
            .set("settlement", "poll_min_age_seconds", "0")
    })
    .await;
    let (done_hold, done_video) = create(&rig, &one_and_a_half()).await;
    let (failed_hold, failed_video) = create(&rig, &one_and_a_half()).await;
    assert!(rig.mock.complete(&done_video, 27.43));
    assert!(rig.mock.fail(&failed_video, "render failed"));
    let done = rig.wait_hold(&done_hold, "captured").await;
    assert_eq!(done["captured"], "0.5", "{done}");
    let failed = rig.wait_hold(&failed_hold, "released").await;
    assert_eq!(failed["captured"], "0", "{failed}");
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "0.5"));
    // The poller settled them (the journal names the source as the actor),
    // and no tenant read passed through: only the creates were counted.
    let journal = rig.journal().await;
    for (hold, kind) in [(&done_hold, "capture"), (&failed_hold, "release")] {
        let entry = journal
            .iter()
            .find(|e| e["hold_id"] == hold.as_str() && e["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} of {hold} in {journal:?}"));
        assert_eq!(entry["actor"], "poller", "{entry}");
    }
    let metrics = metrics_text(rig.gw.admin_addr).await;
    assert_metric(
        &metrics,
        "heygen_gateway_requests_total{family=\"video\",outcome=\"forwarded\",status_class=\"2xx\"} 2",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holds_past_their_ttl_expire_captured_at_the_held_amount() {
    let clock = manual_clock("2026-03-10T12:00:00Z");
    let rig = Rig::start_with_clock(
        |c| {
            c.tenant_budgets("alpha", "daily = 10")
                .set("settlement", "hold_ttl_seconds", "600")
                .set("settlement", "poll_interval_seconds", "1")
        },
        clock.clone(),
    )
    .await;
    let (hold, video) = create(&rig, &one_and_a_half()).await;
    let h = rig.hold(&hold).await;
    assert_eq!(h["expires_at"], "2026-03-10T12:10:00+00:00", "{h}");

    // A tick before the TTL leaves the hold alone. The job is now old enough
    // for the poller (default minimum age 120 s), so its status read proves a
    // tick ran after the advance; expiry runs first in every tick.
    clock.advance(chrono::Duration::seconds(599));
    let status_path = "/v1/video_status.get";
    eventually(
        || {
            rig.mock
                .requests_to(status_path)
                .iter()
                .any(|r| r.query.as_deref() == Some(format!("video_id={video}").as_str()))
        },
        SETTLE_WAIT,
    )
    .await;
    assert_eq!(rig.hold(&hold).await["state"], "submitted");
    assert_eq!(rig.credits("alpha", "daily").await.0, "1.5");

    clock.advance(chrono::Duration::seconds(2));
    let h = rig.wait_hold(&hold, "expired").await;
    assert_eq!(h["captured"], "1.5", "captured at the held amount: {h}");
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "1.5"));
    let expiries = rig
        .journal()
        .await
        .into_iter()
        .filter(|e| e["hold_id"] == hold.as_str() && e["kind"] == "expire")
        .count();
    assert_eq!(expiries, 1, "flagged in the journal");
}

/// An Avatar IV render held at 3 credits whose hold has expired (the
/// render outlived the 600 s TTL): the rig, the hold and the video.
async fn expired_render() -> (Rig, String, String) {
    let clock = manual_clock("2026-03-10T12:00:00Z");
    let rig = Rig::start_with_clock(
        |c| {
            c.tenant_budgets("alpha", "daily = 100")
                .set("settlement", "hold_ttl_seconds", "600")
                // Expiry and the poller run on the settlement tick.
                .set("settlement", "poll_interval_seconds", "1")
        },
        clock.clone(),
    )
    .await;
    let (hold, video) = create(&rig, &avatar_iv_three()).await;
    clock.advance(chrono::Duration::seconds(601));
    rig.wait_hold(&hold, "expired").await;
    assert_eq!(rig.credits("alpha", "daily").await.1, "3");
    // The credit counters follow the ledger: the expiry is a capture.
    assert_credits(&rig, "captured", "3").await;
    (rig, hold, video)
}

/// Alpha's Avatar IV `kind` credits counter reads `value`.
async fn assert_credits(rig: &Rig, kind: &str, value: &str) {
    let metrics = metrics_text(rig.gw.admin_addr).await;
    assert_metric(
        &metrics,
        &format!(
            "heygen_gateway_credits_{kind}_total{{feature=\"avatar_iv\",tenant=\"alpha\"}} {value}"
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_finishing_after_its_hold_expired_is_settled_at_its_real_length() {
    let (rig, hold, video) = expired_render().await;
    // HeyGen finishes at 125 s (15 credits): the tenant's status read
    // settles it, and spend is corrected up from what expiry captured.
    assert!(rig.mock.complete(&video, 125.0));
    let st = rig
        .get(&format!("/v1/video_status.get?video_id={video}"))
        .await;
    assert_eq!(st.status, 200, "{}", st.text());
    settled_late_once(&rig, &hold, "15").await;
    assert_credits(&rig, "captured", "15").await;
}

/// The render fails after its hold expired: HeyGen bills nothing, so the
/// spend expiry captured is given back, and counted as released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_failing_after_its_hold_expired_gives_the_capture_back() {
    let (rig, hold, video) = expired_render().await;
    assert!(rig.mock.fail(&video, "render failed"));
    let st = rig
        .get(&format!("/v1/video_status.get?video_id={video}"))
        .await;
    assert_eq!(st.status, 200, "{}", st.text());
    settled_late_once(&rig, &hold, "0").await;
    assert_credits(&rig, "captured", "3").await;
    assert_credits(&rig, "released", "3").await;
}

/// Waits for alpha's daily spend to reach `spent`, then checks that `hold`
/// was settled after its expiry exactly once (one journal entry).
pub(crate) async fn settled_late_once(rig: &Rig, hold: &str, spent: &str) {
    eventually_async(
        || async { rig.credits("alpha", "daily").await.1 == spent },
        SETTLE_WAIT,
    )
    .await;
    let late = rig
        .journal()
        .await
        .into_iter()
        .filter(|e| e["hold_id"] == hold && e["reason"] == "settled after expiry")
        .count();
    assert_eq!(late, 1, "{hold} is settled late, once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poller_settles_a_job_that_finished_after_its_hold_expired() {
    let (rig, _, video) = expired_render().await;
    // Nobody reads the status and no webhook comes: the poller does.
    assert!(rig.mock.complete(&video, 125.0));
    eventually_async(
        || async { rig.credits("alpha", "daily").await.1 == "15" },
        SETTLE_WAIT,
    )
    .await;
}
