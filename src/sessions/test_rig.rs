//! A gateway's state on a manual clock, with realtime sessions started as
//! a start request would start them: the rig the sessions module's unit
//! tests share.

use std::sync::Arc;

use crate::clock::ManualClock;
use crate::ledger::{HoldDecision, HoldRequest, HoldState, Ledger, SessionFilter, SessionRow};
use crate::sessions::{Kind, Start};
use crate::state::{AppState, StateParts};

/// Realtime (v3): 3 credits a minute, charged per second (0.05 a second).
pub(super) const RATE: i64 = 3_000_000;
pub(super) const SECOND: i64 = RATE / 60;

/// The SQLite ledger file in a test's directory.
pub(super) fn sqlite_path(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join("ledger.db")
}

#[allow(unreachable_pub)]
#[path = "../../tests/common/pg.rs"]
pub(super) mod pg;

/// A ledger on a fresh database of the shared PostgreSQL test server, on
/// `clock`, and that database's URL.
pub(super) async fn postgres(clock: Arc<ManualClock>) -> (Arc<dyn Ledger>, String) {
    let url = tokio::task::spawn_blocking(|| pg::PgServer::shared().create_database())
        .await
        .expect("pg");
    let ledger = crate::ledger::PostgresLedger::connect_with_clock(&url, 4, clock)
        .await
        .expect("postgres");
    (Arc::new(ledger), url)
}

/// A SQLite ledger at [`sqlite_path`] on `clock`.
pub(super) async fn sqlite(dir: &tempfile::TempDir, clock: Arc<ManualClock>) -> Arc<dyn Ledger> {
    let ledger = crate::ledger::SqliteLedger::open_with_clock(&sqlite_path(dir), clock)
        .await
        .expect("sqlite");
    Arc::new(ledger)
}

pub(super) fn t0() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_796_292_000, 0).expect("t0")
}

pub(super) fn at(clock: &ManualClock, secs: i64) -> i64 {
    let t = t0() + chrono::Duration::seconds(secs);
    clock.set(t);
    t.timestamp_micros()
}

/// A gateway's state on `ledger`: tenant t1, ticks every second, HeyGen
/// unreachable (realtime sessions never ask it anything while metered).
pub(super) fn state_on(
    dir: &tempfile::TempDir,
    ledger: Arc<dyn Ledger>,
    clock: Arc<ManualClock>,
) -> AppState {
    state_with_upstream(dir, ledger, clock, "http://127.0.0.1:9")
}

/// [`state_on`] with HeyGen at `api_url` (a mock, for stops the gateway
/// sends; its org key is `sk_org`).
pub(super) fn state_with_upstream(
    dir: &tempfile::TempDir,
    ledger: Arc<dyn Ledger>,
    clock: Arc<ManualClock>,
    api_url: &str,
) -> AppState {
    let toml = format!(
        r#"
[upstream]
api_url = "{api_url}"
upload_url = "{api_url}"
[store]
url = "sqlite://{}/unused.db"
[settlement]
session_tick_seconds = 1
[[tenants]]
id = "t1"
keys = ["{}"]
"#,
        dir.path().display(),
        crate::auth::hash_line("hgw_t1_key_for_stop_tests_only")
    );
    let config = crate::config::Config::from_toml(&toml).expect("config");
    AppState::new(StateParts::for_tests(config, ledger, clock))
}

/// Starts realtime session `id` at t0, its first minute held (as a start
/// request's admission does); returns that hold's id.
pub(super) async fn start(state: &AppState, id: &str) -> String {
    start_with(state, id, b"{}", &crate::pricing::MediaLengths::new()).await
}

/// [`start`] with the start request `body`, and `media` as the proxy read
/// it before pricing.
pub(super) async fn start_with(
    state: &AppState,
    id: &str,
    body: &[u8],
    media: &crate::pricing::MediaLengths,
) -> String {
    let cfg = state.snapshot().config.clone();
    let tenant = cfg.tenant("t1").expect("tenant");
    let req = HoldRequest {
        route: "session realtime".into(),
        request_id: id.into(),
        ..HoldRequest::for_tenant(&cfg, tenant, "avatar_realtime", RATE, state.clock.now())
    };
    let HoldDecision::Held { hold_id, .. } = state.ledger.hold(req).await.expect("hold") else {
        panic!("first minute refused");
    };
    let start = Start {
        kind: Kind::Realtime,
        tenant: "t1",
        feature: "avatar_realtime",
        rate: RATE,
        hold_id: &hold_id,
        media,
    };
    let answer = format!(r#"{{"data":{{"session_id":"{id}"}}}}"#);
    let opened = super::open(state, start, body, answer.as_bytes()).await;
    assert!(matches!(opened, super::Opened::Metered), "not registered");
    hold_id
}

pub(super) async fn row(state: &AppState, id: &str) -> SessionRow {
    let rows = state.ledger.sessions(SessionFilter::One(id)).await;
    rows.expect("sessions").into_iter().next().expect("row")
}

pub(super) async fn hold(state: &AppState, id: &str) -> (HoldState, i64) {
    let h = state.ledger.get_hold(id).await.expect("hold");
    let h = h.expect("hold exists");
    (h.state, h.captured)
}
