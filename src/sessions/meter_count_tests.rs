//! `session_meter_ticks_total` counts a pass only once it judged every
//! live session: a pass that could not read them from the ledger is not
//! counted, so a reader waiting for passes (ops, the integration tests'
//! `await_meter_passes`) never takes one that looked at nothing.

use std::sync::Arc;

use crate::clock::ManualClock;
use crate::sessions::meter;
use crate::sessions::test_rig::{at, sqlite, sqlite_path, start, state_on, t0};
use crate::state::AppState;

/// The value of `series` as exported now.
fn sample(state: &AppState, series: &str) -> String {
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&state.registry.gather())
        .expect("encode");
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ').map(str::to_owned))
        .unwrap_or_else(|| panic!("{series} not exported:\n{text}"))
}

/// Runs `sql` on the ledger file behind the gateway's back.
fn alter(dir: &tempfile::TempDir, sql: &str) {
    let db = rusqlite::Connection::open(sqlite_path(dir)).expect("open ledger");
    db.execute_batch(sql).expect("alter ledger");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_is_counted_once_it_read_the_live_sessions() {
    let ticks = "heygen_gateway_session_meter_ticks_total";
    let errors = r#"heygen_gateway_ledger_errors_total{op="sessions"}"#;
    let dir = tempfile::tempdir().expect("dir");
    let clock = Arc::new(ManualClock::new(t0()));
    let state = state_on(&dir, sqlite(&dir, clock.clone()).await, clock.clone());
    start(&state, "s1").await;
    assert_eq!(sample(&state, ticks), "0", "exported at 0 from start");
    at(&clock, 10);
    meter::tick(&state).await;
    assert_eq!(sample(&state, ticks), "1");
    // The live sessions cannot be read: the pass ends early, uncounted.
    alter(&dir, "ALTER TABLE sessions RENAME TO sessions_away;");
    meter::tick(&state).await;
    assert_eq!(sample(&state, ticks), "1", "a pass that read nothing");
    assert_eq!(sample(&state, errors), "1");
    alter(&dir, "ALTER TABLE sessions_away RENAME TO sessions;");
    meter::tick(&state).await;
    assert_eq!(sample(&state, ticks), "2");
}
