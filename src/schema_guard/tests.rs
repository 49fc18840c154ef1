//! The latch, and what it reports: the schema gauges flip and the
//! `ledger_schema_behind` alert is queued once, with the metrics and alerts
//! a gateway runs with, on a SQLite ledger a newer build is simulated to
//! migrate by moving its `user_version`, as that build would leave it.

use std::sync::Arc;

use prometheus::Registry;

use super::*;
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, MapEnv};

/// A ledger at `found` seen by a build that knows 10 migrations.
fn version(found: u32) -> SchemaVersion {
    SchemaVersion { found, known: 10 }
}

/// A guard as a gateway builds it, on a SQLite ledger in `dir`, its
/// metrics on their own registry and one JSON alert webhook (`ops`, at a
/// URL nothing listens on: only queuing is checked here).
struct Rig {
    registry: Registry,
    ledger: Arc<dyn Ledger>,
    guard: SchemaGuard,
}

async fn rig(dir: &tempfile::TempDir) -> Rig {
    let toml = format!(
        r#"
[upstream]
api_url = "http://127.0.0.1:9"
upload_url = "http://127.0.0.1:9"
[store]
url = "sqlite://{}/ledger.db"
[[alerts.webhooks]]
name = "ops"
url_env = "OPS_URL"
format = "json"
[[tenants]]
id = "t1"
keys = ["{}"]
"#,
        dir.path().display(),
        crate::auth::hash_line("hgw_t1_key_for_schema_tests_only")
    );
    let config = Config::from_toml(&toml).expect("config");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ledger = crate::ledger::open_ledger_with_clock(&config.store, clock.clone())
        .await
        .expect("ledger");
    let registry = Registry::new();
    let metrics = Metrics::register(&registry).expect("metrics");
    let env = Arc::new(MapEnv::default().with("OPS_URL", "http://127.0.0.1:9/hook"));
    let alerts = Arc::new(Alerts::new(ledger.clone(), metrics.clone(), clock, env));
    alerts.configure(&config, None);
    Rig {
        registry,
        ledger,
        guard: SchemaGuard::new(metrics, alerts),
    }
}

impl Rig {
    async fn check(&self) {
        self.guard.check(self.ledger.as_ref()).await;
    }

    /// The value of the sample `series` in the rig's registry.
    fn sample(&self, series: &str) -> Option<f64> {
        crate::metrics::encode(&self.registry)
            .lines()
            .find_map(|l| {
                let (name, value) = l.rsplit_once(' ')?;
                (name == series).then(|| value.parse().ok()).flatten()
            })
    }
}

/// What a newer build's migration leaves in the SQLite file.
fn migrate_to(dir: &tempfile::TempDir, version: u32) {
    let conn = rusqlite::Connection::open(dir.path().join("ledger.db")).unwrap();
    conn.pragma_update(None, "user_version", version).unwrap();
}

const BEHIND: &str = "heygen_gateway_ledger_schema_behind";
const FOUND: &str = "heygen_gateway_ledger_schema_version";
const KNOWN: &str = "heygen_gateway_ledger_schema_known_version";
const QUEUED: &str = r#"heygen_gateway_alerts_total{event="ledger_schema_behind",result="queued"}"#;

#[tokio::test]
async fn only_a_newer_ledger_latches_and_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let g = &rig(&dir).await.guard;
    g.observe(version(10));
    g.observe(version(3));
    assert!(!g.is_behind());
    assert!(g.admit().is_ok());
    g.observe(version(11));
    // An older reading later (it cannot happen) does not undo it.
    g.observe(version(10));
    assert!(g.is_behind());
    let refused = g.admit().unwrap_err();
    assert!(matches!(
        refused,
        LedgerError::SchemaTooNew {
            found: 11,
            known: 10
        }
    ));
}

#[tokio::test]
async fn the_gauges_flip_when_the_guard_latches() {
    let dir = tempfile::tempdir().unwrap();
    let rig = rig(&dir).await;
    let known = f64::from(SchemaVersion::KNOWN);
    // From start: this build's version, not behind, the ledger's unread.
    assert_eq!(rig.sample(BEHIND), Some(0.0));
    assert_eq!(rig.sample(KNOWN), Some(known));
    assert_eq!(rig.sample(FOUND), Some(0.0));

    rig.check().await;
    assert_eq!(rig.sample(FOUND), Some(known));
    assert_eq!(rig.sample(BEHIND), Some(0.0));

    migrate_to(&dir, SchemaVersion::KNOWN + 1);
    rig.check().await;
    assert!(rig.guard.is_behind());
    assert_eq!(rig.sample(BEHIND), Some(1.0));
    assert_eq!(rig.sample(FOUND), Some(known + 1.0));
    assert_eq!(rig.sample(KNOWN), Some(known));

    // The latch holds the gauge even if the version read back were older.
    migrate_to(&dir, SchemaVersion::KNOWN);
    rig.check().await;
    assert_eq!(rig.sample(BEHIND), Some(1.0));
}

#[tokio::test]
async fn the_alert_is_queued_once_when_the_guard_latches() {
    let dir = tempfile::tempdir().unwrap();
    let rig = rig(&dir).await;
    rig.check().await;
    assert_eq!(rig.sample(QUEUED), Some(0.0), "not behind: no alert");

    migrate_to(&dir, SchemaVersion::KNOWN + 1);
    for _ in 0..3 {
        rig.check().await;
    }
    // A newer migration still is no new alert: the latch is set once.
    migrate_to(&dir, SchemaVersion::KNOWN + 2);
    rig.check().await;
    assert_eq!(rig.sample(QUEUED), Some(1.0), "one webhook, once");
}

#[test]
fn the_period_is_the_gauge_interval_up_to_thirty_seconds() {
    assert_eq!(period(Duration::from_secs(1)), Duration::from_secs(1));
    assert_eq!(period(Duration::from_secs(15)), Duration::from_secs(15));
    assert_eq!(period(Duration::from_secs(300)), MAX_PERIOD);
}
