//! Retries with the same `Idempotency-Key` after the first attempt's outcome
//! was lost (its answer cut off, a timeout, a reset). On v3 HeyGen replays the
//! first attempt's answer for the key, so the retry names the job the first
//! attempt made: the tenant must pay for it once, not once per attempt.

use std::time::Duration;

use serde_json::{json, Value};

use super::settlement_background::settled_late_once;
use crate::common::*;
use crate::{hold_id, manual_clock, v3_video, video_id, Rig, SETTLE_WAIT};

pub const KEY: &str = "order-7";

pub async fn keyed(rig: &Rig, path: &str, body: &Value) -> TestResponse {
    rig.call(
        "alpha",
        "POST",
        path,
        &[("idempotency-key", KEY)],
        body.to_string(),
    )
    .await
}

/// A rig whose holds expire after 600 s of its manual clock, with expiry
/// and the poller on a 1 s tick.
pub async fn start(budget: &str) -> (Rig, std::sync::Arc<heygen_gateway::clock::ManualClock>) {
    let clock = manual_clock("2026-03-10T12:00:00Z");
    let rig = Rig::start_with_clock(
        |c| {
            c.tenant_budgets("alpha", budget)
                .set("settlement", "hold_ttl_seconds", "600")
                .set("settlement", "poll_interval_seconds", "1")
                .set("upstream", "request_timeout_ms", "400")
        },
        clock.clone(),
    )
    .await;
    (rig, clock)
}

/// Finishes `video` at HeyGen (30 s), settles it with a status read through
/// the gateway, lets every other hold reach its TTL, and returns the
/// tenant's spend next to what the job's hold captured.
async fn settle_all(
    rig: &Rig,
    clock: &heygen_gateway::clock::ManualClock,
    hold: &str,
    video: &str,
) -> (String, String) {
    assert!(rig.mock.complete(video, 30.0));
    let st = rig.get(&format!("/v3/videos/{video}")).await;
    assert_eq!(st.status, 200, "{}", st.text());
    let captured = rig.wait_hold(hold, "captured").await["captured"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    clock.advance(chrono::Duration::seconds(601));
    eventually_async(
        || async {
            rig.holds(Some("held")).await.is_empty()
                && rig.holds(Some("submitted")).await.is_empty()
        },
        SETTLE_WAIT,
    )
    .await;
    (rig.credits("alpha", "daily").await.1, captured)
}

pub async fn audit(rig: &Rig) {
    let v = rig.admin("GET", "/admin/v1/ledger/verify", "").await.json();
    assert_eq!(v["ok"], true, "the ledger audit fails: {v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_the_answer_was_cut_off_pays_once_for_the_one_job() {
    let (rig, clock) = start("daily = 100").await;
    let body = v3_video(json!({}));
    rig.mock.on_path("/v3/videos").cut_answers(true);
    let lost = keyed(&rig, "/v3/videos", &body).await;
    assert_eq!(lost.status, 502, "{}", lost.text());
    assert_eq!(lost.header("x-gateway-rejected"), Some("upstream_failed"));
    assert_eq!(rig.mock.jobs().len(), 1, "HeyGen made the job");
    rig.mock.on_path("/v3/videos").cut_answers(false);

    let retry = keyed(&rig, "/v3/videos", &body).await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    let (hold, video) = (hold_id(&retry), video_id(&retry));
    assert_eq!(video, rig.mock.jobs()[0].id, "HeyGen named the same job");
    assert_eq!(rig.mock.jobs().len(), 1);
    let (spent, captured) = settle_all(&rig, &clock, &hold, &video).await;
    assert_eq!(spent, captured, "the tenant pays for the one job once");
    let holds = rig.holds(None).await;
    assert_eq!(
        holds.len(),
        1,
        "the retry took over the first hold: {holds:?}"
    );
    audit(&rig).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_timeout_waits_for_heygen_and_pays_once() {
    let (rig, clock) = start("daily = 100").await;
    let body = v3_video(json!({}));
    // HeyGen makes the job at once but answers after the gateway gave up.
    let videos = rig.mock.on_path("/v3/videos");
    videos.delay_answers(Duration::from_millis(1500));
    let late = keyed(&rig, "/v3/videos", &body).await;
    assert_eq!(late.status, 504, "{}", late.text());
    videos.delay_answers(Duration::ZERO);
    // Still answering the first: HeyGen's 409 is passed on and not stored,
    // and the hold the first attempt left is kept.
    let busy = keyed(&rig, "/v3/videos", &body).await;
    assert_eq!(busy.status, 409, "{}", busy.text());
    assert!(busy.header("x-gateway-rejected").is_none(), "HeyGen's 409");
    assert_eq!(rig.holds(Some("held")).await.len(), 1);
    let mut retry = keyed(&rig, "/v3/videos", &body).await;
    let deadline = tokio::time::Instant::now() + SETTLE_WAIT;
    while retry.status == 409 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        retry = keyed(&rig, "/v3/videos", &body).await;
    }
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert!(retry.header("x-gateway-idempotent-replay").is_none());
    let (hold, video) = (hold_id(&retry), video_id(&retry));
    assert_eq!(rig.mock.jobs().len(), 1);
    let open: Vec<Value> = rig
        .holds(None)
        .await
        .into_iter()
        .filter(|h| h["state"] != "released")
        .collect();
    assert_eq!(open.len(), 1, "{open:?}");

    let (spent, captured) = settle_all(&rig, &clock, &hold, &video).await;
    assert_eq!(spent, captured, "the tenant pays for the one job once");
    audit(&rig).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_of_lost_answers_keeps_one_hold() {
    let (rig, clock) = start("daily = 100").await;
    let body = v3_video(json!({}));
    let videos = rig.mock.on_path("/v3/videos");
    videos.cut_answers(true);
    assert_eq!(keyed(&rig, "/v3/videos", &body).await.status, 502);
    videos.cut_answers(false);
    // The second attempt is reset after it was sent: still unknown.
    videos.reset_connections(true);
    assert_eq!(keyed(&rig, "/v3/videos", &body).await.status, 502);
    videos.reset_connections(false);
    let third = keyed(&rig, "/v3/videos", &body).await;
    assert_eq!(third.status, 200, "{}", third.text());
    let (spent, captured) = settle_all(&rig, &clock, &hold_id(&third), &video_id(&third)).await;
    assert_eq!(spent, captured, "the tenant pays for the one job once");
    assert_eq!(rig.holds(None).await.len(), 1, "one hold for one job");
    audit(&rig).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_with_room_for_one_hold_admits_the_retry() {
    let (rig, _clock) = start("daily = 100").await;
    let body = v3_video(json!({}));
    let quote = rig.quote("POST", "/v3/videos", &body).await;
    let credits = quote["credits"].as_str().unwrap_or_default().to_string();
    drop(rig);
    // Exactly one projection fits: the first attempt's hold fills it.
    let (rig, _clock) = start(&format!("daily = {credits}")).await;
    rig.mock.on_path("/v3/videos").cut_answers(true);
    assert_eq!(keyed(&rig, "/v3/videos", &body).await.status, 502);
    rig.mock.on_path("/v3/videos").cut_answers(false);
    let retry = keyed(&rig, "/v3/videos", &body).await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert_eq!(retry.header("x-gateway-credits-remaining"), Some("0"));
    assert_eq!(rig.credits("alpha", "daily").await.0, credits);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_the_first_attempts_hold_expired_is_charged_once() {
    let (rig, clock) = start("daily = 100").await;
    let body = v3_video(json!({}));
    rig.mock.on_path("/v3/videos").cut_answers(true);
    assert_eq!(keyed(&rig, "/v3/videos", &body).await.status, 502);
    rig.mock.on_path("/v3/videos").cut_answers(false);
    // The client retries only after the kept hold's TTL captured it in full.
    clock.advance(chrono::Duration::seconds(601));
    let first = rig.holds(None).await[0]["hold_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let h = rig.wait_hold(&first, "expired").await;
    assert_eq!(h["captured"], h["amount"], "{h}");
    let retry = keyed(&rig, "/v3/videos", &body).await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert_eq!(hold_id(&retry), first, "the expired hold takes the job");
    // HeyGen's length corrects what expiry captured.
    let video = video_id(&retry);
    assert!(rig.mock.complete(&video, 30.0));
    let st = rig.get(&format!("/v3/videos/{video}")).await;
    assert_eq!(st.status, 200, "{}", st.text());
    // 30 s of Avatar IV at 6 credits a minute: 3 credits, charged once
    // (not 3 + the 0.9 expiry captured).
    settled_late_once(&rig, &first, "3").await;
    assert_eq!(rig.holds(None).await.len(), 1);
    audit(&rig).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_retry_takes_over_the_first_hold_too() {
    let url = crate::pg::PgServer::shared().create_database();
    let rig = Rig::start(|c| {
        c.tenant_budgets("alpha", "daily = 100")
            .set("store", "url", &format!("{url:?}"))
            .set("store", "pool_size", "2")
    })
    .await;
    let body = v3_video(json!({}));
    rig.mock.on_path("/v3/videos").cut_answers(true);
    assert_eq!(keyed(&rig, "/v3/videos", &body).await.status, 502);
    rig.mock.on_path("/v3/videos").cut_answers(false);
    let first = rig.holds(Some("held")).await;
    assert_eq!(first.len(), 1, "{first:?}");
    let retry = keyed(&rig, "/v3/videos", &body).await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert_eq!(hold_id(&retry), first[0]["hold_id"].as_str().unwrap_or("?"));
    let holds = rig.holds(None).await;
    assert_eq!(holds.len(), 1, "{holds:?}");
    assert_eq!(holds[0]["state"], "submitted");
    audit(&rig).await;
}

/// A retry that HeyGen refuses leaves the first attempt's hold standing (it
/// was sent, and may be a job): the answer still says what remains after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_retry_keeps_the_adopted_hold_and_its_remaining_figure() {
    let (rig, _clock) = start("daily = 100").await;
    let body = v3_video(json!({}));
    rig.mock.on_path("/v3/videos").cut_answers(true);
    let first = keyed(&rig, "/v3/videos", &body).await;
    assert_eq!(first.status, 502, "{}", first.text());
    rig.mock.on_path("/v3/videos").cut_answers(false);
    rig.mock.fail_next(1, http::StatusCode::BAD_REQUEST);
    let retry = keyed(&rig, "/v3/videos", &body).await;
    assert_eq!(retry.status, 400, "{}", retry.text());
    let (held, _, _) = rig.credits("alpha", "daily").await;
    assert_ne!(held, "0", "the adopted hold was released");
    assert!(
        retry.header("x-gateway-credits-remaining").is_some(),
        "{:?}",
        retry.headers
    );
}
