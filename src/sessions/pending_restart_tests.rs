//! A stop the gateway made itself (idle) that HeyGen did not confirm
//! outlives the process that made it: the ledger marks it, and a new
//! process on the same ledger (a deploy, a crash: its set of kept stops
//! empty) sends it again from its first tick until HeyGen confirms it, then
//! never again; one older than the retry window is not sent.

use std::sync::Arc;

use super::UNCONFIRMED_RETRY_US;
use crate::clock::ManualClock;
use crate::ledger::Ledger;
use crate::sessions::meter;
use crate::sessions::test_rig::{at, postgres, row, sqlite, start, state_with_upstream, t0};
use crate::state::AppState;

const PATH: &str = "/v3/avatar-realtime/s1";

/// One HeyGen, one clock and one ledger store that processes come and go on.
struct Rig {
    dir: tempfile::TempDir,
    mock: heygen_mock::MockHeygen,
    clock: Arc<ManualClock>,
    /// The PostgreSQL database; `None`: SQLite in `dir`.
    url: Option<String>,
}

impl Rig {
    async fn new(on_postgres: bool) -> Rig {
        let mock = heygen_mock::MockHeygen::start(heygen_mock::MockConfig::new("sk_org"))
            .await
            .expect("mock");
        let clock = Arc::new(ManualClock::new(t0()));
        let url = if on_postgres {
            Some(postgres(clock.clone()).await.1)
        } else {
            None
        };
        let dir = tempfile::tempdir().expect("dir");
        Rig {
            dir,
            mock,
            clock,
            url,
        }
    }

    /// A process starting: its own ledger handle on the store, nothing kept.
    async fn process(&self) -> AppState {
        let ledger: Arc<dyn Ledger> = match &self.url {
            Some(url) => Arc::new(
                crate::ledger::PostgresLedger::connect_with_clock(url, 4, self.clock.clone())
                    .await
                    .expect("postgres"),
            ),
            None => sqlite(&self.dir, self.clock.clone()).await,
        };
        state_with_upstream(&self.dir, ledger, self.clock.clone(), &self.mock.url())
    }

    /// Stops sent to HeyGen so far.
    fn stops(&self) -> usize {
        self.mock.control().requests_to(PATH).len()
    }

    /// HeyGen fails the next `n` stops with a 5xx.
    fn fail_stops(&self, n: u32) {
        let status = http::StatusCode::BAD_GATEWAY;
        self.mock.control().on_path(PATH).fail_next(n, status);
    }

    /// A process starts `s1` at t0 and meters it until it goes idle (at
    /// 120 s, stopped by the tick at 121 s); HeyGen fails that stop. The
    /// process then ends, its kept stop with it. Returns the row as stopped.
    async fn unconfirmed_idle_stop(&self) -> crate::ledger::SessionRow {
        let first = self.process().await;
        start(&first, "s1").await;
        self.fail_stops(1);
        for secs in [59, 61, 119, 121] {
            at(&self.clock, secs);
            meter::tick(&first).await;
        }
        let stopped = row(&first, "s1").await;
        let idle_end = (t0() + chrono::Duration::seconds(120)).timestamp_micros();
        assert_eq!(stopped.stopped_us, Some(idle_end));
        assert_eq!(self.stops(), 1, "the idle stop was not sent");
        assert!(first.deferred_stops.contains("s1"), "not kept");
        assert_eq!(marked(&first).await, ["s1"], "not marked in the ledger");
        stopped
    }
}

/// Sessions the ledger marks unconfirmed, whatever the mark's age.
async fn marked(state: &AppState) -> Vec<String> {
    let rows = state.ledger.unconfirmed_stops(0, 100).await.expect("marks");
    rows.into_iter().map(|s| s.session_id).collect()
}

/// The new process's first tick sends the stop again (HeyGen fails it
/// once more, so it stays kept and marked), the next one gets it confirmed
/// and clears the mark; later ticks, and a third process, send nothing.
/// What the tenant paid is as the first process settled it.
async fn a_restart_sends_an_unconfirmed_stop_again(rig: Rig) {
    let stopped = rig.unconfirmed_idle_stop().await;
    let second = rig.process().await;
    assert!(second.deferred_stops.all().is_empty(), "a fresh process");
    rig.fail_stops(1);
    at(&rig.clock, 131);
    meter::tick(&second).await;
    assert_eq!(rig.stops(), 2, "not sent again after the restart");
    assert!(second.deferred_stops.contains("s1"), "not kept");
    assert_eq!(marked(&second).await, ["s1"], "cleared unconfirmed");
    at(&rig.clock, 132);
    meter::tick(&second).await;
    assert_eq!(rig.stops(), 3, "not sent again after HeyGen failed it");
    assert!(!second.deferred_stops.contains("s1"), "kept once confirmed");
    assert!(
        marked(&second).await.is_empty(),
        "confirmed but still marked"
    );
    at(&rig.clock, 133);
    meter::tick(&second).await;
    drop(second);
    let third = rig.process().await;
    at(&rig.clock, 134);
    meter::tick(&third).await;
    assert_eq!(rig.stops(), 3, "sent again once confirmed");
    assert_eq!(
        row(&third, "s1").await,
        stopped,
        "the stop's settlement moved"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_a_restart_sends_an_unconfirmed_stop_again() {
    a_restart_sends_an_unconfirmed_stop_again(Rig::new(false).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_restart_sends_an_unconfirmed_stop_again() {
    a_restart_sends_an_unconfirmed_stop_again(Rig::new(true).await).await;
}

/// A process starting within [`UNCONFIRMED_RETRY_US`] of HeyGen failing
/// the stop (at 121 s) sends it again; one starting past that does not:
/// HeyGen has ended the session itself by then. The mark stays, as a record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_older_than_the_retry_window_is_not_sent_after_a_restart() {
    let rig = Rig::new(false).await;
    rig.unconfirmed_idle_stop().await;
    let window_s = UNCONFIRMED_RETRY_US / 1_000_000;
    let inside = rig.process().await;
    rig.fail_stops(1);
    at(&rig.clock, 120 + window_s);
    meter::tick(&inside).await;
    assert_eq!(rig.stops(), 2, "a stop inside the window was not sent");
    drop(inside);
    let late = rig.process().await;
    for secs in [122 + window_s, 123 + window_s] {
        at(&rig.clock, secs);
        meter::tick(&late).await;
    }
    assert_eq!(rig.stops(), 2, "a stale stop was sent again");
    assert!(
        late.deferred_stops.all().is_empty(),
        "a stale stop was kept"
    );
    assert_eq!(marked(&late).await, ["s1"]);
}
