//! SQLite reads outside any write (reports, lookups, pollers).

use rusqlite::{params, Connection, OptionalExtension};

use super::{query_rows, sql_err};
use crate::ledger::decide::Counter;
use crate::ledger::rows::{
    hold_from, job_info_from, journal_from, pending_from, CounterKey, HOLD_COLS, JOB_INFO_COLS,
    JOURNAL_COLS, PENDING_COLS,
};
use crate::ledger::types::*;

type R<T> = Result<T, LedgerError>;

/// One counter row; a missing row is zero.
pub(super) fn counter(conn: &Connection, key: &CounterKey) -> R<Counter> {
    conn.prepare_cached(
        "SELECT held, spent, granted FROM counters WHERE scope = ?1 AND win = ?2 AND period = ?3",
    )
    .and_then(|mut s| {
        s.query_row(params![key.scope, key.window.as_str(), key.period], |r| {
            Ok(Counter {
                held: r.get(0)?,
                spent: r.get(1)?,
                granted: r.get(2)?,
            })
        })
        .optional()
    })
    .map(Option::unwrap_or_default)
    .map_err(sql_err)
}

pub(super) fn list_holds(conn: &Connection, f: &HoldFilter) -> R<Vec<HoldInfo>> {
    let order = if f.oldest_first { "ASC" } else { "DESC" };
    let sql = format!(
        "SELECT {HOLD_COLS} FROM holds WHERE (?1 IS NULL OR state = ?1) \
         AND (?2 IS NULL OR tenant = ?2) ORDER BY created_us {order}, hold_id LIMIT ?3"
    );
    query_rows(
        conn,
        &sql,
        params![f.state.map(HoldState::as_str), f.tenant, f.limit],
        |r| Ok(hold_from(&r)?.info()),
    )
}

pub(super) fn journal(
    conn: &Connection,
    from_us: i64,
    to_us: i64,
    after_seq: i64,
    limit: u32,
) -> R<Vec<JournalEntry>> {
    let sql = format!(
        "SELECT {JOURNAL_COLS} FROM journal WHERE at_us >= ?1 AND at_us < ?2 AND seq > ?3 \
         ORDER BY seq LIMIT ?4"
    );
    query_rows(conn, &sql, params![from_us, to_us, after_seq, limit], |r| {
        journal_from(&r)
    })
}

pub(super) fn journal_newest(
    conn: &Connection,
    from_us: i64,
    to_us: i64,
    limit: u32,
) -> R<Vec<JournalEntry>> {
    let sql = format!(
        "SELECT {JOURNAL_COLS} FROM journal WHERE at_us >= ?1 AND at_us < ?2 \
         ORDER BY seq DESC LIMIT ?3"
    );
    query_rows(conn, &sql, params![from_us, to_us, limit], |r| {
        journal_from(&r)
    })
}

pub(super) fn open_holds(conn: &Connection) -> R<(u64, Option<i64>)> {
    conn.query_row(
        "SELECT COUNT(*), MIN(created_us) FROM holds WHERE state IN ('held', 'submitted')",
        [],
        |r| Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get(1)?)),
    )
    .map_err(sql_err)
}

pub(super) fn jobs_to_poll(conn: &Connection, before_us: i64, limit: u32) -> R<Vec<PendingJob>> {
    let sql = format!(
        "SELECT {PENDING_COLS} FROM jobs j JOIN holds h ON h.hold_id = j.hold_id \
         WHERE (j.state = 'pending' OR (j.state = 'expired' AND j.submitted_us >= ?3)) \
         AND j.submitted_us < ?1 ORDER BY j.submitted_us, j.job_id LIMIT ?2"
    );
    let late = before_us.saturating_sub(crate::ledger::rows::LATE_POLL_US);
    query_rows(conn, &sql, params![before_us, limit, late], |r| {
        pending_from(&r)
    })
}

pub(super) fn get_job(conn: &Connection, job_id: &str) -> R<Option<JobInfo>> {
    let sql = format!("SELECT {JOB_INFO_COLS} FROM jobs j JOIN holds h ON h.hold_id = j.hold_id WHERE j.job_id = ?1");
    Ok(query_rows(conn, &sql, [job_id], |r| job_info_from(&r))?.pop())
}
