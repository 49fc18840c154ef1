//! A live session whose current minute's hold was settled elsewhere (a
//! start's guard captured it after a registration whose acknowledgement
//! was lost, an operator's capture): moving on and ending take it as
//! settled and stop the session, releasing the minute held ahead, rather
//! than failing every tick with the minute ahead stranded (exempt from
//! expiry) and the budget short by it. And a session's minutes are all
//! held at its first minute's price version.

use heygen_gateway::ledger::*;

use crate::cases_session_minutes::{acme, hold_of, live_with_minute_ahead};
use crate::cases_sessions::{minute_req, on, session_row};
use crate::support::*;
use crate::Fixture;

/// Moving on finds the current minute captured: the minute held ahead is
/// released, the session stopped, and the meter's next look finds it gone.
pub async fn a_settled_current_minute_stops_the_session_on_moving_on(f: Fixture) {
    let l = f.ledger.as_ref();
    let (h1, h2) = live_with_minute_ahead(l, "s1").await;
    // Half a minute, as `not_registered` would have captured it.
    let half = credits(1) / 2;
    l.capture_hold(&h1, half).await.unwrap();
    let next = l
        .next_session_minute(on("s1", &h1, Some(&h2)), minute_req(), 61_000, 61_000)
        .await
        .unwrap();
    let NextMinute::Settled(settled) = next else {
        panic!("stopped as settled: {next:?}");
    };
    assert_eq!((settled.captured, settled.released), (0, credits(1)));
    assert_eq!(hold_of(l, &h2).await.state, HoldState::Released);
    assert_eq!(hold_of(l, &h1).await.captured, half, "left as it was");
    let s = session(l, "s1").await;
    assert_eq!(s.state, "stopped");
    assert_eq!(s.stop_reason.as_deref(), Some(STOP_SETTLED));
    assert_eq!((s.captured, s.next_hold_id), (half, None));
    assert_eq!(acme(l).await, (0, half), "nothing held any more");
    assert!(l.sessions(SessionFilter::Live).await.unwrap().is_empty());
    let again = l
        .next_session_minute(on("s1", &h1, None), minute_req(), 121_000, 121_000)
        .await
        .unwrap();
    assert_eq!(again, NextMinute::Moved, "stopped once");
}

/// Holding ahead finds the current minute released: nothing is held, the
/// session is stopped.
pub async fn a_settled_current_minute_holds_nothing_ahead(f: Fixture) {
    let l = f.ledger.as_ref();
    let h1 = held(l.hold(minute_req()).await.unwrap());
    l.open_session(&session_row("s1", &h1, "live"))
        .await
        .unwrap();
    l.release(&h1, "operator").await.unwrap();
    let next = l
        .next_session_minute(on("s1", &h1, None), minute_req(), 61_000, 59_000)
        .await
        .unwrap();
    assert!(
        matches!(&next, NextMinute::Settled(s) if s.released == 0),
        "{next:?}"
    );
    assert_eq!(acme(l).await, (0, 0), "no minute held ahead");
    assert_eq!(session(l, "s1").await.state, "stopped");
}

/// A stop finds the current minute captured: it charges nothing more,
/// releases the minute ahead and stops the session with its own reason.
pub async fn a_stop_of_a_settled_current_minute_releases_the_minute_ahead(f: Fixture) {
    let l = f.ledger.as_ref();
    let (h1, h2) = live_with_minute_ahead(l, "s1").await;
    l.capture_hold(&h1, credits(1)).await.unwrap();
    let settled = l
        .end_session("s1", &h1, "client", 70_000, credits(2))
        .await
        .unwrap()
        .expect("ended");
    assert_eq!((settled.captured, settled.released), (0, credits(1)));
    assert_eq!(hold_of(l, &h2).await.state, HoldState::Released);
    let s = session(l, "s1").await;
    assert_eq!(
        (s.state.as_str(), s.stop_reason.as_deref()),
        ("stopped", Some("client"))
    );
    assert_eq!((s.captured, s.stopped_us), (credits(1), Some(70_000)));
    assert_eq!(acme(l).await, (0, credits(1)));
}

/// The minute held ahead takes the current minute's price version, not
/// the one the meter's request carries (the book after a reload).
pub async fn a_sessions_minutes_keep_its_first_price_version(f: Fixture) {
    let l = f.ledger.as_ref();
    let mut first = minute_req();
    first.price_version = "v-first".into();
    let h1 = held(l.hold(first).await.unwrap());
    l.open_session(&session_row("s1", &h1, "live"))
        .await
        .unwrap();
    let mut reloaded = minute_req();
    reloaded.price_version = "v-reloaded".into();
    let next = l
        .next_session_minute(on("s1", &h1, None), reloaded, 61_000, 61_000)
        .await
        .unwrap();
    let NextMinute::Held { hold_id, .. } = next else {
        panic!("moved on: {next:?}");
    };
    assert_eq!(hold_of(l, &hold_id).await.price_version, "v-first");
}
