//! Backend-specific cases: opening through config, failures reported as
//! `Unavailable` (the proxy's 503), replicas migrating at the same time.

use std::sync::Arc;

use heygen_gateway::config::StoreConfig;
use heygen_gateway::ledger::{open_ledger, HoldDecision, Ledger, LedgerError, PostgresLedger};

use crate::support::{credits, req, t0};

async fn smoke(l: Arc<dyn Ledger>) {
    l.ping().await.unwrap();
    let d = l.hold(req("acme", credits(1), t0())).await.unwrap();
    assert!(matches!(d, HoldDecision::Held { .. }));
}

#[tokio::test]
async fn open_ledger_picks_the_configured_backend() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("ledger.db");
    smoke(
        open_ledger(&StoreConfig::Sqlite { path: path.clone() })
            .await
            .unwrap(),
    )
    .await;
    assert!(path.exists());
    let url = crate::pg::PgServer::shared().create_database();
    smoke(
        open_ledger(&StoreConfig::Postgres {
            url,
            pool_size: 4,
            password: None,
        })
        .await
        .unwrap(),
    )
    .await;
}

#[tokio::test]
async fn unreachable_stores_are_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be: cannot open.
    let path = dir.path().to_path_buf();
    let err = open_ledger(&StoreConfig::Sqlite { path })
        .await
        .err()
        .unwrap();
    assert!(matches!(err, LedgerError::Unavailable(_)), "{err}");
    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/none");
    let err = PostgresLedger::connect(&url, 2).await.err().unwrap();
    assert!(matches!(err, LedgerError::Unavailable(_)), "{err}");
    let err = PostgresLedger::connect("not a url", 2).await.err().unwrap();
    assert!(matches!(err, LedgerError::Unavailable(_)), "{err}");
}

/// Two replicas starting together on an empty database both come up;
/// the advisory lock lets exactly one apply the migrations.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_migrate_concurrently() {
    let url = crate::pg::PgServer::shared().create_database();
    let (a, b, c) = tokio::join!(
        PostgresLedger::connect(&url, 2),
        PostgresLedger::connect(&url, 2),
        PostgresLedger::connect(&url, 2)
    );
    for l in [a.unwrap(), b.unwrap(), c.unwrap()] {
        smoke(Arc::new(l)).await;
    }
}

/// The database going away mid-service yields `Unavailable` (503), not
/// a hang and not a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_down_is_unavailable() {
    let server = crate::pg::PgServer::start();
    let url = server.create_database();
    let l: Arc<dyn Ledger> = Arc::new(PostgresLedger::connect(&url, 2).await.unwrap());
    smoke(l.clone()).await;
    drop(server);
    let guard = std::time::Duration::from_secs(30);
    let res = tokio::time::timeout(guard, l.hold(req("acme", credits(1), t0())))
        .await
        .expect("hold must fail, not hang");
    assert!(matches!(res, Err(LedgerError::Unavailable(_))), "{res:?}");
    let ping = tokio::time::timeout(guard, l.ping())
        .await
        .expect("ping must not hang");
    assert!(matches!(ping, Err(LedgerError::Unavailable(_))));
}
