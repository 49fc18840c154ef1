//! Holds and counter rows on PostgreSQL, one transaction each (READ COMMITTED).
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
    evaluate, needs_render_count, new_hold, validate, Counter, CounterSet, Evaluation, RenderCounts,
};
use crate::ledger::rows::{
    hold_from, hold_keys, parse_window, CounterKey, HoldRow, JournalDraft, HOLD_COLS,
};
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
pub(super) async fn lock_counters(tx: &Transaction<'_>, keys: &[CounterKey]) -> R<CounterSet> {
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

/// Runs one cached prepared write.
pub(super) async fn exec(tx: &Transaction<'_>, sql: &str, params: &[&(dyn ToSql + Sync)]) -> R<()> {
    let stmt = tx.prepare_cached(sql).await?;
    tx.execute(&stmt, params).await?;
    Ok(())
}

/// Adds to counter rows already locked by [`lock_counters`].
pub(super) async fn add_to_counters(
    tx: &Transaction<'_>,
    keys: &[CounterKey],
    held: Micros,
    spent: Micros,
) -> R<()> {
    let (s, w, p) = key_arrays(keys);
    exec(
        tx,
        "UPDATE counters c SET held = c.held + $4, spent = c.spent + $5 \
         FROM unnest($1::text[], $2::text[], $3::text[]) AS k(s, w, p) \
         WHERE c.scope = k.s AND c.win = k.w AND c.period = k.p",
        &[&s, &w, &p, &held, &spent],
    )
    .await
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
    exec(
        tx,
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

pub(super) async fn insert_journal(tx: &Transaction<'_>, j: &JournalDraft) -> R<()> {
    exec(
        tx,
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
