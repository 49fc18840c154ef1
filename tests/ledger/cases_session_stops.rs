//! Stops around a minute's end: a stop in the last ticks paying to the
//! second and releasing the minute held ahead (also from a reopened
//! ledger), and a stop that lost the race to the minute-end capture
//! settling, once, against the minute it moved on to.

use heygen_gateway::ledger::*;

use crate::cases_session_minutes::{acme, hold_of, live_with_minute_ahead};
use crate::cases_sessions::minute_req;
use crate::support::*;
use crate::Fixture;

/// A stop before the current minute's end pays it to the second and
/// releases the minute held ahead; past the end the minute ahead pays the
/// rest. The ledger alone (reopened, as after a restart) knows which hold
/// is which.
pub async fn a_stop_inside_the_last_ticks_pays_to_the_second(f: Fixture) {
    let (h1, h2) = live_with_minute_ahead(f.ledger.as_ref(), "s1").await;
    let (g1, g2) = live_with_minute_ahead(f.ledger.as_ref(), "s2").await;
    let (k1, k2) = live_with_minute_ahead(f.ledger.as_ref(), "s3").await;
    let f = f.reopen().await;
    let l = f.ledger.as_ref();
    // s1 stops at 59 ms, owing 0.9 credit: all of it the current minute's.
    let tenth = credits(1) / 10;
    let end = l
        .end_session("s1", &h1, "client", 59_000, 9 * tenth)
        .await
        .unwrap()
        .expect("ended");
    assert_eq!(
        (end.captured, end.released),
        (9 * tenth, tenth + credits(1))
    );
    assert_eq!(hold_of(l, &h1).await.captured, 9 * tenth);
    let ahead = hold_of(l, &h2).await;
    assert_eq!((ahead.state, ahead.captured), (HoldState::Released, 0));
    let s = session(l, "s1").await;
    assert_eq!(
        (s.state.as_str(), s.captured, s.next_hold_id),
        ("stopped", 9 * tenth, None)
    );
    // s2 ends past its minute's end, owing 1.25: the minute ahead pays 0.25.
    let end = l
        .end_session("s2", &g1, "idle", 76_000, credits(1) + credits(1) / 4)
        .await
        .unwrap()
        .expect("ended");
    assert_eq!(end.captured, credits(1) + credits(1) / 4);
    assert_eq!(hold_of(l, &g1).await.captured, credits(1));
    let ahead = hold_of(l, &g2).await;
    assert_eq!(
        (ahead.state, ahead.captured),
        (HoldState::Captured, credits(1) / 4)
    );
    // s3 owes nothing (idle since its minute began): both released.
    let end = l
        .end_session("s3", &k1, "idle", 1_000, 0)
        .await
        .unwrap()
        .expect("ended");
    assert_eq!((end.captured, end.released), (0, credits(2)));
    for h in [&k1, &k2] {
        assert_eq!(hold_of(l, h).await.state, HoldState::Released);
    }
    let spent = 9 * tenth + credits(1) + credits(1) / 4;
    assert_eq!(acme(l).await, (0, spent), "nothing left held");
    assert!(l.sessions(SessionFilter::Live).await.unwrap().is_empty());
}

/// A stop that read the session before another replica's minute-end
/// capture moved it on: its compare-and-set on the old minute changes
/// nothing, and on the row read again it settles against the new current
/// minute, priced from that row's `captured` — the minute captured whole
/// stays captured, the rest is charged once. (The gateway's stop does
/// exactly this: `sessions::stop`.)
pub async fn a_stop_that_lost_to_the_minute_end_settles_on_the_new_minute(f: Fixture) {
    let l = f.ledger.as_ref();
    let (h1, h2) = live_with_minute_ahead(l, "s1").await;
    let read = session(l, "s1").await;
    let replica = f.open_again().await;
    let rolled = replica
        .next_session_minute(read.minute(), minute_req(), 61_000, 61_000)
        .await
        .unwrap();
    assert!(
        matches!(rolled, NextMinute::Held { ended: Some(_), .. }),
        "{rolled:?}"
    );
    // Stopped at 64 ms, owing 1.05 credits by what the stop read.
    let twentieth = credits(1) / 20;
    let lost = l
        .end_session(
            "s1",
            &read.hold_id,
            "client",
            64_000,
            credits(1) + twentieth,
        )
        .await
        .unwrap();
    assert_eq!(lost, None, "the session moved on under the stop");
    assert_eq!(hold_of(l, &h2).await.state, HoldState::Held, "untouched");
    assert_eq!(acme(l).await, (credits(1), credits(1)));
    let again = session(l, "s1").await;
    assert_eq!(
        (
            again.hold_id.as_str(),
            again.next_hold_id.as_deref(),
            again.captured
        ),
        (h2.as_str(), None, credits(1))
    );
    let end = l
        .end_session("s1", &again.hold_id, "client", 64_000, twentieth)
        .await
        .unwrap()
        .expect("ended on the new minute");
    assert_eq!(
        (end.captured, end.released),
        (twentieth, credits(1) - twentieth)
    );
    assert_eq!(hold_of(l, &h1).await.captured, credits(1));
    let ahead = hold_of(l, &h2).await;
    assert_eq!(
        (ahead.state, ahead.captured),
        (HoldState::Captured, twentieth)
    );
    let s = session(l, "s1").await;
    assert_eq!(
        (s.state.as_str(), s.captured),
        ("stopped", credits(1) + twentieth)
    );
    assert_eq!(acme(l).await, (0, credits(1) + twentieth), "charged once");
    // The stop's first attempt again (a retry whose answer was lost):
    // nothing left to stop, nothing charged.
    let late = l
        .end_session("s1", &h1, "client", 64_000, credits(1) + twentieth)
        .await
        .unwrap();
    assert_eq!(late, None);
    assert_eq!(acme(l).await, (0, credits(1) + twentieth));
}
