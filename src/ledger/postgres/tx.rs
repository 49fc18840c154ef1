//! The ledger's transaction primitives on PostgreSQL (READ COMMITTED).
//!
//! Rows are locked with `FOR UPDATE` in the order `ledger::ops` takes them:
//! hold, its jobs, then counter rows sorted by (scope, win, period).
//! Counter rows are first created with `ON CONFLICT DO NOTHING` in that
//! same order, then locked with `SELECT … ORDER BY … FOR UPDATE`; the
//! budget check reads the locked values, so two replicas can never both
//! spend the last credit.
//!
//! This file holds the `Tx` impl; the free statement helpers it calls (also
//! used outside a transaction) are in `tx/statements.rs`, re-exported here.

mod statements;

use deadpool_postgres::Transaction;
use tokio_postgres::types::ToSql;

use super::params::{pg_params, pg_sql};
use super::{Fail, PgRow};
use crate::ledger::decide::{Counter, CounterSet};
use crate::ledger::ops::{Param, Tx};
use crate::ledger::rows::{
    hold_from, parse_window, CounterKey, HoldRow, JobRow, JournalDraft, RowAccess, HOLD_COLS,
    JOB_COLS,
};
use crate::ledger::types::LedgerError;
use crate::money::Micros;
pub(super) use statements::{count_renders, key_arrays, load_hold};
use statements::{exec, jobs_query};

type R<T> = Result<T, Fail>;

/// [`Tx`] over one open transaction.
pub(super) struct PgTx<'a, 'b>(pub &'a Transaction<'b>);

impl Tx for PgTx<'_, '_> {
    type Error = Fail;

    async fn counters_for_update(&self, keys: &[CounterKey]) -> R<CounterSet> {
        let tx = self.0;
        let (s, w, p) = key_arrays(keys);
        let insert = tx
            .prepare_cached(
                "INSERT INTO counters (scope, win, period) \
                 SELECT k.s, k.w, k.p FROM unnest($1::text[], $2::text[], $3::text[]) \
                 AS k(s, w, p) ORDER BY k.s, k.w, k.p ON CONFLICT DO NOTHING",
            )
            .await?;
        let lock = tx
            .prepare_cached(
                "SELECT scope, win, held, spent, granted FROM counters \
                 WHERE (scope, win, period) IN \
                       (SELECT * FROM unnest($1::text[], $2::text[], $3::text[])) \
                 ORDER BY scope, win, period FOR UPDATE",
            )
            .await?;
        // Pipelined: both are sent at once and run in this order.
        let params: [&(dyn ToSql + Sync); 3] = [&s, &w, &p];
        let (_, rows) = tokio::try_join!(tx.execute(&insert, &params), tx.query(&lock, &params))?;
        if rows.len() != keys.len() {
            return Err(LedgerError::Unavailable(format!(
                "locked {} of {} counter rows",
                rows.len(),
                keys.len()
            ))
            .into());
        }
        let mut set = CounterSet::default();
        for r in rows {
            let window = parse_window(r.try_get::<_, &str>(1)?)?;
            let c = Counter {
                held: r.try_get(2)?,
                spent: r.try_get(3)?,
                granted: r.try_get(4)?,
            };
            set.insert(r.try_get(0)?, window, c);
        }
        Ok(set)
    }

    async fn lock_counters(&self, keys: &[CounterKey]) -> R<()> {
        self.counters_for_update(keys).await.map(drop)
    }

    async fn add_to_counters(&self, keys: &[CounterKey], held: Micros, spent: Micros) -> R<()> {
        let (s, w, p) = key_arrays(keys);
        exec(
            self.0,
            "UPDATE counters c SET held = c.held + $4, spent = c.spent + $5 \
             FROM unnest($1::text[], $2::text[], $3::text[]) AS k(s, w, p) \
             WHERE c.scope = k.s AND c.win = k.w AND c.period = k.p",
            &[&s, &w, &p, &held, &spent],
        )
        .await
    }

    async fn count_renders(&self, tenant: Option<&str>, held_since_us: i64) -> R<u64> {
        count_renders(self.0, tenant, held_since_us).await
    }

    async fn insert_hold(&self, h: &HoldRow) -> R<()> {
        let sql = format!(
            "INSERT INTO holds ({HOLD_COLS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        );
        exec(
            self.0,
            &sql,
            &[
                &h.hold_id,
                &h.tenant,
                &h.feature,
                &h.route,
                &h.amount,
                &h.held_open,
                &h.captured,
                &h.state.as_str(),
                &h.render,
                &h.price_version,
                &h.request_id,
                &h.periods.daily,
                &h.periods.weekly,
                &h.periods.monthly,
                &h.created_us,
                &h.expires_us,
                &h.settled_us,
            ],
        )
        .await
    }

    async fn update_hold(&self, h: &HoldRow) -> R<()> {
        exec(
            self.0,
            "UPDATE holds SET state = $2, held_open = $3, captured = $4, settled_us = $5 \
             WHERE hold_id = $1",
            &[
                &h.hold_id,
                &h.state.as_str(),
                &h.held_open,
                &h.captured,
                &h.settled_us,
            ],
        )
        .await
    }

    async fn insert_journal(&self, j: &JournalDraft) -> R<()> {
        exec(
            self.0,
            "INSERT INTO journal (at_us, kind, hold_id, scope, tenant, feature, amount, \
             price_version, request_id, upstream_ids, actor, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                &j.at_us,
                &j.kind.as_str(),
                &j.hold_id,
                &j.scope,
                &j.tenant,
                &j.feature,
                &j.amount,
                &j.price_version,
                &j.request_id,
                &j.upstream_ids,
                &j.actor,
                &j.reason,
            ],
        )
        .await
    }

    async fn hold_for_update(&self, hold_id: &str) -> R<Option<HoldRow>> {
        load_hold(self.0, hold_id, true).await
    }

    async fn hold_to_expire(&self, hold_id: &str, now_us: i64) -> R<Option<HoldRow>> {
        let sql = format!(
            "SELECT {HOLD_COLS} FROM holds WHERE hold_id = $1 AND expires_us <= $2 \
             FOR UPDATE SKIP LOCKED"
        );
        let stmt = self.0.prepare_cached(&sql).await?;
        match self.0.query_opt(&stmt, &[&hold_id, &now_us]).await? {
            Some(r) => Ok(Some(hold_from(&PgRow(&r))?)),
            None => Ok(None),
        }
    }

    async fn hold_id_of_job(&self, job_id: &str) -> R<Option<String>> {
        let stmt = self
            .0
            .prepare_cached("SELECT hold_id FROM jobs WHERE job_id = $1")
            .await?;
        match self.0.query_opt(&stmt, &[&job_id]).await? {
            Some(r) => Ok(Some(r.try_get(0)?)),
            None => Ok(None),
        }
    }

    async fn jobs_by_ids(&self, job_ids: &[String]) -> R<Vec<JobRow>> {
        let sql = format!("SELECT {JOB_COLS} FROM jobs WHERE job_id = ANY($1)");
        jobs_query(self.0, &sql, &job_ids).await
    }

    async fn jobs_of_hold(&self, hold_id: &str) -> R<Vec<JobRow>> {
        let sql =
            format!("SELECT {JOB_COLS} FROM jobs WHERE hold_id = $1 ORDER BY job_id FOR UPDATE");
        jobs_query(self.0, &sql, &hold_id).await
    }

    async fn insert_job(&self, j: &JobRow) -> R<()> {
        let sql = format!(
            "INSERT INTO jobs ({JOB_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        );
        exec(
            self.0,
            &sql,
            &[
                &j.job_id,
                &j.hold_id,
                &j.feature,
                &j.status_path,
                &j.held,
                &j.held_open,
                &j.captured,
                &j.state.as_str(),
                &j.source,
                &j.submitted_us,
                &j.settled_us,
            ],
        )
        .await
    }

    async fn exec(&self, sql: &str, params: &[Param]) -> R<u64> {
        let stmt = self.0.prepare_cached(&pg_sql(sql)).await?;
        Ok(self.0.execute(&stmt, &pg_params(params)).await?)
    }

    async fn query<T>(
        &self,
        sql: &str,
        params: &[Param],
        map: fn(&dyn RowAccess) -> Result<T, LedgerError>,
    ) -> R<Vec<T>> {
        let stmt = self.0.prepare_cached(&pg_sql(sql)).await?;
        let rows = self.0.query(&stmt, &pg_params(params)).await?;
        rows.iter().map(|r| Ok(map(&PgRow(r))?)).collect()
    }

    async fn lock_name(&self, name: &str) -> R<()> {
        // A transaction-scoped advisory lock on the name's hash: a hash
        // collision only serializes two unrelated names, never wrongly
        // lets two holders of one name through.
        exec(
            self.0,
            "SELECT pg_advisory_xact_lock(hashtext($1)::bigint)",
            &[&name],
        )
        .await
    }

    fn skip_locked(&self, alias: &str) -> String {
        format!(" FOR UPDATE OF {alias} SKIP LOCKED")
    }

    async fn update_job(&self, j: &JobRow) -> R<()> {
        exec(
            self.0,
            "UPDATE jobs SET state = $2, held_open = $3, captured = $4, source = $5, \
             settled_us = $6 WHERE job_id = $1",
            &[
                &j.job_id,
                &j.state.as_str(),
                &j.held_open,
                &j.captured,
                &j.source,
                &j.settled_us,
            ],
        )
        .await
    }
}
