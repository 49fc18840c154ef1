//! A ledger a newer heygen-gateway migrated (a rollback, or old replicas
//! beside new ones on one PostgreSQL ledger): this build refuses to open
//! it, naming both versions; an instance that opened it before sees the
//! new version on its next read (what the running check polls); the audit,
//! which never migrates, refuses it too rather than replay it under older
//! rules.
//!
//! The newer build is simulated the way it would leave the store: SQLite's
//! `user_version` past this build's migrations, or a row past them in
//! PostgreSQL's `ledger_migrations`.

use heygen_gateway::config::StoreConfig;
use heygen_gateway::ledger::audit::{verify, AuditOptions};
use heygen_gateway::ledger::*;

use crate::support::t0;
use crate::{Fixture, Store};

/// Moves the store's schema version to `version`, as a newer build's
/// migration would (its own changes are beside the point here).
async fn migrate_to(store: &Store, version: u32) {
    match store {
        Store::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.pragma_update(None, "user_version", version).unwrap();
        }
        Store::Postgres(url) => {
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap();
            let driver = tokio::spawn(conn);
            let version = i32::try_from(version).unwrap();
            client
                .execute(
                    "INSERT INTO ledger_migrations (version) VALUES ($1)",
                    &[&version],
                )
                .await
                .unwrap();
            drop(client);
            driver.await.unwrap().unwrap();
        }
    }
}

fn config(store: &Store) -> StoreConfig {
    match store {
        Store::Sqlite(path) => StoreConfig::Sqlite { path: path.clone() },
        Store::Postgres(url) => StoreConfig::Postgres {
            url: url.clone(),
            pool_size: 2,
            password: None,
        },
    }
}

/// The error text of a call that must fail.
fn refusal<T>(what: &str, r: Result<T, LedgerError>) -> String {
    match r {
        Ok(_) => panic!("{what} succeeded on a ledger newer than this build"),
        Err(e) => {
            assert!(
                matches!(e, LedgerError::SchemaTooNew { .. }),
                "{what}: {e:?}"
            );
            e.to_string()
        }
    }
}

pub async fn a_ledger_newer_than_the_build_is_refused(f: Fixture) {
    let at_open = f.ledger.schema_version().await.unwrap();
    assert_eq!(at_open.found, at_open.known, "opening migrates to the end");
    assert!(!at_open.is_newer());
    let newer = at_open.known + 1;
    migrate_to(&f.store, newer).await;

    // The instance already running sees it on its next read.
    let seen = f.ledger.schema_version().await.unwrap();
    assert_eq!((seen.found, seen.known), (newer, at_open.known));
    assert!(seen.is_newer());

    // Opening again is refused, naming both versions and what to do.
    let store = config(&f.store);
    let text = refusal("open_ledger", open_ledger(&store).await.map(|_| ()));
    let want = format!(
        "the ledger's schema is version {newer} but this build knows {}",
        at_open.known
    );
    assert!(text.contains(&want), "{text}");
    assert!(text.contains("written by a newer heygen-gateway"), "{text}");
    assert!(text.contains("downgrading is not supported"), "{text}");

    // Refusing changed nothing: the version is still the newer build's.
    assert_eq!(f.ledger.schema_version().await.unwrap().found, newer);

    // The read-only audit refuses too (it would replay newer books under
    // this build's rules).
    let opts = AuditOptions {
        tz: chrono_tz::UTC,
        now: t0(),
        grace_seconds: 600,
    };
    let text = refusal("ledger verify", verify(&store, &opts).await);
    assert!(text.contains(&want), "{text}");
}
