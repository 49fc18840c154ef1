//! Ledger writes on one SQLite connection, each run inside the worker's
//! transaction: load rows, ask the shared decision or plan, apply it.

use rusqlite::{params, Connection};

use super::{query_rows, read, sql_err};
use crate::ledger::decide::{
    adjust_journal, adjust_keys, evaluate, needs_render_count, new_hold, validate, CounterSet,
    Evaluation, RenderCounts,
};
use crate::ledger::rows::{
    hold_from, hold_keys, job_from, CounterKey, HoldRow, JobRow, JournalDraft, HOLD_COLS, JOB_COLS,
};
use crate::ledger::settle::{self, Effect, JobPlan};
use crate::ledger::types::*;
use crate::ledger::window::Periods;
use crate::money::Micros;

type R<T> = Result<T, LedgerError>;

pub(super) fn hold(conn: &Connection, req: &HoldRequest, hold_id: String) -> R<HoldDecision> {
    validate(req)?;
    let keys = hold_keys(&req.tenant, &Periods::at(req.now, req.tz));
    let counters = read_counters(conn, &keys)?;
    let renders = if needs_render_count(req) {
        count_renders(conn, req)?
    } else {
        RenderCounts::default()
    };
    match evaluate(req, &counters, renders) {
        Evaluation::Refuse(d) => Ok(d),
        Evaluation::Accept {
            remaining,
            shadow_shortfalls,
        } => {
            add_to_counters(conn, &keys, req.amount, 0)?;
            let (row, journal) = new_hold(req, hold_id.clone());
            insert_hold(conn, &row)?;
            insert_journal(conn, &journal)?;
            Ok(HoldDecision::Held {
                hold_id,
                remaining,
                shadow_shortfalls,
            })
        }
    }
}

fn read_counters(conn: &Connection, keys: &[CounterKey]) -> R<CounterSet> {
    let mut set = CounterSet::default();
    for k in keys {
        set.insert(k.scope.clone(), k.window, read::counter(conn, k)?);
    }
    Ok(set)
}

/// Open render holds of the scopes whose cap applies (a count the request
/// has no cap for stays 0 and is never compared).
fn count_renders(conn: &Connection, req: &HoldRequest) -> R<RenderCounts> {
    let mut counts = RenderCounts::default();
    if req.tenant_render_cap.is_some() {
        let n: i64 = conn
            .prepare_cached(
                "SELECT COUNT(*) FROM holds WHERE tenant = ?1 AND render = 1 \
                 AND state IN ('held', 'submitted')",
            )
            .and_then(|mut s| s.query_row([&req.tenant], |r| r.get(0)))
            .map_err(sql_err)?;
        counts.tenant = n.max(0) as u64;
    }
    if req.org_render_cap.is_some() {
        let n: i64 = conn
            .prepare_cached(
                "SELECT COUNT(*) FROM holds WHERE render = 1 AND state IN ('held', 'submitted')",
            )
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(sql_err)?;
        counts.org = n.max(0) as u64;
    }
    Ok(counts)
}

/// Adds to counter rows, creating missing ones.
fn add_to_counters(conn: &Connection, keys: &[CounterKey], held: Micros, spent: Micros) -> R<()> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO counters (scope, win, period, held, spent) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (scope, win, period) DO UPDATE \
             SET held = held + excluded.held, spent = spent + excluded.spent",
        )
        .map_err(sql_err)?;
    for k in keys {
        stmt.execute(params![k.scope, k.window.as_str(), k.period, held, spent])
            .map_err(sql_err)?;
    }
    Ok(())
}

/// Runs one cached prepared write.
fn exec(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> R<()> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute(params))
        .map(drop)
        .map_err(sql_err)
}

fn insert_hold(conn: &Connection, h: &HoldRow) -> R<()> {
    let sql = format!(
        "INSERT INTO holds ({HOLD_COLS}) VALUES \
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
    );
    exec(
        conn,
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

fn insert_journal(conn: &Connection, j: &JournalDraft) -> R<()> {
    exec(
        conn,
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

pub(super) fn load_hold(conn: &Connection, hold_id: &str) -> R<Option<HoldRow>> {
    let sql = format!("SELECT {HOLD_COLS} FROM holds WHERE hold_id = ?1");
    Ok(query_rows(conn, &sql, [hold_id], |r| hold_from(&r))?.pop())
}

fn must_hold(conn: &Connection, hold_id: &str) -> R<HoldRow> {
    load_hold(conn, hold_id)?.ok_or_else(|| LedgerError::NotFound(hold_id.to_string()))
}

fn jobs_where(conn: &Connection, clause: &str, arg: &str) -> R<Vec<JobRow>> {
    let sql = format!("SELECT {JOB_COLS} FROM jobs WHERE {clause}");
    query_rows(conn, &sql, [arg], |r| job_from(&r))
}

/// Writes a plan: counters of the hold's eight rows, the hold, its jobs,
/// the journal, all inside the caller's transaction.
fn apply(conn: &Connection, effect: &Effect) -> R<()> {
    if let Some(h) = &effect.hold {
        if effect.touches_counters() {
            add_to_counters(conn, &h.keys(), effect.held_delta, effect.spent_delta)?;
        }
        exec(
            conn,
            "UPDATE holds SET state = ?2, held_open = ?3, captured = ?4, settled_us = ?5 \
             WHERE hold_id = ?1",
            params![
                h.hold_id,
                h.state.as_str(),
                h.held_open,
                h.captured,
                h.settled_us
            ],
        )?;
    }
    let insert_job = format!(
        "INSERT INTO jobs ({JOB_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    );
    for j in &effect.insert_jobs {
        exec(
            conn,
            &insert_job,
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
        )?;
    }
    for j in &effect.update_jobs {
        exec(
            conn,
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
        )?;
    }
    for j in &effect.journal {
        insert_journal(conn, j)?;
    }
    Ok(())
}

pub(super) fn submit(
    conn: &Connection,
    hold_id: &str,
    records: &[JobRecord],
    now_us: i64,
) -> R<()> {
    let hold = must_hold(conn, hold_id)?;
    let mut existing = Vec::new();
    for r in records {
        existing.extend(jobs_where(conn, "job_id = ?1", &r.job_id)?);
    }
    apply(conn, &settle::submit(&hold, &existing, records, now_us)?)
}

pub(super) fn release(conn: &Connection, hold_id: &str, reason: &str, now_us: i64) -> R<()> {
    let hold = must_hold(conn, hold_id)?;
    apply(conn, &settle::release(&hold, reason, now_us)?)
}

pub(super) fn capture(
    conn: &Connection,
    hold_id: &str,
    amount: Micros,
    now_us: i64,
) -> R<Settlement> {
    let hold = must_hold(conn, hold_id)?;
    let (effect, settlement) = settle::capture(&hold, amount, now_us)?;
    apply(conn, &effect)?;
    Ok(settlement)
}

pub(super) fn settle_job(
    conn: &Connection,
    job_id: &str,
    outcome: JobSettlement,
    source: &str,
    now_us: i64,
) -> R<SettleResult> {
    let Some(job) = jobs_where(conn, "job_id = ?1", job_id)?.pop() else {
        return Ok(SettleResult::UnknownJob);
    };
    let hold = must_hold(conn, &job.hold_id)?;
    let jobs = jobs_where(conn, "hold_id = ?1", &hold.hold_id)?;
    match settle::settle_job(&hold, &jobs, job_id, outcome, source, now_us)? {
        JobPlan::AlreadySettled => Ok(SettleResult::AlreadySettled),
        JobPlan::Apply(effect, settlement) => {
            apply(conn, &effect)?;
            Ok(SettleResult::Settled(settlement))
        }
    }
}

/// Expires up to `limit` holds; also purges stale idempotency keys.
pub(super) fn expire(
    conn: &Connection,
    now_us: i64,
    idem_cutoff_us: i64,
    limit: u32,
) -> R<Vec<ExpiredHold>> {
    conn.execute(
        "DELETE FROM idempotency WHERE created_us < ?1",
        [idem_cutoff_us],
    )
    .map_err(sql_err)?;
    let ids: Vec<String> = conn
        .prepare_cached(
            "SELECT hold_id FROM holds WHERE state IN ('held', 'submitted') AND expires_us <= ?1 \
             ORDER BY expires_us LIMIT ?2",
        )
        .and_then(|mut s| {
            s.query_map(params![now_us, limit], |r| r.get(0))?
                .collect::<Result<_, _>>()
        })
        .map_err(sql_err)?;
    let mut out = Vec::new();
    for id in ids {
        let hold = must_hold(conn, &id)?;
        let jobs = jobs_where(conn, "hold_id = ?1", &id)?;
        if let Some((effect, expired)) = settle::expire(&hold, &jobs, now_us) {
            apply(conn, &effect)?;
            out.push(expired);
        }
    }
    Ok(out)
}

pub(super) fn adjust(conn: &Connection, adj: &Adjustment) -> R<()> {
    let keys = adjust_keys(&adj.scope, adj.window, &Periods::at(adj.now, adj.tz));
    add_to_counters(conn, &keys, 0, adj.amount.saturating_neg())?;
    insert_journal(conn, &adjust_journal(adj))
}
