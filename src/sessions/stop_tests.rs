//! Ending a session: the price book's rounding, and a stop that loses the
//! race to the minute-end capture (on SQLite and on PostgreSQL).
//!
//! The race is interleaved at `end`'s own seam: `end` reads the session,
//! then `close`s the row it read. The tests read the row as `end` does, let
//! the meter's tick capture the ended minute and move the session on, then
//! `close` the row read before, all on a manual clock.

use std::sync::Arc;

use super::*;
use crate::clock::ManualClock;
use crate::ledger::{HoldState, Ledger};
use crate::sessions::meter;
use crate::sessions::test_rig::{
    at, hold, postgres, row, sqlite, start, state_on, t0, RATE, SECOND,
};

fn session(kind: &str, feature: &str, rate: i64) -> SessionRow {
    SessionRow {
        session_id: "s".into(),
        tenant: "t".into(),
        feature: feature.into(),
        kind: kind.into(),
        rate,
        idle_s: 120,
        started_us: 0,
        last_activity_us: 0,
        hold_id: "h".into(),
        slot_us: 0,
        minutes: 1,
        captured: 0,
        state: "live".into(),
        stop_reason: None,
        stopped_us: None,
        next_hold_id: None,
    }
}

#[test]
fn the_session_is_charged_as_the_price_book_rounds_it() {
    let book = crate::pricing::PriceBook::builtin();
    // Streaming: 0.2 credits/min, 30 s minimum, then per second.
    let mut s = session("streaming", "streaming", 200_000);
    assert_eq!(
        last_minute_cost(&book, &s, 10_000_000),
        100_000,
        "30 s minimum"
    );
    assert_eq!(last_minute_cost(&book, &s, 45_000_000), 150_000);
    // 3 min 10 s with three minutes captured: 10 s more.
    s.captured = 600_000;
    s.slot_us = 180_000_000;
    assert_eq!(last_minute_cost(&book, &s, 190_000_000), 33_334);
    // Realtime (v3): 3 credits/min per second; a started second counts.
    let r = session("realtime", "avatar_realtime", 3_000_000);
    assert_eq!(last_minute_cost(&book, &r, 9_000_001), 500_000);
    // Unknown feature: the minute's rate per second.
    let u = session("streaming", "nope", 60_000_000);
    assert_eq!(
        last_minute_cost(&book, &u, 90_000_000),
        90_000_000,
        "downtime keeps counting"
    );
}

#[test]
fn a_stop_may_lose_once_per_minute_ended_since_it_read_the_session() {
    assert_eq!(losses_allowed(0, 59_000_000), 2);
    assert_eq!(losses_allowed(0, 61_000_000), 3);
    assert_eq!(losses_allowed(0, 10 * MINUTE_US), 12);
    assert_eq!(losses_allowed(MINUTE_US, 0), 2, "a clock behind the slot");
}

/// The stop reads the session at 61 s, the minute held ahead at 58 s and
/// the first not yet captured; the tick then captures the first minute
/// whole and moves the session on; the stop's compare-and-set on the first
/// minute fails. It must still end the session, charging 61 s once: the
/// whole first minute, and 1 s of the second from the hold it moved on to.
async fn a_stop_that_lost_to_the_minute_end_still_ends_it(
    ledger: Arc<dyn Ledger>,
    clock: Arc<ManualClock>,
) {
    let dir = tempfile::tempdir().expect("dir");
    let state = state_on(&dir, ledger, clock.clone());
    let first = start(&state, "s1").await;
    at(&clock, 58);
    meter::tick(&state).await;
    let stop_at = at(&clock, 61);
    let read = row(&state, "s1").await;
    let ahead = read.next_hold_id.clone().expect("next minute held ahead");
    assert_eq!((read.hold_id.as_str(), read.captured), (first.as_str(), 0));
    meter::tick(&state).await;
    let moved = row(&state, "s1").await;
    assert_eq!(
        (moved.hold_id.as_str(), moved.captured),
        (ahead.as_str(), RATE),
        "the tick moved the session on under the stop"
    );
    close(&state, &read, stop_at, "client", false).await;
    let s = row(&state, "s1").await;
    assert_eq!(
        (s.state.as_str(), s.stop_reason.as_deref(), s.stopped_us),
        ("stopped", Some("client"), Some(stop_at)),
        "the stop was dropped"
    );
    assert_eq!(hold(&state, &first).await, (HoldState::Captured, RATE));
    assert_eq!(hold(&state, &ahead).await, (HoldState::Captured, SECOND));
    assert_eq!(s.captured, RATE + SECOND, "61 s, charged once");
    // The same stop again (a retried request, another replica's): the
    // session is no longer live, nothing more is charged.
    close(&state, &read, stop_at, "client", false).await;
    assert_eq!(row(&state, "s1").await, s);
    assert_eq!(hold(&state, &ahead).await, (HoldState::Captured, SECOND));
}

/// A budget stop judged on the minute that moved on is not carried over to
/// the new minute (whoever moved it held that one within the budget): the
/// session stays live on it for the next tick to judge.
async fn a_budget_stop_is_not_carried_to_the_next_minute(
    ledger: Arc<dyn Ledger>,
    clock: Arc<ManualClock>,
) {
    let dir = tempfile::tempdir().expect("dir");
    let state = state_on(&dir, ledger, clock.clone());
    start(&state, "s2").await;
    let now = at(&clock, 61);
    let read = row(&state, "s2").await;
    meter::tick(&state).await;
    close(&state, &read, now, "budget", true).await;
    let s = row(&state, "s2").await;
    assert!(s.is_live() && s.hold_id != read.hold_id, "{s:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_a_stop_that_lost_to_the_minute_end_still_ends_it() {
    for case in 0..2 {
        let dir = tempfile::tempdir().expect("dir");
        let clock = Arc::new(ManualClock::new(t0()));
        let ledger = sqlite(&dir, clock.clone()).await;
        match case {
            0 => a_stop_that_lost_to_the_minute_end_still_ends_it(ledger, clock).await,
            _ => a_budget_stop_is_not_carried_to_the_next_minute(ledger, clock).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_stop_that_lost_to_the_minute_end_still_ends_it() {
    let clock = Arc::new(ManualClock::new(t0()));
    let (ledger, _) = postgres(clock.clone()).await;
    a_stop_that_lost_to_the_minute_end_still_ends_it(ledger, clock).await;
}

/// The gateway stops `s1` itself (idle) at 30 s, the ledger records it, and
/// HeyGen fails the stop twice: each tick sends it again until HeyGen
/// answers, then no more. The session is charged to 30 s once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_stop_heygen_did_not_confirm_is_sent_again_until_it_is() {
    unconfirmed_stop_is_sent_again(http::StatusCode::BAD_GATEWAY).await;
}

/// A 429 to the gateway's own stop is "not now": the session may still
/// run on the org's account, so the stop is kept and sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_stop_heygen_rate_limited_is_sent_again() {
    unconfirmed_stop_is_sent_again(http::StatusCode::TOO_MANY_REQUESTS).await;
}

#[test]
fn only_a_definite_refusal_settles_a_stop() {
    for (status, last) in [
        (404, true),
        (400, true),
        (408, false),
        (429, false),
        (502, false),
    ] {
        assert_eq!(super::refusal_is_final(status), last, "{status}");
    }
}

async fn unconfirmed_stop_is_sent_again(refusal: http::StatusCode) {
    let dir = tempfile::tempdir().expect("dir");
    let mock = heygen_mock::MockHeygen::start(heygen_mock::MockConfig::new("sk_org"))
        .await
        .expect("mock");
    let clock = Arc::new(ManualClock::new(t0()));
    let ledger = sqlite(&dir, clock.clone()).await;
    let state =
        crate::sessions::test_rig::state_with_upstream(&dir, ledger, clock.clone(), &mock.url());
    let first = start(&state, "s1").await;
    let path = "/v3/avatar-realtime/s1";
    mock.control().on_path(path).fail_next(2, refusal);
    let stop_at = at(&clock, 30);
    let s = row(&state, "s1").await;
    close(&state, &s, stop_at, "idle", true).await;
    assert_eq!(row(&state, "s1").await.stopped_us, Some(stop_at));
    assert!(state.deferred_stops.contains("s1"), "the stop was not kept");
    let stops = || mock.control().requests_to(path).len();
    for (secs, sent) in [(31, 2), (32, 3), (33, 3)] {
        at(&clock, secs);
        meter::tick(&state).await;
        assert_eq!(stops(), sent, "at {secs} s");
    }
    assert!(!state.deferred_stops.contains("s1"), "still kept");
    assert_eq!(
        hold(&state, &first).await,
        (HoldState::Captured, 30 * SECOND)
    );
}
