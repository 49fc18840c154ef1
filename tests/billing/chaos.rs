//! Chaos (issue 12): HeyGen misbehaving and webhook storms. Every scenario
//! ends with the ledger audit (`GET /admin/v1/ledger/verify`) passing, and
//! each upstream fault leaves the ledger state the README names:
//! reset or stall after sending → hold kept for the TTL; 200 with garbage
//! or with no job id → the projection captured; a slow answer after the
//! gateway timed out → hold kept (HeyGen made the job; the TTL captures it).

use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use heygen_mock::send_webhook;
use heygen_mock::webhook::{avatar_video_fail, avatar_video_success};
use http::StatusCode;
use serde_json::Value;

use crate::common::*;
use crate::{half_credit, hold_id, video_id, Rig};

async fn audit(rig: &Rig) -> Value {
    let v = rig.admin("GET", "/admin/v1/ledger/verify", "").await.json();
    assert_eq!(v["ok"], true, "the ledger audit fails: {v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_upstream_fault_ends_in_a_defined_state_the_audit_accepts() {
    let rig = Rig::start(|c| {
        c.tenant_budgets("alpha", "daily = 100")
            .set("upstream", "request_timeout_ms", "400")
    })
    .await;
    let video = rig.mock.on_path("/v2/video/generate");
    let mut expect = Vec::new();

    // Reset mid-request: it was sent, HeyGen may have the job → kept.
    video.reset_connections(true);
    let r = rig.post("/v2/video/generate", &half_credit()).await;
    video.reset_connections(false);
    assert_eq!(r.status, 502, "{}", r.text());
    expect.push("held");
    // Stall past the timeout → 504, kept.
    video.hang(true);
    let r = rig.post("/v2/video/generate", &half_credit()).await;
    video.hang(false);
    assert_eq!(r.status, 504, "{}", r.text());
    expect.push("held");
    // A slow answer after the gateway gave up → 504, kept.
    video.set_latency(Duration::from_millis(900));
    let r = rig.post("/v2/video/generate", &half_credit()).await;
    video.set_latency(Duration::ZERO);
    assert_eq!(r.status, 504, "{}", r.text());
    expect.push("held");
    // 200 with garbage, and 200 naming no job → passed on, projection captured.
    for raw in [&b"<html>oops</html>"[..], br#"{"error":null,"data":{}}"#] {
        video.answer_raw(Some((StatusCode::OK, raw)));
        let r = rig.post("/v2/video/generate", &half_credit()).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.body, raw, "HeyGen's answer is passed on as is");
        expect.push("captured");
    }
    video.answer_raw(None);

    let mut states: Vec<String> = rig
        .holds(None)
        .await
        .iter()
        .map(|h| h["state"].as_str().unwrap_or("?").to_string())
        .collect();
    states.sort();
    expect.sort();
    assert_eq!(states, expect);
    // Only the captured ones are spent; nothing was lost or doubled.
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("1.5", "1"));
    audit(&rig).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_duplicate_and_out_of_order_webhooks_settles_each_job_once() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 100")).await;
    let url = rig.gw.url("/gateway/v1/webhooks/heygen");
    let mut jobs = Vec::new();
    for _ in 0..40 {
        let r = rig.post("/v2/video/generate", &half_credit()).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let (hold, video) = (hold_id(&r), video_id(&r));
        assert!(rig.mock.complete(&video, 30.0));
        jobs.push((hold, video));
    }
    // 10,000 deliveries: each job's success many times, interleaved with
    // `.fail` events about by-products, in a scrambled order, 32 at a time.
    let events: Vec<Vec<u8>> = (0..10_000usize)
        .map(|i| {
            let (_, video) = &jobs[(i * 7919) % jobs.len()];
            let e = if i % 5 == 0 {
                avatar_video_fail(video, "caption failed", None)
            } else {
                avatar_video_success(video, "https://x/v.mp4", None)
            };
            e.to_string().into_bytes()
        })
        .collect();
    let statuses: Vec<u16> = stream::iter(events)
        .map(|body| {
            let url = url.clone();
            async move {
                send_webhook(&url, WEBHOOK_SECRET, false, &body)
                    .await
                    .map(|s| s.as_u16())
                    .unwrap_or(0)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert!(
        statuses.iter().all(|s| *s == 200),
        "every delivery acknowledged"
    );
    for (hold, _) in &jobs {
        let h = rig.wait_hold(hold, "captured").await;
        assert_eq!(h["captured"], "0.5", "{h}");
    }
    // Exactly one capture per hold in the journal, then quiet.
    let journal = rig.journal_when_quiet().await;
    for (hold, _) in &jobs {
        let captures = journal
            .iter()
            .filter(|e| e["hold_id"] == hold.as_str() && e["kind"] == "capture")
            .count();
        assert_eq!(captures, 1, "{hold}");
    }
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "20"));
    audit(&rig).await;
}
