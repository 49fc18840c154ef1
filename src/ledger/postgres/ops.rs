//! Ledger writes in one PostgreSQL transaction each (READ COMMITTED).
//!
//! Lock order, the same in every transaction so replicas cannot deadlock:
//! the hold row, then its job rows, then counter rows sorted by
//! (scope, win, period). Counter rows are first created with
//! `ON CONFLICT DO NOTHING` in that same order, then locked with
//! `SELECT … ORDER BY … FOR UPDATE`; the budget check reads the locked
//! values, so two replicas can never both spend the last credit.

use deadpool_postgres::{GenericClient, Transaction};
use tokio_postgres::types::ToSql;

use super::{Fail, PgRow};
use crate::ledger::decide::{
    adjust_journal, adjust_keys, evaluate, needs_render_count, new_hold, validate, Counter,
    CounterSet, Evaluation, RenderCounts,
};
use crate::ledger::rows::{
    hold_from, hold_keys, job_from, parse_window, CounterKey, HoldRow, JobRow, JournalDraft,
    HOLD_COLS, JOB_COLS,
};
use crate::ledger::settle::{self, Effect, JobPlan};
use crate::ledger::types::*;
use crate::ledger::window::Periods;
use crate::money::Micros;

type R<T> = Result<T, Fail>;

pub(super) fn key_arrays(keys: &[CounterKey]) -> (Vec<String>, Vec<String>, Vec<String>) {
    let scopes = keys.iter().map(|k| k.scope.clone()).collect();
    let wins = keys.iter().map(|k| k.window.as_str().to_string()).collect();
    let periods = keys.iter().map(|k| k.period.clone()).collect();
    (scopes, wins, periods)
}

/// Creates missing counter rows, then locks all of `keys` in sorted order.
async fn lock_counters(tx: &Transaction<'_>, keys: &[CounterKey]) -> R<CounterSet> {
    let (s, w, p) = key_arrays(keys);
    let insert = tx
        .prepare_cached(
            "INSERT INTO counters (scope, win, period) \
             SELECT k.s, k.w, k.p FROM unnest($1::text[], $2::text[], $3::text[]) AS k(s, w, p) \
             ORDER BY k.s, k.w, k.p ON CONFLICT DO NOTHING",
        )
        .await?;
    let lock = tx
        .prepare_cached(
            "SELECT scope, win, held, spent FROM counters \
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
        };
        set.insert(r.try_get(0)?, window, c);
    }
    Ok(set)
}

/// Adds to counter rows already locked by [`lock_counters`].
async fn add_to_counters(
    tx: &Transaction<'_>,
    keys: &[CounterKey],
    held: Micros,
    spent: Micros,
) -> R<()> {
    let (s, w, p) = key_arrays(keys);
    let stmt = tx
        .prepare_cached(
            "UPDATE counters c SET held = c.held + $4, spent = c.spent + $5 \
             FROM unnest($1::text[], $2::text[], $3::text[]) AS k(s, w, p) \
             WHERE c.scope = k.s AND c.win = k.w AND c.period = k.p",
        )
        .await?;
    tx.execute(&stmt, &[&s, &w, &p, &held, &spent]).await?;
    Ok(())
}

pub(super) async fn hold(
    tx: &Transaction<'_>,
    req: &HoldRequest,
    hold_id: &str,
) -> R<HoldDecision> {
    validate(req)?;
    let keys = hold_keys(&req.tenant, &Periods::at(req.now, req.tz));
    let counters = lock_counters(tx, &keys).await?;
    // Counted after the locks: every hold locks the org rows, so all
    // earlier holds have committed and are visible to this statement.
    let renders = if needs_render_count(req) {
        count_renders(tx, req).await?
    } else {
        RenderCounts::default()
    };
    match evaluate(req, &counters, renders) {
        Evaluation::Refuse(d) => Ok(d),
        Evaluation::Accept {
            remaining,
            shadow_shortfalls,
        } => {
            let (row, journal) = new_hold(req, hold_id.to_string());
            // Independent writes, pipelined in one round trip.
            tokio::try_join!(
                add_to_counters(tx, &keys, req.amount, 0),
                insert_hold(tx, &row),
                insert_journal(tx, &journal)
            )?;
            Ok(HoldDecision::Held {
                hold_id: hold_id.to_string(),
                remaining,
                shadow_shortfalls,
            })
        }
    }
}

/// Open render holds of the scopes whose cap applies (a count the request
/// has no cap for stays 0 and is never compared).
async fn count_renders(tx: &Transaction<'_>, req: &HoldRequest) -> R<RenderCounts> {
    let mut counts = RenderCounts::default();
    if req.tenant_render_cap.is_some() {
        let stmt = tx
            .prepare_cached(
                "SELECT COUNT(*) FROM holds WHERE tenant = $1 AND render \
                 AND state IN ('held', 'submitted')",
            )
            .await?;
        let n: i64 = tx.query_one(&stmt, &[&req.tenant]).await?.try_get(0)?;
        counts.tenant = n.max(0) as u64;
    }
    if req.org_render_cap.is_some() {
        let stmt = tx
            .prepare_cached(
                "SELECT COUNT(*) FROM holds WHERE render AND state IN ('held', 'submitted')",
            )
            .await?;
        let n: i64 = tx.query_one(&stmt, &[]).await?.try_get(0)?;
        counts.org = n.max(0) as u64;
    }
    Ok(counts)
}

async fn insert_hold(tx: &Transaction<'_>, h: &HoldRow) -> R<()> {
    let sql = format!(
        "INSERT INTO holds ({HOLD_COLS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    );
    let stmt = tx.prepare_cached(&sql).await?;
    tx.execute(
        &stmt,
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
    .await?;
    Ok(())
}

async fn insert_journal(tx: &Transaction<'_>, j: &JournalDraft) -> R<()> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO journal (at_us, kind, hold_id, scope, tenant, feature, amount, \
             price_version, request_id, upstream_ids, actor, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .await?;
    tx.execute(
        &stmt,
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
    .await?;
    Ok(())
}

/// Loads a hold; `lock` takes its row lock (first in the lock order).
pub(super) async fn load_hold(
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
        let stmt = tx
            .prepare_cached(
                "UPDATE holds SET state = $2, held_open = $3, captured = $4, settled_us = $5 \
                 WHERE hold_id = $1",
            )
            .await?;
        tx.execute(
            &stmt,
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
    for j in &effect.insert_jobs {
        let sql = format!(
            "INSERT INTO jobs ({JOB_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        );
        let stmt = tx.prepare_cached(&sql).await?;
        tx.execute(
            &stmt,
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
        let stmt = tx
            .prepare_cached(
                "UPDATE jobs SET state = $2, held_open = $3, captured = $4, source = $5, \
                 settled_us = $6 WHERE job_id = $1",
            )
            .await?;
        tx.execute(
            &stmt,
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
