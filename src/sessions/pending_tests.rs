//! A stop the ledger fails to record is kept, and the next tick settles it
//! as of the stop; the session is not metered on in between.
//!
//! The ledger is PostgreSQL, and its failure a trigger that aborts the
//! update marking a session stopped (the last write of a stop's
//! transaction, so the whole transaction rolls back and `end_session`
//! returns an error) with SQLSTATE 58030, an I/O error, while the rest of
//! the ledger, the meter's holds included, still works. The backend reports
//! that class as the ledger being unavailable, as it does a server that is
//! restarting, so a retry may succeed. A failure it reports as a refusal
//! (one the same statement would meet again) is not kept.

use std::sync::Arc;

use crate::clock::ManualClock;
use crate::ledger::{HoldState, Ledger};
use crate::sessions::test_rig::{
    at, hold, postgres, row, sqlite, sqlite_path, start, state_on, t0, RATE, SECOND,
};
use crate::sessions::{meter, stop};
use crate::state::AppState;

/// Makes every session stop in the database at `url` fail with SQLSTATE
/// `code` (`Some`) or work again (`None`).
async fn fail_stops_with(url: &str, code: Option<&str>) {
    let sql = match code {
        Some(code) => format!(
            "CREATE FUNCTION fail_stop() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'injected failure' USING ERRCODE = '{code}'; END $$; \
             CREATE TRIGGER fail_stops BEFORE UPDATE OF stop_reason ON sessions \
             FOR EACH ROW EXECUTE FUNCTION fail_stop();"
        ),
        None => "DROP TRIGGER fail_stops ON sessions; DROP FUNCTION fail_stop();".into(),
    };
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    let conn = tokio::spawn(conn);
    client.batch_execute(&sql).await.expect("trigger");
    drop(client);
    let _ = conn.await;
}

/// Makes every session stop fail as if the disk had failed (`true`), or
/// work again (`false`).
pub(super) async fn fail_stops(url: &str, fail: bool) {
    fail_stops_with(url, fail.then_some("58030")).await;
}

/// Runs `sql` on the SQLite ledger file in `dir`.
fn sqlite_trigger(dir: &tempfile::TempDir, sql: &str) {
    let c = rusqlite::Connection::open(sqlite_path(dir)).expect("open the ledger file");
    c.busy_timeout(std::time::Duration::from_secs(10))
        .expect("busy timeout");
    c.execute_batch(sql).expect("trigger");
}

/// A state on `ledger` with realtime session `s1` started at t0; returns
/// its first minute's hold too.
async fn started_on(
    dir: &tempfile::TempDir,
    ledger: Arc<dyn Ledger>,
    clock: Arc<ManualClock>,
) -> (AppState, String) {
    let state = state_on(dir, ledger, clock);
    let first = start(&state, "s1").await;
    (state, first)
}

/// [`started_on`] a fresh PostgreSQL ledger; returns its URL too.
async fn started(dir: &tempfile::TempDir) -> (AppState, Arc<ManualClock>, String, String) {
    let clock = Arc::new(ManualClock::new(t0()));
    let (ledger, url) = postgres(clock.clone()).await;
    let (state, first) = started_on(dir, ledger, clock.clone()).await;
    (state, clock, first, url)
}

/// The client stops the session at 30 s while the ledger fails. The tick at
/// 59 s, within two ticks of the minute's end, would hold the next minute:
/// the ledger still fails the stop, and the stopped session gets no more
/// minutes. Once the ledger works, the next tick settles the stop at 30 s:
/// 30 s are charged, not the time up to the retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_stop_is_settled_by_the_next_tick_as_of_the_stop() {
    let dir = tempfile::tempdir().expect("dir");
    let (state, clock, first, url) = started(&dir).await;
    fail_stops(&url, true).await;
    let stop_at = at(&clock, 30);
    stop::end(&state, "s1", "client").await;
    assert!(row(&state, "s1").await.is_live(), "the injected failure");
    at(&clock, 59);
    meter::tick(&state).await;
    let s = row(&state, "s1").await;
    assert!(s.is_live(), "the ledger still fails the stop");
    assert_eq!(
        (s.minutes, s.next_hold_id),
        (1, None),
        "a minute was held after the session stopped"
    );
    fail_stops(&url, false).await;
    at(&clock, 75);
    meter::tick(&state).await;
    let s = row(&state, "s1").await;
    assert_eq!(
        (s.state.as_str(), s.stop_reason.as_deref(), s.stopped_us),
        ("stopped", Some("client"), Some(stop_at)),
        "the failed stop was not settled as of the stop"
    );
    assert_eq!(
        (s.captured, s.minutes),
        (30 * SECOND, 1),
        "30 s, charged once"
    );
    assert_eq!(
        hold(&state, &first).await,
        (HoldState::Captured, 30 * SECOND)
    );
    assert!(!state.deferred_stops.contains("s1"));
    at(&clock, 200);
    meter::tick(&state).await;
    assert_eq!(row(&state, "s1").await, s, "settled once");
}

/// The stop fails at 61 s, after the tick held the next minute ahead and
/// before it captured the first: the tick at 62 s neither captures the
/// first minute nor moves on; the retry charges 61 s from both holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_stop_with_a_minute_held_ahead_pays_to_the_second() {
    let dir = tempfile::tempdir().expect("dir");
    let (state, clock, first, url) = started(&dir).await;
    at(&clock, 58);
    meter::tick(&state).await;
    let ahead = row(&state, "s1").await.next_hold_id.expect("held ahead");
    fail_stops(&url, true).await;
    let stop_at = at(&clock, 61);
    stop::end(&state, "s1", "client").await;
    at(&clock, 62);
    meter::tick(&state).await;
    let s = row(&state, "s1").await;
    assert_eq!(
        (s.hold_id.as_str(), s.captured, s.minutes),
        (first.as_str(), 0, 2),
        "the meter moved a stopped session on"
    );
    fail_stops(&url, false).await;
    at(&clock, 63);
    meter::tick(&state).await;
    let s = row(&state, "s1").await;
    assert_eq!((s.state.as_str(), s.stopped_us), ("stopped", Some(stop_at)));
    assert_eq!(hold(&state, &first).await, (HoldState::Captured, RATE));
    assert_eq!(hold(&state, &ahead).await, (HoldState::Captured, SECOND));
    assert_eq!(s.captured, RATE + SECOND, "61 s");
}

/// The stop fails at 30 s; the client sends its stop again at 40 s, and the
/// ledger takes that one: the session still ended at 30 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_stop_settles_as_of_the_failed_one() {
    let dir = tempfile::tempdir().expect("dir");
    let (state, clock, _, url) = started(&dir).await;
    fail_stops(&url, true).await;
    let stop_at = at(&clock, 30);
    stop::end(&state, "s1", "client").await;
    fail_stops(&url, false).await;
    at(&clock, 40);
    stop::end(&state, "s1", "client").await;
    let s = row(&state, "s1").await;
    assert_eq!((s.stopped_us, s.captured), (Some(stop_at), 30 * SECOND));
    assert!(!state.deferred_stops.contains("s1"));
}

/// The stop fails at 30 s; before the next tick another replica (its own
/// memory, the same ledger) stops the session at 40 s and charges it. The
/// retry finds it ended and drops the stop: nothing is charged twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_stop_of_a_session_ended_meanwhile_is_dropped() {
    let dir = tempfile::tempdir().expect("dir");
    let (state, clock, first, url) = started(&dir).await;
    fail_stops(&url, true).await;
    at(&clock, 30);
    stop::end(&state, "s1", "client").await;
    assert!(state.deferred_stops.contains("s1"), "the stop was not kept");
    fail_stops(&url, false).await;
    let other = state_on(&dir, state.ledger.clone(), clock.clone());
    let ended_at = at(&clock, 40);
    stop::end(&other, "s1", "client").await;
    let s = row(&state, "s1").await;
    assert_eq!((s.stopped_us, s.captured), (Some(ended_at), 40 * SECOND));
    at(&clock, 45);
    meter::tick(&state).await;
    assert_eq!(row(&state, "s1").await, s, "charged twice");
    assert_eq!(
        hold(&state, &first).await,
        (HoldState::Captured, 40 * SECOND)
    );
    assert!(
        !state.deferred_stops.contains("s1"),
        "the stop is still kept"
    );
}

/// Stops `s1` at 30 s while the ledger refuses it: the stop is not kept,
/// and the session stays with the meter, which holds its next minute.
async fn refused_stop_is_left_to_the_meter(state: &AppState, clock: &ManualClock, what: &str) {
    at(clock, 30);
    stop::end(state, "s1", "client").await;
    assert!(
        !state.deferred_stops.contains("s1"),
        "{what}: a refused stop was kept"
    );
    at(clock, 59);
    meter::tick(state).await;
    assert!(
        row(state, "s1").await.next_hold_id.is_some(),
        "{what}: the meter no longer meters the session"
    );
}

/// A stop the ledger refuses rather than fails would be refused again: it
/// is not kept, and the session stays with the meter, which goes on holding
/// its minutes and can still end it. Refusals: a rule of the ledger's own
/// (a trigger's abort, reported as a conflict), an error SQLite would give
/// again (integer overflow) and PostgreSQL's `check_violation` (23514).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_the_ledger_refuses_is_left_to_the_meter() {
    for (what, body) in [
        ("abort", "SELECT RAISE(ABORT, 'injected refusal');"),
        ("overflow", "SELECT abs(-9223372036854775808);"),
    ] {
        let dir = tempfile::tempdir().expect("dir");
        let clock = Arc::new(ManualClock::new(t0()));
        let (state, _) = started_on(&dir, sqlite(&dir, clock.clone()).await, clock.clone()).await;
        sqlite_trigger(
            &dir,
            &format!(
                "CREATE TRIGGER refuse_stops BEFORE UPDATE OF stop_reason ON sessions \
                 BEGIN {body} END;"
            ),
        );
        refused_stop_is_left_to_the_meter(&state, &clock, what).await;
    }
    let dir = tempfile::tempdir().expect("dir");
    let (state, clock, _, url) = started(&dir).await;
    fail_stops_with(&url, Some("23514")).await;
    refused_stop_is_left_to_the_meter(&state, &clock, "check_violation").await;
}
