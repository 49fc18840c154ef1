//! A live session whose first minute's hold was settled under it: the
//! start's guard captured it after the ledger's acknowledgement of the
//! registration was lost (PostgreSQL's connection dropping at the commit),
//! though the row was committed. The meter stops such a session at its
//! next tick and releases the minute held ahead, rather than failing every
//! tick; and a start whose registration seemed to fail transiently reads
//! the row again and ends it through the normal end path. On SQLite and on
//! PostgreSQL.

use std::sync::Arc;

use crate::clock::ManualClock;
use crate::ledger::{HoldState, Ledger, LedgerError, SessionFilter};
use crate::sessions::test_rig::{at, hold, postgres, row, sqlite, start, state_on, t0, SECOND};
use crate::sessions::{meter, not_registered, Opened, Owed};
use crate::state::AppState;

fn ledger_errors(state: &AppState) -> String {
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&state.registry.gather())
        .expect("encode");
    text.lines()
        .find(|l| l.starts_with(r#"heygen_gateway_ledger_errors_total{op="sessions"}"#))
        .unwrap_or_default()
        .to_string()
}

/// Held ahead at 58 s, then the first minute captured (10 s, as the start
/// would have): the tick at the minute's end, which would capture it,
/// releases the minute ahead and stops the session, with no ledger error.
async fn a_session_on_a_settled_minute_is_stopped_at_the_next_tick(
    ledger: Arc<dyn Ledger>,
    clock: Arc<ManualClock>,
) {
    let dir = tempfile::tempdir().expect("dir");
    let state = state_on(&dir, ledger, clock.clone());
    let first = start(&state, "s1").await;
    at(&clock, 58);
    meter::tick(&state).await;
    let ahead = row(&state, "s1").await.next_hold_id.expect("held ahead");
    state
        .ledger
        .capture_hold(&first, 10 * SECOND)
        .await
        .expect("capture");
    at(&clock, 61);
    meter::tick(&state).await;
    assert_eq!(hold(&state, &ahead).await, (HoldState::Released, 0));
    assert_eq!(
        hold(&state, &first).await,
        (HoldState::Captured, 10 * SECOND)
    );
    let s = row(&state, "s1").await;
    assert_eq!(
        (s.state.as_str(), s.stop_reason.as_deref()),
        ("stopped", Some(crate::ledger::STOP_SETTLED))
    );
    at(&clock, 62);
    meter::tick(&state).await;
    assert_eq!(
        ledger_errors(&state),
        r#"heygen_gateway_ledger_errors_total{op="sessions"} 0"#
    );
}

/// The registration committed but reported a transient failure: the start
/// finds the row, ends it at 5 s (charged to the second) and leaves its
/// guard nothing to settle; the meter has nothing left to meter.
async fn a_registration_reported_failed_but_committed_is_ended(
    ledger: Arc<dyn Ledger>,
    clock: Arc<ManualClock>,
) {
    let dir = tempfile::tempdir().expect("dir");
    let state = state_on(&dir, ledger, clock.clone());
    let first = start(&state, "s2").await;
    let registered = row(&state, "s2").await;
    at(&clock, 5);
    let lost = LedgerError::Unavailable("connection closed at commit".into());
    let opened = not_registered(&state, registered, lost).await;
    assert!(
        matches!(
            opened,
            Opened::Unmetered {
                owed: Owed::Settled,
                ..
            }
        ),
        "the row was found and ended"
    );
    let s = row(&state, "s2").await;
    assert_eq!(
        (s.state.as_str(), s.stop_reason.as_deref()),
        ("stopped", Some("unregistered"))
    );
    assert_eq!(
        hold(&state, &first).await,
        (HoldState::Captured, 5 * SECOND)
    );
    at(&clock, 58);
    meter::tick(&state).await;
    let live = state.ledger.sessions(SessionFilter::Live).await;
    assert!(live.expect("sessions").is_empty());
    assert!(state.unregistered.contains("s2"), "a replay stays refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_a_settled_first_minute_ends_the_session() {
    for case in 0..2 {
        let dir = tempfile::tempdir().expect("dir");
        let clock = Arc::new(ManualClock::new(t0()));
        let ledger = sqlite(&dir, clock.clone()).await;
        match case {
            0 => a_session_on_a_settled_minute_is_stopped_at_the_next_tick(ledger, clock).await,
            _ => a_registration_reported_failed_but_committed_is_ended(ledger, clock).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_settled_first_minute_ends_the_session() {
    for case in 0..2 {
        let clock = Arc::new(ManualClock::new(t0()));
        let (ledger, _) = postgres(clock.clone()).await;
        match case {
            0 => a_session_on_a_settled_minute_is_stopped_at_the_next_tick(ledger, clock).await,
            _ => a_registration_reported_failed_but_committed_is_ended(ledger, clock).await,
        }
    }
}
