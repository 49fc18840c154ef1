//! Lifecycle writes on PostgreSQL (submit, release, capture, settlement,
//! expiry, adjustment): lock the hold, then its jobs, then its counter rows
//! (the order in `ops`), ask the shared plan, apply it.

use deadpool_postgres::Transaction;

use super::ops::{add_to_counters, exec, insert_journal, load_hold, lock_counters};
use super::{Fail, PgRow};
use crate::ledger::decide::{adjust_journal, adjust_keys};
use crate::ledger::rows::{hold_from, job_from, HoldRow, JobRow, HOLD_COLS, JOB_COLS};
use crate::ledger::settle::{self, Effect, JobPlan};
use crate::ledger::types::*;
use crate::ledger::window::Periods;
use crate::money::Micros;

type R<T> = Result<T, Fail>;

async fn must_hold(tx: &Transaction<'_>, hold_id: &str) -> R<HoldRow> {
    load_hold(tx, hold_id, true)
        .await?
        .ok_or_else(|| LedgerError::NotFound(hold_id.to_string()).into())
}

async fn jobs_of(tx: &Transaction<'_>, hold_id: &str) -> R<Vec<JobRow>> {
    let sql = format!("SELECT {JOB_COLS} FROM jobs WHERE hold_id = $1 ORDER BY job_id FOR UPDATE");
    let stmt = tx.prepare_cached(&sql).await?;
    let rows = tx.query(&stmt, &[&hold_id]).await?;
    rows.iter().map(|r| Ok(job_from(&PgRow(r))?)).collect()
}

/// Writes a plan inside the caller's transaction.
async fn apply(tx: &Transaction<'_>, effect: &Effect) -> R<()> {
    if let Some(h) = &effect.hold {
        if effect.touches_counters() {
            let keys = h.keys();
            lock_counters(tx, &keys).await?;
            add_to_counters(tx, &keys, effect.held_delta, effect.spent_delta).await?;
        }
        exec(
            tx,
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
        .await?;
    }
    let insert_job = format!(
        "INSERT INTO jobs ({JOB_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    );
    for j in &effect.insert_jobs {
        exec(
            tx,
            &insert_job,
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
        .await?;
    }
    for j in &effect.update_jobs {
        exec(
            tx,
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
        .await?;
    }
    for j in &effect.journal {
        insert_journal(tx, j).await?;
    }
    Ok(())
}

pub(super) async fn submit(
    tx: &Transaction<'_>,
    hold_id: &str,
    records: &[JobRecord],
    now_us: i64,
) -> R<()> {
    let hold = must_hold(tx, hold_id).await?;
    let ids: Vec<String> = records.iter().map(|r| r.job_id.clone()).collect();
    let sql = format!("SELECT {JOB_COLS} FROM jobs WHERE job_id = ANY($1)");
    let stmt = tx.prepare_cached(&sql).await?;
    let existing = tx
        .query(&stmt, &[&ids])
        .await?
        .iter()
        .map(|r| job_from(&PgRow(r)))
        .collect::<Result<Vec<_>, _>>()?;
    apply(tx, &settle::submit(&hold, &existing, records, now_us)?).await
}

pub(super) async fn release(
    tx: &Transaction<'_>,
    hold_id: &str,
    reason: &str,
    now_us: i64,
) -> R<()> {
    let hold = must_hold(tx, hold_id).await?;
    apply(tx, &settle::release(&hold, reason, now_us)?).await
}

pub(super) async fn capture(
    tx: &Transaction<'_>,
    hold_id: &str,
    amount: Micros,
    now_us: i64,
) -> R<Settlement> {
    let hold = must_hold(tx, hold_id).await?;
    let (effect, settlement) = settle::capture(&hold, amount, now_us)?;
    apply(tx, &effect).await?;
    Ok(settlement)
}

pub(super) async fn settle_job(
    tx: &Transaction<'_>,
    job_id: &str,
    outcome: JobSettlement,
    source: &str,
    now_us: i64,
) -> R<SettleResult> {
    let stmt = tx
        .prepare_cached("SELECT hold_id FROM jobs WHERE job_id = $1")
        .await?;
    let Some(row) = tx.query_opt(&stmt, &[&job_id]).await? else {
        return Ok(SettleResult::UnknownJob);
    };
    let hold_id: String = row.try_get(0)?;
    let hold = must_hold(tx, &hold_id).await?;
    let jobs = jobs_of(tx, &hold_id).await?;
    match settle::settle_job(&hold, &jobs, job_id, outcome, source, now_us)? {
        JobPlan::AlreadySettled => Ok(SettleResult::AlreadySettled),
        JobPlan::Apply(effect, settlement) => {
            apply(tx, &effect).await?;
            Ok(SettleResult::Settled(settlement))
        }
    }
}

/// Expires one hold if it is still open and nobody else holds its lock.
pub(super) async fn expire_one(
    tx: &Transaction<'_>,
    hold_id: &str,
    now_us: i64,
) -> R<Option<ExpiredHold>> {
    let sql = format!(
        "SELECT {HOLD_COLS} FROM holds WHERE hold_id = $1 AND expires_us <= $2 \
         FOR UPDATE SKIP LOCKED"
    );
    let stmt = tx.prepare_cached(&sql).await?;
    let Some(r) = tx.query_opt(&stmt, &[&hold_id, &now_us]).await? else {
        return Ok(None);
    };
    let hold = hold_from(&PgRow(&r))?;
    let jobs = jobs_of(tx, hold_id).await?;
    match settle::expire(&hold, &jobs, now_us) {
        Some((effect, expired)) => {
            apply(tx, &effect).await?;
            Ok(Some(expired))
        }
        None => Ok(None),
    }
}

pub(super) async fn adjust(tx: &Transaction<'_>, adj: &Adjustment) -> R<()> {
    let keys = adjust_keys(&adj.scope, adj.window, &Periods::at(adj.now, adj.tz));
    lock_counters(tx, &keys).await?;
    add_to_counters(tx, &keys, 0, adj.amount.saturating_neg()).await?;
    insert_journal(tx, &adjust_journal(adj)).await
}
