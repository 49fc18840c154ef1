//! The ledger's transaction primitives on one SQLite connection, run inside
//! the worker's `BEGIN IMMEDIATE` transaction. That transaction holds the
//! database write lock, so "lock" primitives are plain reads and counter
//! rows are created by upsert when first added to.

use rusqlite::{params, Connection};

use super::{query_rows, read, sql_err};
use crate::ledger::decide::CounterSet;
use crate::ledger::ops::{Param, Tx};
use crate::ledger::rows::{
    hold_from, job_from, CounterKey, HoldRow, JobRow, JournalDraft, RowAccess, HOLD_COLS, JOB_COLS,
};
use crate::ledger::types::LedgerError;
use crate::money::Micros;

type R<T> = Result<T, LedgerError>;

/// [`Tx`] over the worker's connection, inside its transaction.
pub(super) struct SqliteTx<'c>(pub &'c Connection);

/// Runs one cached prepared write.
fn exec(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> R<()> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute(params))
        .map(drop)
        .map_err(sql_err)
}

pub(super) fn load_hold(conn: &Connection, hold_id: &str) -> R<Option<HoldRow>> {
    let sql = format!("SELECT {HOLD_COLS} FROM holds WHERE hold_id = ?1");
    Ok(query_rows(conn, &sql, [hold_id], |r| hold_from(&r))?.pop())
}

fn jobs_where(conn: &Connection, clause: &str, arg: &str) -> R<Vec<JobRow>> {
    let sql = format!("SELECT {JOB_COLS} FROM jobs WHERE {clause}");
    query_rows(conn, &sql, [arg], |r| job_from(&r))
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match self {
            Param::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Param::Int(i) => ToSqlOutput::Owned(Value::Integer(*i)),
            Param::Bool(b) => ToSqlOutput::Owned(Value::Integer(i64::from(*b))),
            Param::Null => ToSqlOutput::Owned(Value::Null),
        })
    }
}

impl Tx for SqliteTx<'_> {
    type Error = LedgerError;

    async fn counters_for_update(&self, keys: &[CounterKey]) -> R<CounterSet> {
        let mut set = CounterSet::default();
        for k in keys {
            set.insert(k.scope.clone(), k.window, read::counter(self.0, k)?);
        }
        Ok(set)
    }

    async fn lock_counters(&self, _keys: &[CounterKey]) -> R<()> {
        Ok(())
    }

    async fn add_to_counters(&self, keys: &[CounterKey], held: Micros, spent: Micros) -> R<()> {
        // SQLite makes an integer sum past i64 a REAL and stores it, after
        // which no read of the row succeeds (every hold of every tenant would
        // fail). Such a sum is refused instead, rolling the operation back,
        // as PostgreSQL refuses it (`bigint out of range`).
        let mut stmt = self
            .0
            .prepare_cached(
                "INSERT INTO counters (scope, win, period, held, spent) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (scope, win, period) DO UPDATE \
                 SET held = held + excluded.held, spent = spent + excluded.spent \
                 RETURNING typeof(held) = 'integer' AND typeof(spent) = 'integer'",
            )
            .map_err(sql_err)?;
        for k in keys {
            let p = params![k.scope, k.window.as_str(), k.period, held, spent];
            let integers: bool = stmt.query_row(p, |r| r.get(0)).map_err(sql_err)?;
            if !integers {
                return Err(LedgerError::Refused(format!(
                    "adding held {held}, spent {spent} would overflow the {} {} counter of period {}",
                    k.scope,
                    k.window.as_str(),
                    k.period
                )));
            }
        }
        Ok(())
    }

    async fn count_renders(&self, tenant: Option<&str>, held_since_us: i64) -> R<u64> {
        // Two statements rather than `?1 IS NULL OR …`, so each uses the
        // partial index on open renders.
        let n: i64 = match tenant {
            Some(t) => self
                .0
                .prepare_cached(
                    "SELECT COUNT(*) FROM holds WHERE tenant = ?1 AND render = 1 \
                     AND state IN ('held', 'submitted') \
                     AND (state = 'submitted' OR created_us >= ?2)",
                )
                .and_then(|mut s| s.query_row(rusqlite::params![t, held_since_us], |r| r.get(0))),
            None => self
                .0
                .prepare_cached(
                    "SELECT COUNT(*) FROM holds WHERE render = 1 \
                     AND state IN ('held', 'submitted') \
                     AND (state = 'submitted' OR created_us >= ?1)",
                )
                .and_then(|mut s| s.query_row([held_since_us], |r| r.get(0))),
        }
        .map_err(sql_err)?;
        Ok(n.max(0) as u64)
    }

    async fn insert_hold(&self, h: &HoldRow) -> R<()> {
        let sql = format!(
            "INSERT INTO holds ({HOLD_COLS}) VALUES \
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
        );
        exec(
            self.0,
            &sql,
            params![
                h.hold_id,
                h.tenant,
                h.feature,
                h.route,
                h.amount,
                h.held_open,
                h.captured,
                h.state.as_str(),
                h.render,
                h.price_version,
                h.request_id,
                h.periods.daily,
                h.periods.weekly,
                h.periods.monthly,
                h.created_us,
                h.expires_us,
                h.settled_us
            ],
        )
    }

    async fn update_hold(&self, h: &HoldRow) -> R<()> {
        exec(
            self.0,
            "UPDATE holds SET state = ?2, held_open = ?3, captured = ?4, settled_us = ?5 \
             WHERE hold_id = ?1",
            params![
                h.hold_id,
                h.state.as_str(),
                h.held_open,
                h.captured,
                h.settled_us
            ],
        )
    }

    async fn insert_journal(&self, j: &JournalDraft) -> R<()> {
        exec(
            self.0,
            "INSERT INTO journal (at_us, kind, hold_id, scope, tenant, feature, amount, \
             price_version, request_id, upstream_ids, actor, reason) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                j.at_us,
                j.kind.as_str(),
                j.hold_id,
                j.scope,
                j.tenant,
                j.feature,
                j.amount,
                j.price_version,
                j.request_id,
                j.upstream_ids,
                j.actor,
                j.reason
            ],
        )
    }

    async fn hold_for_update(&self, hold_id: &str) -> R<Option<HoldRow>> {
        load_hold(self.0, hold_id)
    }

    async fn hold_to_expire(&self, hold_id: &str, now_us: i64) -> R<Option<HoldRow>> {
        let sql = format!("SELECT {HOLD_COLS} FROM holds WHERE hold_id = ?1 AND expires_us <= ?2");
        Ok(query_rows(self.0, &sql, params![hold_id, now_us], |r| hold_from(&r))?.pop())
    }

    async fn hold_id_of_job(&self, job_id: &str) -> R<Option<String>> {
        Ok(query_rows(
            self.0,
            "SELECT hold_id FROM jobs WHERE job_id = ?1",
            [job_id],
            |r| r.0.get(0).map_err(sql_err),
        )?
        .pop())
    }

    async fn jobs_by_ids(&self, job_ids: &[String]) -> R<Vec<JobRow>> {
        let mut out = Vec::new();
        for id in job_ids {
            out.extend(jobs_where(self.0, "job_id = ?1", id)?);
        }
        Ok(out)
    }

    async fn jobs_of_hold(&self, hold_id: &str) -> R<Vec<JobRow>> {
        jobs_where(self.0, "hold_id = ?1", hold_id)
    }

    async fn insert_job(&self, j: &JobRow) -> R<()> {
        let sql = format!(
            "INSERT INTO jobs ({JOB_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        );
        exec(
            self.0,
            &sql,
            params![
                j.job_id,
                j.hold_id,
                j.feature,
                j.status_path,
                j.held,
                j.held_open,
                j.captured,
                j.state.as_str(),
                j.source,
                j.submitted_us,
                j.settled_us
            ],
        )
    }

    async fn exec(&self, sql: &str, params: &[Param]) -> R<u64> {
        self.0
            .prepare_cached(sql)
            .and_then(|mut s| s.execute(rusqlite::params_from_iter(params)))
            .map(|n| n as u64)
            .map_err(sql_err)
    }

    async fn query<T>(
        &self,
        sql: &str,
        params: &[Param],
        map: fn(&dyn RowAccess) -> R<T>,
    ) -> R<Vec<T>> {
        query_rows(self.0, sql, rusqlite::params_from_iter(params), |r| map(&r))
    }

    async fn lock_name(&self, _name: &str) -> R<()> {
        // BEGIN IMMEDIATE: no other writer runs until this commits.
        Ok(())
    }

    fn skip_locked(&self, _alias: &str) -> String {
        // BEGIN IMMEDIATE: no other writer runs until this commits.
        String::new()
    }

    async fn update_job(&self, j: &JobRow) -> R<()> {
        exec(
            self.0,
            "UPDATE jobs SET state = ?2, held_open = ?3, captured = ?4, source = ?5, \
             settled_us = ?6 WHERE job_id = ?1",
            params![
                j.job_id,
                j.state.as_str(),
                j.held_open,
                j.captured,
                j.source,
                j.settled_us
            ],
        )
    }
}
