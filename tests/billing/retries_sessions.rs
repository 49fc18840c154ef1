//! Retries of a realtime session start (`POST /v3/avatar-realtime`) whose
//! first attempt's answer was lost. HeyGen dedupes v3 starts by key and
//! answers the retry with the same session, so the retry takes over the
//! first minute its attempt held: the tenant pays that minute once, the
//! session counts once against the session cap, and the TTL does not
//! capture the earlier hold — not even when it falls due between the
//! retry's lookup and HeyGen's answer. A first minute already expired is
//! closed, so then the retry holds anew; so does a v1 start, which HeyGen
//! does not dedupe. Realtime: 3 credits/min, per second.

use std::sync::Arc;

use heygen_gateway::clock::ManualClock;
use serde_json::{json, Value};

use crate::common::*;
use crate::retries::{audit, KEY};
use crate::sessions::{at, metered, T0};
use crate::{hold_id, manual_clock, Rig, SETTLE_WAIT};

const START: &str = "/v3/avatar-realtime";

/// A rig metering every second on a manual clock at [`T0`], its holds
/// expiring after 600 s (expiry on a 1 s tick), alpha with `limits`.
async fn rig(limits: Option<&str>) -> (Rig, Arc<ManualClock>) {
    let clock = manual_clock(T0);
    let rig = Rig::start_with_clock(
        |c| {
            let c = metered(c)
                .tenant_budgets("alpha", "daily = 100")
                .set("settlement", "hold_ttl_seconds", "600")
                .set("settlement", "poll_interval_seconds", "1");
            match limits {
                Some(l) => c.tenant_limits("alpha", l),
                None => c,
            }
        },
        clock.clone(),
    )
    .await;
    (rig, clock)
}

/// A realtime start as alpha with `key`.
async fn start(rig: &Rig, key: &str) -> TestResponse {
    let body = json!({"type": "tts", "avatar_id": "a", "voice_id": "v"});
    let key = [("idempotency-key", key)];
    rig.call("alpha", "POST", START, &key, body.to_string())
        .await
}

/// A start with [`KEY`] that HeyGen answered and the gateway lost (the
/// answer cut off): the hold it keeps.
async fn lost_start(rig: &Rig) -> String {
    rig.mock.on_path(START).cut_answers(true);
    let lost = start(rig, KEY).await;
    assert_eq!(lost.status, 502, "{}", lost.text());
    rig.mock.on_path(START).cut_answers(false);
    let holds = realtime_holds(rig).await;
    assert_eq!(holds.len(), 1, "{holds:?}");
    assert_eq!(holds[0]["state"], "held");
    holds[0]["hold_id"].as_str().unwrap_or_default().to_string()
}

/// Alpha's realtime minute holds, oldest first.
async fn realtime_holds(rig: &Rig) -> Vec<Value> {
    let mut holds: Vec<Value> = rig
        .holds(None)
        .await
        .into_iter()
        .filter(|h| h["feature"] == "avatar_realtime")
        .collect();
    holds.sort_by_key(|h| h["created_at"].as_str().unwrap_or_default().to_string());
    holds
}

fn stream_id(r: &TestResponse) -> String {
    r.json()["data"]["stream_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no stream_id in {}", r.text()))
        .to_string()
}

async fn stop(rig: &Rig, stream: &str) {
    let path = format!("{START}/{stream}");
    let del = rig.call("alpha", "DELETE", &path, &[], "").await;
    assert_eq!(del.status, 200, "{}", del.text());
}

/// Waits until every realtime hold is settled; returns what each captured.
async fn settled(rig: &Rig) -> Vec<String> {
    eventually_async(
        || async {
            let holds = realtime_holds(rig).await;
            holds.iter().all(|h| h["state"] == "captured")
        },
        SETTLE_WAIT,
    )
    .await;
    let holds = realtime_holds(rig).await;
    holds
        .iter()
        .map(|h| h["captured"].as_str().unwrap_or("?").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_realtime_start_pays_for_one_session() {
    let (rig, clock) = rig(None).await;
    let first = lost_start(&rig).await;
    let retry = start(&rig, KEY).await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    let stream = stream_id(&retry);
    // 90 s: the second minute is held ahead, then the client stops it.
    at(&clock, 58);
    eventually_async(
        || async { realtime_holds(&rig).await.len() >= 2 },
        SETTLE_WAIT,
    )
    .await;
    at(&clock, 90);
    stop(&rig, &stream).await;
    // Past the lost attempt's TTL, once no hold is open any more.
    at(&clock, 700);
    eventually_async(
        || async {
            let holds = realtime_holds(&rig).await;
            holds.iter().all(|h| h["state"] != "held")
        },
        SETTLE_WAIT,
    )
    .await;
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!(
        (held.as_str(), spent.as_str()),
        ("0", "4.5"),
        "90 s at 3 credits/min, the first minute once"
    );
    assert_eq!(settled(&rig).await, ["3", "1.5"]);
    assert_eq!(
        hold_id(&retry),
        first,
        "the retry took the first minute over"
    );
    let journal = rig.journal_when_quiet().await;
    let expired: Vec<&Value> = journal.iter().filter(|e| e["kind"] == "expire").collect();
    assert!(expired.is_empty(), "nothing left for the TTL: {expired:?}");
    audit(&rig).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_realtime_start_counts_once_against_the_session_cap() {
    let (rig, _clock) = rig(Some("sessions_in_flight = 1")).await;
    let first = lost_start(&rig).await;
    // The lost attempt's hold is the session's one slot: the retry takes
    // it over instead of being refused for it.
    let retry = start(&rig, KEY).await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert_eq!(hold_id(&retry), first);
    let open: Vec<Value> = realtime_holds(&rig)
        .await
        .into_iter()
        .filter(|h| h["state"] == "held")
        .collect();
    assert_eq!(open.len(), 1, "one open hold for one session: {open:?}");
    let other = start(&rig, "order-8").await;
    assert_eq!(other.status, 429, "{}", other.text());
    assert_eq!(
        other.header("x-gateway-rejected"),
        Some("sessions_in_flight")
    );
    stop(&rig, &stream_id(&retry)).await;
    assert_eq!(start(&rig, "order-9").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_falling_due_while_heygen_answers_the_retry_does_not_capture() {
    let (rig, clock) = rig(None).await;
    // Another lost request's hold falls due with the first minute's: once
    // it has expired, expiry has passed over the first minute too.
    rig.mock.on_path("/v3/videos").cut_answers(true);
    let body = crate::v3_video(json!({})).to_string();
    let witness = [("idempotency-key", "order-8")];
    let lost = rig
        .call("alpha", "POST", "/v3/videos", &witness, body)
        .await;
    assert_eq!(lost.status, 502, "{}", lost.text());
    let first = lost_start(&rig).await;
    // Retried 10 s before the first minute's TTL; HeyGen answers only
    // after the TTL has passed and expiry has run.
    at(&clock, 590);
    rig.mock.on_path(START).hang(true);
    let expire_meanwhile = async {
        eventually(|| rig.mock.requests_to(START).len() == 2, SETTLE_WAIT).await;
        at(&clock, 620);
        eventually_async(
            || async { !rig.holds(Some("expired")).await.is_empty() },
            SETTLE_WAIT,
        )
        .await;
        rig.mock.on_path(START).hang(false);
    };
    let (retry, ()) = tokio::join!(start(&rig, KEY), expire_meanwhile);
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert_eq!(hold_id(&retry), first);
    assert_eq!(rig.hold(&first).await["state"], "held");
    // Metered from HeyGen's answer (620 s): stopped 30 s later.
    at(&clock, 650);
    stop(&rig, &stream_id(&retry)).await;
    assert_eq!(settled(&rig).await, ["1.5"]);
    audit(&rig).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_the_first_minute_expired_holds_anew() {
    let (rig, clock) = rig(None).await;
    let first = lost_start(&rig).await;
    at(&clock, 601);
    rig.wait_hold(&first, "expired").await;
    // Captured in full and closed, it cannot be the session's minute.
    let retry = start(&rig, KEY).await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert_ne!(hold_id(&retry), first);
    at(&clock, 631);
    stop(&rig, &stream_id(&retry)).await;
    let retry_hold = rig.wait_hold(&hold_id(&retry), "captured").await;
    assert_eq!(retry_hold["captured"], "1.5");
    let (_, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!(spent, "4.5", "the expired minute and 30 s");
    audit(&rig).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_v1_streaming_start_holds_anew() {
    let (rig, _clock) = rig(None).await;
    let new = "/v1/streaming.new";
    let body = json!({"avatar_id": "a"}).to_string();
    let key = [("idempotency-key", KEY)];
    rig.mock.on_path(new).cut_answers(true);
    let lost = rig.call("alpha", "POST", new, &key, body.clone()).await;
    assert_eq!(lost.status, 502, "{}", lost.text());
    rig.mock.on_path(new).cut_answers(false);
    // v1 ignores the key: the retry starts a second session at HeyGen.
    let retry = rig.call("alpha", "POST", new, &key, body).await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    let states: Vec<Value> = rig
        .holds(Some("held"))
        .await
        .into_iter()
        .filter(|h| h["feature"] == "streaming")
        .collect();
    assert_eq!(states.len(), 2, "each start keeps its own hold: {states:?}");
}
