//! Statement helpers under the [`Tx`](crate::ledger::ops::Tx) impl: one
//! cached prepared write, one job query, and the hold load, render count
//! and counter-key arrays, which also run outside a transaction (on a
//! pooled client in `mod.rs`, and in `read`).
//!
//! Its own file because these are free functions over any client, apart
//! from the trait impl in `tx.rs` that calls them.

use deadpool_postgres::{GenericClient, Transaction};
use tokio_postgres::types::ToSql;

use super::super::PgRow;
use super::R;
use crate::ledger::rows::{hold_from, job_from, CounterKey, HoldRow, JobRow, HOLD_COLS};

pub(in crate::ledger::postgres) fn key_arrays(
    keys: &[CounterKey],
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let scopes = keys.iter().map(|k| k.scope.clone()).collect();
    let wins = keys.iter().map(|k| k.window.as_str().to_string()).collect();
    let periods = keys.iter().map(|k| k.period.clone()).collect();
    (scopes, wins, periods)
}

/// Runs one cached prepared write.
pub(super) async fn exec(tx: &Transaction<'_>, sql: &str, params: &[&(dyn ToSql + Sync)]) -> R<()> {
    let stmt = tx.prepare_cached(sql).await?;
    tx.execute(&stmt, params).await?;
    Ok(())
}

/// Loads a hold; `lock` takes its row lock (first in the lock order).
pub(in crate::ledger::postgres) async fn load_hold(
    c: &impl GenericClient,
    hold_id: &str,
    lock: bool,
) -> R<Option<HoldRow>> {
    let sql = format!(
        "SELECT {HOLD_COLS} FROM holds WHERE hold_id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let stmt = c.prepare_cached(&sql).await?;
    match c.query_opt(&stmt, &[&hold_id]).await? {
        Some(r) => Ok(Some(hold_from(&PgRow(&r))?)),
        None => Ok(None),
    }
}

pub(super) async fn jobs_query(
    tx: &Transaction<'_>,
    sql: &str,
    param: &(dyn ToSql + Sync),
) -> R<Vec<JobRow>> {
    let stmt = tx.prepare_cached(sql).await?;
    let rows = tx.query(&stmt, &[param]).await?;
    rows.iter().map(|r| Ok(job_from(&PgRow(r))?)).collect()
}

/// Renders in flight of one tenant, or of the org (`None`), as
/// `Tx::count_renders` defines them; also the `renders_in_flight` report.
pub(in crate::ledger::postgres) async fn count_renders(
    tx: &impl GenericClient,
    tenant: Option<&str>,
    held_since_us: i64,
) -> R<u64> {
    // Two statements rather than `$1 IS NULL OR …`, so each uses the
    // partial index on open renders.
    let n: i64 = match tenant {
        Some(t) => {
            let stmt = tx
                .prepare_cached(
                    "SELECT COUNT(*) FROM holds WHERE tenant = $1 AND render \
                     AND state IN ('held', 'submitted') \
                     AND (state = 'submitted' OR created_us >= $2)",
                )
                .await?;
            tx.query_one(&stmt, &[&t, &held_since_us])
                .await?
                .try_get(0)?
        }
        None => {
            let stmt = tx
                .prepare_cached(
                    "SELECT COUNT(*) FROM holds WHERE render \
                     AND state IN ('held', 'submitted') \
                     AND (state = 'submitted' OR created_us >= $1)",
                )
                .await?;
            tx.query_one(&stmt, &[&held_since_us]).await?.try_get(0)?
        }
    };
    Ok(n.max(0) as u64)
}
