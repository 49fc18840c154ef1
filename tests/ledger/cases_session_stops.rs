//! Stops around a minute's end: a stop in the last ticks paying to the
//! second and releasing the minute held ahead (also from a reopened
//! ledger), a stop that lost the race to the minute-end capture
//! settling, once, against the minute it moved on to, and the marks on
//! stops HeyGen did not confirm.

use heygen_gateway::ledger::*;

use crate::cases_session_minutes::{acme, hold_of, live_with_minute_ahead};
use crate::cases_sessions::{minute_req, session_row};
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

/// Acme's session `id` live on a fresh minute, stopped at `end_us` for
/// `reason`.
async fn stopped(l: &dyn Ledger, id: &str, reason: &str, end_us: i64) {
    let h = held(l.hold(minute_req()).await.unwrap());
    l.open_session(&session_row(id, &h, "live")).await.unwrap();
    let end = l.end_session(id, &h, reason, end_us, credits(1) / 2).await;
    assert!(end.unwrap().is_some(), "{id} not stopped");
}

/// Ids and (reason, stop time) of the sessions whose stop is unconfirmed
/// since `since_us`.
async fn unconfirmed(l: &dyn Ledger, since_us: i64, limit: u32) -> Vec<(String, String, i64)> {
    let rows = l.unconfirmed_stops(since_us, limit).await.unwrap();
    rows.into_iter()
        .map(|s| {
            assert_eq!(s.state, "stopped");
            let reason = s.stop_reason.unwrap_or_default();
            (s.session_id, reason, s.stopped_us.unwrap_or_default())
        })
        .collect()
}

/// A stop HeyGen did not confirm is marked on a stopped session only, once
/// (a second mark keeps the first time, which the retry window counts
/// from); the marks since a time are listed oldest first, with the stop's
/// reason and time, from a reopened ledger and another replica too; marks
/// older than that are not; clearing is idempotent, on any replica.
pub async fn unconfirmed_stops_are_marked_listed_and_cleared(f: Fixture) {
    let l = f.ledger.as_ref();
    stopped(l, "s1", "idle", 30_000).await;
    stopped(l, "s2", "budget", 40_000).await;
    stopped(l, "old", "idle", 10_000).await;
    let h = held(l.hold(minute_req()).await.unwrap());
    l.open_session(&session_row("live", &h, "live"))
        .await
        .unwrap();
    for (id, at) in [("s1", 100), ("s2", 200), ("old", 50), ("live", 100)] {
        l.mark_stop_unconfirmed(id, at).await.unwrap();
    }
    l.mark_stop_unconfirmed("s1", 300).await.unwrap();
    l.mark_stop_unconfirmed("unknown", 100).await.unwrap();
    let both = vec![
        ("s1".to_string(), "idle".to_string(), 30_000),
        ("s2".to_string(), "budget".to_string(), 40_000),
    ];
    assert_eq!(unconfirmed(l, 100, 10).await, both, "live, old or unknown");
    assert_eq!(unconfirmed(l, 100, 1).await, both[..1].to_vec());
    assert_eq!(
        unconfirmed(l, 101, 10).await,
        both[1..].to_vec(),
        "re-marked"
    );
    assert_eq!(unconfirmed(l, 0, 10).await.len(), 3, "old is still marked");

    let f = f.reopen().await;
    let (l, replica) = (f.ledger.as_ref(), f.open_again().await);
    assert_eq!(unconfirmed(replica.as_ref(), 100, 10).await, both);
    // Two replicas that both sent s1's stop clear it at once.
    let (a, b) = tokio::join!(
        l.clear_stop_unconfirmed("s1"),
        replica.clear_stop_unconfirmed("s1")
    );
    a.unwrap();
    b.unwrap();
    l.clear_stop_unconfirmed("s1").await.unwrap();
    l.clear_stop_unconfirmed("unknown").await.unwrap();
    assert_eq!(unconfirmed(l, 100, 10).await, both[1..].to_vec());
    replica.clear_stop_unconfirmed("s2").await.unwrap();
    assert!(unconfirmed(l, 100, 10).await.is_empty());
    // The stops themselves are as they were.
    let s = session(l, "s1").await;
    assert_eq!((s.state.as_str(), s.stopped_us), ("stopped", Some(30_000)));
}
