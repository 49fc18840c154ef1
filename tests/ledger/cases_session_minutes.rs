//! A session's last ticks of a minute: the next minute held ahead of the
//! current one's end, the current one captured only once it has ended; the
//! minute ahead neither a second session for the cap nor expired by its
//! TTL. Stops around the minute's end are in `cases_session_stops`.

use heygen_gateway::ledger::*;
use heygen_gateway::money::Micros;

use crate::cases_sessions::{minute_req, on, session_row};
use crate::support::*;
use crate::Fixture;

/// Acme's session `id` live on a fresh first minute (1 credit, from 1 ms),
/// with its next minute (from 61 ms) held ahead at 59 ms. Returns the
/// (current, ahead) hold ids.
pub(crate) async fn live_with_minute_ahead(l: &dyn Ledger, id: &str) -> (String, String) {
    let h1 = held(l.hold(minute_req()).await.unwrap());
    l.open_session(&session_row(id, &h1, "live")).await.unwrap();
    let next = l
        .next_session_minute(on(id, &h1, None), minute_req(), 61_000, 59_000)
        .await
        .unwrap();
    let NextMinute::Held {
        hold_id,
        ended: None,
    } = next
    else {
        panic!("held ahead, nothing captured: {next:?}");
    };
    (h1, hold_id)
}

pub(crate) async fn hold_of(l: &dyn Ledger, id: &str) -> HoldInfo {
    l.get_hold(id).await.unwrap().unwrap()
}

pub(crate) async fn acme(l: &dyn Ledger) -> (Micros, Micros) {
    counts(l, tenant("acme"), t0(), Window::Daily).await
}

/// Within the last ticks of a minute the next one is held while the
/// current one stays held (not captured); a meter that read the session
/// before changes nothing; once the minute has ended it is captured whole
/// and the session moves on. Two replicas holding ahead at once take one
/// hold between them.
pub async fn the_minute_ahead_is_held_before_the_current_one_is_captured(f: Fixture) {
    let l = f.ledger.as_ref();
    let h1 = held(l.hold(minute_req()).await.unwrap());
    l.open_session(&session_row("s1", &h1, "live"))
        .await
        .unwrap();
    let other = f.open_again().await;
    let (a, b) = tokio::join!(
        l.next_session_minute(on("s1", &h1, None), minute_req(), 61_000, 59_000),
        other.next_session_minute(on("s1", &h1, None), minute_req(), 61_000, 59_000),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let ahead = match (&a, &b) {
        (NextMinute::Held { hold_id, ended }, NextMinute::Moved)
        | (NextMinute::Moved, NextMinute::Held { hold_id, ended }) => {
            assert_eq!(*ended, None, "the current minute runs on");
            hold_id.clone()
        }
        _ => panic!("exactly one replica holds ahead: {a:?} {b:?}"),
    };
    let s = session(l, "s1").await;
    assert_eq!(
        (s.hold_id.as_str(), s.next_hold_id.as_deref()),
        (h1.as_str(), Some(ahead.as_str()))
    );
    assert_eq!(
        (s.minutes, s.captured, s.slot_us),
        (2, 0, 1_000),
        "two minutes held"
    );
    assert_eq!(hold_of(l, &h1).await.state, HoldState::Held);
    assert_eq!(
        acme(l).await,
        (credits(2), 0),
        "two minutes held, none spent"
    );
    // A meter that read the session before the minute was held ahead.
    let stale = l
        .next_session_minute(on("s1", &h1, None), minute_req(), 61_000, 59_500)
        .await
        .unwrap();
    assert_eq!(stale, NextMinute::Moved);
    assert_eq!(acme(l).await, (credits(2), 0), "no third hold");
    // The minute ends: captured whole, the session moves on.
    let rolled = l
        .next_session_minute(s.minute(), minute_req(), 61_000, 61_000)
        .await
        .unwrap();
    let NextMinute::Held {
        hold_id,
        ended: Some(ended),
    } = rolled
    else {
        panic!("moved on: {rolled:?}");
    };
    assert_eq!(
        (hold_id.as_str(), ended.captured),
        (ahead.as_str(), credits(1))
    );
    let s = session(l, "s1").await;
    assert_eq!((s.hold_id.as_str(), s.next_hold_id), (ahead.as_str(), None));
    assert_eq!((s.minutes, s.captured, s.slot_us), (2, credits(1), 61_000));
    assert_eq!(acme(l).await, (credits(1), credits(1)));
    let again = l
        .next_session_minute(on("s1", &h1, Some(&ahead)), minute_req(), 61_000, 61_000)
        .await
        .unwrap();
    assert_eq!(again, NextMinute::Moved, "moved on once");
}

/// A minute held ahead belongs to a session already counted: it does not
/// take a second slot of the session cap, and it is left to the meter past
/// its TTL like the current minute (expired, the session could not move
/// on to it).
pub async fn the_minute_ahead_is_neither_a_session_nor_expired(f: Fixture) {
    let l = f.ledger.as_ref();
    let (h1, h2) = live_with_minute_ahead(l, "s1").await;
    let start = || {
        let mut r = minute_req();
        r.session_cap = Some(SessionCap {
            tenant: Some(2),
            org: None,
            features: vec!["streaming".into()],
        });
        r
    };
    held(l.hold(start()).await.unwrap());
    assert!(
        matches!(
            l.hold(start()).await.unwrap(),
            HoldDecision::SessionCapReached { cap: 2, .. }
        ),
        "two sessions now"
    );
    let expired = l
        .expire_holds(t0() + chrono::Duration::days(3))
        .await
        .unwrap();
    let ids: Vec<&str> = expired.iter().map(|x| x.hold_id.as_str()).collect();
    assert_eq!(ids.len(), 1, "only the start no session row owns: {ids:?}");
    assert!(!ids.contains(&h1.as_str()) && !ids.contains(&h2.as_str()));
    let rolled = l
        .next_session_minute(on("s1", &h1, Some(&h2)), minute_req(), 61_000, 61_000)
        .await
        .unwrap();
    assert!(
        matches!(rolled, NextMinute::Held { ended: Some(_), .. }),
        "{rolled:?}"
    );
}
