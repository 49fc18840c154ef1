//! Reads a [`Snapshot`] from either backend, read-only, in one snapshot.
//! The statements take no parameters, so one text serves both dialects.

use std::path::Path;
use std::time::Duration;

use super::snapshot::{IdemRow, ResourceRow, Snapshot};
use crate::config::Secret;
use crate::ledger::decide::Counter;
use crate::ledger::postgres::PgRow;
use crate::ledger::rows::{
    hold_from, job_from, journal_from, parse_window, CounterKey, RowAccess, HOLD_COLS, JOB_COLS,
    JOURNAL_COLS,
};
use crate::ledger::sqlite::SqlRow;
use crate::ledger::types::LedgerError;
use crate::ledger::SchemaVersion;

const HOLDS: &str = "holds ORDER BY hold_id";
const JOBS: &str = "jobs ORDER BY job_id";
const JOURNAL: &str = "journal ORDER BY seq";
const COUNTERS: &str =
    "SELECT scope, win, period, held, spent, granted FROM counters ORDER BY scope, win, period";
const IDEMPOTENCY: &str =
    "SELECT tenant, key, state, headers FROM idempotency ORDER BY tenant, key";
const RESOURCES: &str = "SELECT resource_id FROM resources ORDER BY resource_id";
const GRANTS_FROM: &str = "SELECT value FROM ledger_meta WHERE key = 'grants_from_seq'";

/// How long a connection attempt or a busy database may stall the audit.
const TIMEOUT: Duration = Duration::from_secs(5);

fn counter_from(r: &impl RowAccess) -> Result<(CounterKey, Counter), LedgerError> {
    Ok((
        CounterKey {
            scope: r.text(0)?,
            window: parse_window(&r.text(1)?)?,
            period: r.text(2)?,
        },
        Counter {
            held: r.int(3)?,
            spent: r.int(4)?,
            granted: r.int(5)?,
        },
    ))
}

/// The migration writes the row; a ledger without it has no adjustments
/// from before grants were kept apart.
fn first(values: Vec<i64>) -> i64 {
    values.into_iter().next().unwrap_or(0)
}

fn idem_from(r: &impl RowAccess) -> Result<IdemRow, LedgerError> {
    Ok(IdemRow {
        tenant: r.text(0)?,
        key: r.text(1)?,
        state: r.text(2)?,
        headers: r.opt_text(3)?,
    })
}

fn resource_from(r: &impl RowAccess) -> Result<ResourceRow, LedgerError> {
    Ok(ResourceRow {
        resource_id: r.text(0)?,
    })
}

/// Reads the SQLite file at `path` on a connection of its own: it must
/// exist (never created), `query_only` forbids any write, and one deferred
/// transaction gives every read the same WAL snapshot while the gateway
/// keeps writing. Either backend refuses a ledger a newer build migrated
/// (see `audit::verify`).
pub(super) async fn sqlite(path: &Path) -> Result<Snapshot, LedgerError> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || sqlite_blocking(&path))
        .await
        .map_err(|e| LedgerError::Unavailable(format!("ledger audit task: {e}")))?
}

fn sqlite_blocking(path: &Path) -> Result<Snapshot, LedgerError> {
    use rusqlite::{Connection, OpenFlags};
    let err =
        |e: rusqlite::Error| LedgerError::Unavailable(format!("sqlite {}: {e}", path.display()));
    // Read-write without CREATE: a WAL reader may need to create the -shm
    // file, which a read-only open cannot; `query_only` keeps it a reader.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(err)?;
    conn.busy_timeout(TIMEOUT).map_err(err)?;
    conn.pragma_update(None, "query_only", true).map_err(err)?;
    let tx = conn.transaction().map_err(err)?;
    let version = crate::ledger::sqlite::user_version(&tx).map_err(err)?;
    SchemaVersion::of(version).refuse_newer()?;
    fn all<T>(
        c: &Connection,
        sql: &str,
        map: fn(&SqlRow<'_, '_>) -> Result<T, LedgerError>,
    ) -> Result<Vec<T>, LedgerError> {
        crate::ledger::sqlite::query_rows(c, sql, [], |r| map(&r))
    }
    let snap = Snapshot {
        holds: all(&tx, &format!("SELECT {HOLD_COLS} FROM {HOLDS}"), |r| {
            hold_from(r)
        })?,
        jobs: all(&tx, &format!("SELECT {JOB_COLS} FROM {JOBS}"), |r| {
            job_from(r)
        })?,
        journal: all(&tx, &format!("SELECT {JOURNAL_COLS} FROM {JOURNAL}"), |r| {
            journal_from(r)
        })?,
        counters: all(&tx, COUNTERS, |r| counter_from(r))?,
        idempotency: all(&tx, IDEMPOTENCY, |r| idem_from(r))?,
        resources: all(&tx, RESOURCES, |r| resource_from(r))?,
        grants_from_seq: first(all(&tx, GRANTS_FROM, |r| r.int(0))?),
    };
    // Nothing was written; ending the read transaction releases the snapshot.
    tx.rollback().map_err(err)?;
    Ok(snap)
}

/// Reads PostgreSQL on one connection of its own in a `REPEATABLE READ READ
/// ONLY` transaction: one snapshot for every table, no locks taken, and
/// the server refuses any write.
pub(super) async fn postgres(
    url: &str,
    password: Option<&Secret>,
) -> Result<Snapshot, LedgerError> {
    // The cause (the server's FATAL, a refused certificate) is in the sources.
    let err = |e: tokio_postgres::Error| {
        LedgerError::Unavailable(format!("postgres: {}", crate::http::error_chain(&e)))
    };
    let (config, tls) =
        crate::ledger::postgres::pg_config(url, password, "heygen-gateway-audit", TIMEOUT)?;
    let (mut client, connection) = config.connect(tls).await.map_err(err)?;
    let driver = tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "ledger audit connection ended with an error");
        }
    });
    let result = async {
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(err)?;
        let version: i32 = tx
            .query_one(crate::ledger::postgres::SCHEMA_VERSION, &[])
            .await
            .and_then(|r| r.try_get(0))
            .map_err(err)?;
        SchemaVersion::of(i64::from(version)).refuse_newer()?;
        async fn all<T>(
            tx: &tokio_postgres::Transaction<'_>,
            sql: &str,
            map: fn(&PgRow<'_>) -> Result<T, LedgerError>,
        ) -> Result<Vec<T>, LedgerError> {
            let rows = tx
                .query(sql, &[])
                .await
                .map_err(|e| LedgerError::Unavailable(format!("postgres: {e}")))?;
            rows.iter().map(|r| map(&PgRow(r))).collect()
        }
        let snap = Snapshot {
            holds: all(&tx, &format!("SELECT {HOLD_COLS} FROM {HOLDS}"), |r| {
                hold_from(r)
            })
            .await?,
            jobs: all(&tx, &format!("SELECT {JOB_COLS} FROM {JOBS}"), |r| {
                job_from(r)
            })
            .await?,
            journal: all(&tx, &format!("SELECT {JOURNAL_COLS} FROM {JOURNAL}"), |r| {
                journal_from(r)
            })
            .await?,
            counters: all(&tx, COUNTERS, |r| counter_from(r)).await?,
            idempotency: all(&tx, IDEMPOTENCY, |r| idem_from(r)).await?,
            resources: all(&tx, RESOURCES, |r| resource_from(r)).await?,
            grants_from_seq: first(all(&tx, GRANTS_FROM, |r| r.int(0)).await?),
        };
        tx.rollback().await.map_err(err)?;
        Ok(snap)
    }
    .await;
    drop(client);
    // The driver ends once the client is gone.
    let _ = driver.await;
    result
}
