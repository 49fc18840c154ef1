//! Settlement from status reads passing through and from signed webhooks,
//! and shutdown waiting for a webhook's settlement in flight. The poller
//! and hold expiry are in `settlement_background.rs`.

use heygen_mock::webhook::{self, avatar_video_fail, avatar_video_success};
use heygen_mock::{send_webhook, sign};
use serde_json::Value;

use crate::common::*;
use crate::{assert_refused, avatar_iv_three, half_credit, hold_id, one_and_a_half, video_id, Rig};

/// Creates a video as alpha; returns `(hold_id, video_id)`.
pub(crate) async fn create(rig: &Rig, body: &Value) -> (String, String) {
    let resp = rig.post("/v2/video/generate", body).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    (hold_id(&resp), video_id(&resp))
}

/// Reads the job's status through the gateway (as a tenant would).
pub(crate) async fn read_status(rig: &Rig, video: &str) -> Value {
    let resp = rig
        .get(&format!("/v1/video_status.get?video_id={video}"))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    resp.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_read_captures_actual_duration_and_frees_the_rest() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    let (hold, video) = create(&rig, &one_and_a_half()).await;
    assert_eq!(rig.credits("alpha", "daily").await.0, "1.5");

    // Pending reads settle nothing.
    let pending = read_status(&rig, &video).await;
    assert_eq!(pending["data"]["status"], "pending");
    assert_eq!(rig.hold(&hold).await["state"], "submitted");

    // 27.43 s rounds up to 30 s at 1 credit/min: 0.5 captured, 1 freed.
    assert!(rig.mock.complete(&video, 27.43));
    let done = read_status(&rig, &video).await;
    assert_eq!(done["data"]["status"], "completed");
    let h = rig.wait_hold(&hold, "captured").await;
    assert_eq!(h["captured"], "0.5", "{h}");
    let (held, spent, remaining) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "0.5"));
    assert_eq!(remaining, "9.5");

    // Reading again changes nothing.
    read_status(&rig, &video).await;
    let again = rig.post("/v2/video/generate", &half_credit()).await;
    assert_eq!(again.status, 200);
    assert_eq!(rig.credits("alpha", "daily").await.1, "0.5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capture_above_the_hold_records_overage_and_refuses_until_room() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    // Avatar IV: projected 30 s = 3 credits, actually 125 s → 150 s = 15 credits.
    let resp = rig.post("/v2/video/generate", &avatar_iv_three()).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("x-gateway-credits-projected"), Some("3"));
    let (hold, video) = (hold_id(&resp), video_id(&resp));
    assert!(rig.mock.complete(&video, 125.0));
    // Read through the v2 status path this time.
    let status = rig.get(&format!("/v2/videos/{video}")).await;
    assert_eq!(status.status, 200, "{}", status.text());
    let h = rig.wait_hold(&hold, "captured").await;
    assert_eq!(h["feature"], "avatar_iv");
    assert_eq!(h["captured"], "15", "overage is captured, not dropped: {h}");
    let (held, spent, remaining) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "15"));
    assert_eq!(remaining, "-5", "the budget goes negative");

    // While negative, even the smallest request is refused.
    let refused = rig.post("/v2/video/generate", &half_credit()).await;
    assert_refused(&refused, 402, "insufficient_credit", "insufficient_credit");
    assert_eq!(refused.json()["error"]["remaining"], "-5");
    assert_eq!(
        rig.creates("/v2/video/generate"),
        1,
        "nothing more forwarded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_settle_verified_and_idempotent() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    let url = rig.gw.url("/gateway/v1/webhooks/heygen");
    let (hold_a, video_a) = create(&rig, &one_and_a_half()).await;
    let (hold_b, video_b) = create(&rig, &one_and_a_half()).await;
    let (hold_c, video_c) = create(&rig, &one_and_a_half()).await;
    assert!(rig.mock.complete(&video_a, 27.43));
    assert!(rig.mock.complete(&video_b, 61.0));
    assert!(rig.mock.fail(&video_c, "render failed"));

    // Bad signatures are refused before anything is read or settled.
    let event_a = avatar_video_success(&video_a, "https://files.example/a.mp4", None).to_string();
    let wrong = send_webhook(&url, "not-the-secret", false, event_a.as_bytes())
        .await
        .expect("delivered");
    assert_eq!(wrong.as_u16(), 401);
    let tampered_sig = sign(WEBHOOK_SECRET, b"{\"other\":true}");
    let tampered = webhook::post(&url, &[("signature", tampered_sig)], event_a.as_bytes())
        .await
        .expect("delivered");
    assert_eq!(tampered.as_u16(), 401);
    let unsigned = webhook::post(&url, &[], event_a.as_bytes())
        .await
        .expect("delivered");
    assert_eq!(unsigned.as_u16(), 401);
    let stale = webhook::signed_headers(WEBHOOK_SECRET, true, event_a.as_bytes(), 1_000, "evt_1");
    let stale = webhook::post(&url, &stale, event_a.as_bytes())
        .await
        .expect("delivered");
    assert_eq!(stale.as_u16(), 401, "v3 timestamp outside the tolerance");
    assert_eq!(rig.hold(&hold_a).await["state"], "submitted");
    assert_eq!(
        rig.mock.requests_to("/v1/video_status.get").len(),
        0,
        "no status re-read for a refused delivery"
    );

    // Legacy `Signature`: re-reads the status and captures 30 s = 0.5.
    let ok = send_webhook(&url, WEBHOOK_SECRET, false, event_a.as_bytes())
        .await
        .expect("delivered");
    assert_eq!(ok.as_u16(), 200);
    let a = rig.wait_hold(&hold_a, "captured").await;
    assert_eq!(a["captured"], "0.5", "{a}");

    let query_a = format!("video_id={video_a}");
    let reads_of_a = || {
        rig.mock
            .requests_to("/v1/video_status.get")
            .iter()
            .filter(|r| r.query.as_deref() == Some(query_a.as_str()))
            .count()
    };
    assert_eq!(reads_of_a(), 1, "the first delivery re-read A's status");
    assert_eq!(captures_of(&rig.journal().await, &hold_a), 1);

    // Redelivery (legacy and v3 headers) changes nothing: each re-reads the
    // status, then its settlement must find A already settled. Wait for both
    // re-reads, then for the gateway to go quiet, so a slow second capture
    // would be in the journal and the counters before they are checked.
    for v3 in [false, true] {
        let status = send_webhook(&url, WEBHOOK_SECRET, v3, event_a.as_bytes())
            .await
            .expect("delivered");
        assert_eq!(status.as_u16(), 200);
    }
    eventually(|| reads_of_a() == 3, SETTLE_WAIT).await;
    let journal = rig.journal_when_quiet().await;
    assert_eq!(
        captures_of(&journal, &hold_a),
        1,
        "redelivery captured again"
    );
    let metrics = metrics_text(rig.gw.admin_addr).await;
    assert_metric(
        &metrics,
        "heygen_gateway_credits_captured_total{feature=\"standard_avatar\",tenant=\"alpha\"} 0.5",
    );
    assert_eq!(rig.credits("alpha", "daily").await.1, "0.5");

    // v3 `Heygen-Signature` + `Heygen-Timestamp`: 61 s → 90 s = 1.5.
    let event_b = webhook::as_v3_event(
        avatar_video_success(&video_b, "https://files.example/b.mp4", None),
        "evt_b",
        chrono::Utc::now().timestamp(),
    )
    .to_string();
    let ok = send_webhook(&url, WEBHOOK_SECRET, true, event_b.as_bytes())
        .await
        .expect("delivered");
    assert_eq!(ok.as_u16(), 200);
    let b = rig.wait_hold(&hold_b, "captured").await;
    assert_eq!(b["captured"], "1.5", "{b}");

    // Failure event: released without a re-read.
    let event_c = avatar_video_fail(&video_c, "render failed", None).to_string();
    let ok = send_webhook(&url, WEBHOOK_SECRET, false, event_c.as_bytes())
        .await
        .expect("delivered");
    assert_eq!(ok.as_u16(), 200);
    let c = rig.wait_hold(&hold_c, "released").await;
    assert_eq!(c["captured"], "0", "{c}");

    // Spent is A + B exactly once: the redeliveries did not capture again.
    let a = rig.hold(&hold_a).await;
    assert_eq!(a["captured"], "0.5", "{a}");
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "2"));
    let journal = rig.journal_when_quiet().await;
    assert_eq!(captures_of(&journal, &hold_a), 1, "one capture entry for A");
}

/// Capture entries of `hold` in a journal.
fn captures_of(journal: &[Value], hold: &str) -> usize {
    journal
        .iter()
        .filter(|e| e["hold_id"] == hold && e["kind"] == "capture")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_endpoint_answers_heygens_options_validation() {
    let rig = Rig::start(|c| c).await;
    // HeyGen checks a new endpoint with an unsigned OPTIONS request.
    let resp = send(
        "OPTIONS",
        &rig.gw.url("/gateway/v1/webhooks/heygen"),
        &[],
        "",
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(resp.header("x-gateway-rejected").is_none());
    // Other unsigned methods are not accepted as validation.
    let get = send("GET", &rig.gw.url("/gateway/v1/webhooks/heygen"), &[], "").await;
    assert_eq!(get.status, 405, "{}", get.text());
    assert_eq!(rig.mock.count(), 0, "nothing reaches HeyGen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_for_an_unknown_job_is_acknowledged_and_ignored() {
    let rig = Rig::start(|c| c).await;
    let url = rig.gw.url("/gateway/v1/webhooks/heygen");
    let event = avatar_video_success("0123456789abcdef0123456789abcdef", "u", None).to_string();
    let status = send_webhook(&url, WEBHOOK_SECRET, false, event.as_bytes())
        .await
        .expect("delivered");
    assert_eq!(status.as_u16(), 200);
    assert!(rig.holds(None).await.is_empty());
}

use crate::SETTLE_WAIT;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_a_webhook_settlement_in_flight() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    let (hold, video) = create(&rig, &one_and_a_half()).await;
    assert!(rig.mock.complete(&video, 27.43));
    // The webhook is answered at once; its status re-read then takes a while.
    rig.mock
        .on_path("/v1/video_status.get")
        .set_latency(std::time::Duration::from_millis(800));
    let url = rig.gw.url("/gateway/v1/webhooks/heygen");
    let event = avatar_video_success(&video, "https://files.example/v.mp4", None).to_string();
    let status = send_webhook(&url, WEBHOOK_SECRET, false, event.as_bytes())
        .await
        .unwrap();
    assert_eq!(status, 200);
    let Rig { mock, gw } = rig;
    let dir = gw.shutdown_keeping_files().await;
    drop(mock);
    // HeyGen will not redeliver an answered webhook: the settlement must
    // have been written before shutdown returned.
    let ledger = heygen_gateway::ledger::SqliteLedger::open(&dir.path().join("ledger.db"))
        .await
        .unwrap();
    let held = heygen_gateway::ledger::Ledger::get_hold(&ledger, &hold)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        held.state,
        heygen_gateway::ledger::HoldState::Captured,
        "{held:?}"
    );
    assert_eq!(held.captured, 500_000);
}
