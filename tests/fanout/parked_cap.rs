//! The cap on parked events (`webhooks.max_parked_events`): events of jobs
//! nobody owns past the cap are dropped and counted, with one warning when
//! the table fills (not one per event), and parking resumes once parked
//! ones are given up; a cap of 0 parks nothing, as before parking existed.
//! The cap is live: a reload that raises it makes room at once.
//!
//! Plain `#[tokio::test]` (one thread) so the captured logs hold the
//! gateway's.

use std::sync::Arc;

use chrono::Utc;
use heygen_gateway::clock::ManualClock;
use serde_json::json;

use crate::common::*;
use crate::{fast, success_event, Rig, WAIT};

const PARKED: &str = "heygen_gateway_webhook_parked_events";
const FULL: &str = "reached webhooks.max_parked_events";
const RESUMED: &str = "parking resumed";

fn unowned(result: &str) -> String {
    format!("heygen_gateway_webhook_unowned_events_total{{result=\"{result}\"}}")
}

async fn rig_with_cap(cap: &str, clock: Arc<ManualClock>) -> Rig {
    let mock = start_mock().await;
    let cfg = fast(TestConfig::for_mock(&mock)).set("webhooks", "max_parked_events", cap);
    let gw = TestGateway::start_with_clock(cfg, clock).await;
    Rig { mock, gw }
}

fn lines_with(logs: &LogBuffer, needle: &str) -> usize {
    logs.contents()
        .lines()
        .filter(|l| l.contains(needle))
        .count()
}

#[tokio::test]
async fn past_the_cap_events_are_dropped_counted_and_warned_once() {
    let (_guard, logs) = capture_logs();
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let rig = rig_with_cap("2", clock.clone()).await;
    // 2 + 3 events of jobs the gateway never made: HeyGen gets its 200 for
    // each, 2 wait, 3 are dropped.
    for i in 0..5 {
        rig.heygen_webhook(&success_event(&format!("stranger_{i}")))
            .await;
    }
    let text = rig.metrics().await;
    assert_eq!(metric_value(&text, &unowned("parked")), Some(2.0));
    assert_eq!(metric_value(&text, &unowned("dropped_full")), Some(3.0));
    eventually_async(
        || async { metric_value(&rig.metrics().await, PARKED) == Some(2.0) },
        WAIT,
    )
    .await;
    assert_eq!(lines_with(&logs, FULL), 1, "{}", logs.contents());
    assert!(
        logs.contents()
            .lines()
            .any(|l| l.contains(FULL) && l.contains("WARN")),
        "{}",
        logs.contents()
    );

    // Given up after `owner_wait_seconds`: room again, logged once, and
    // the next event is parked.
    clock.advance(chrono::Duration::hours(2));
    // A pass that read the due events before the clock moved gives up only
    // the one it read, and logs "resumed" already: wait for both.
    eventually_async(
        || async { metric_value(&rig.metrics().await, &unowned("given_up")) == Some(2.0) },
        WAIT,
    )
    .await;
    eventually(|| lines_with(&logs, RESUMED) == 1, WAIT).await;
    rig.heygen_webhook(&success_event("stranger_5")).await;
    let text = rig.metrics().await;
    assert_eq!(metric_value(&text, &unowned("parked")), Some(3.0));
    assert_eq!(metric_value(&text, &unowned("dropped_full")), Some(3.0));
    assert_eq!(lines_with(&logs, FULL), 1, "{}", logs.contents());
    rig.gw.shutdown().await;
}

/// `webhooks.max_parked_events` is not restart-only (`config::restart`):
/// raised by a reload, the next event is parked, though nothing parked
/// has gone (the clock stands still, so none is given up), and the new
/// cap is enforced in turn.
#[tokio::test]
async fn a_cap_raised_by_reload_parks_the_next_event() {
    let (_guard, logs) = capture_logs();
    let rig = rig_with_cap("2", Arc::new(ManualClock::new(Utc::now()))).await;
    for i in 0..3 {
        rig.heygen_webhook(&success_event(&format!("stranger_{i}")))
            .await;
    }
    let text = rig.metrics().await;
    assert_eq!(metric_value(&text, &unowned("parked")), Some(2.0));
    assert_eq!(metric_value(&text, &unowned("dropped_full")), Some(1.0));

    let r = rig
        .reload(|c| c.set("webhooks", "max_parked_events", "3"))
        .await;
    assert_eq!(
        r.json()["data"]["restart_required"],
        json!([]),
        "applied by the reload itself: {}",
        r.text()
    );
    // Events are dropped unasked while the last look found the table
    // full; the checking task's next count (every `fanout_interval_ms`)
    // sees the room the new cap makes.
    eventually(|| lines_with(&logs, RESUMED) == 1, WAIT).await;
    rig.heygen_webhook(&success_event("stranger_3")).await;
    let text = rig.metrics().await;
    assert_eq!(metric_value(&text, &unowned("parked")), Some(3.0));
    assert_eq!(metric_value(&text, &unowned("dropped_full")), Some(1.0));
    assert_eq!(metric_value(&text, &unowned("given_up")), Some(0.0));
    // Three wait now: the raised cap holds in turn.
    rig.heygen_webhook(&success_event("stranger_4")).await;
    let text = rig.metrics().await;
    assert_eq!(metric_value(&text, &unowned("parked")), Some(3.0));
    assert_eq!(metric_value(&text, &unowned("dropped_full")), Some(2.0));
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn a_cap_of_zero_parks_nothing() {
    let (_guard, logs) = capture_logs();
    let rig = rig_with_cap("0", Arc::new(ManualClock::new(Utc::now()))).await;
    rig.heygen_webhook(&success_event("stranger")).await;
    let text = rig.metrics().await;
    // Turned off, as `owner_wait_seconds = 0` does: neither parked nor
    // counted as dropped (nothing to alert on), and no warning.
    assert_eq!(metric_value(&text, &unowned("parked")), Some(0.0));
    assert_eq!(metric_value(&text, &unowned("dropped_full")), Some(0.0));
    assert_eq!(metric_value(&text, PARKED), Some(0.0));
    assert_eq!(lines_with(&logs, FULL), 0, "{}", logs.contents());
    rig.gw.shutdown().await;
}
