//! SQLite reads and idempotency keys.

use rusqlite::{params, Connection, OptionalExtension};

use super::{query_rows, sql_err};
use crate::ledger::decide::Counter;
use crate::ledger::rows::{
    headers_from_json, headers_to_json, hold_from, job_info_from, journal_from, pending_from,
    CounterKey, HOLD_COLS, JOB_INFO_COLS, JOURNAL_COLS, PENDING_COLS,
};
use crate::ledger::types::*;

type R<T> = Result<T, LedgerError>;

/// One counter row; a missing row is zero.
pub(super) fn counter(conn: &Connection, key: &CounterKey) -> R<Counter> {
    conn.prepare_cached(
        "SELECT held, spent FROM counters WHERE scope = ?1 AND win = ?2 AND period = ?3",
    )
    .and_then(|mut s| {
        s.query_row(params![key.scope, key.window.as_str(), key.period], |r| {
            Ok(Counter {
                held: r.get(0)?,
                spent: r.get(1)?,
            })
        })
        .optional()
    })
    .map(Option::unwrap_or_default)
    .map_err(sql_err)
}

pub(super) fn list_holds(conn: &Connection, f: &HoldFilter) -> R<Vec<HoldInfo>> {
    let sql = format!(
        "SELECT {HOLD_COLS} FROM holds WHERE (?1 IS NULL OR state = ?1) \
         AND (?2 IS NULL OR tenant = ?2) ORDER BY created_us DESC, hold_id LIMIT ?3"
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
    limit: u32,
) -> R<Vec<JournalEntry>> {
    let sql = format!(
        "SELECT {JOURNAL_COLS} FROM journal WHERE at_us >= ?1 AND at_us < ?2 ORDER BY seq LIMIT ?3"
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

pub(super) fn renders(conn: &Connection, tenant: Option<&str>) -> R<u32> {
    conn.query_row(
        "SELECT COUNT(*) FROM holds WHERE render = 1 AND state IN ('held', 'submitted') \
         AND (?1 IS NULL OR tenant = ?1)",
        [tenant],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| u32::try_from(n.max(0)).unwrap_or(u32::MAX))
    .map_err(sql_err)
}

pub(super) fn jobs_to_poll(conn: &Connection, before_us: i64, limit: u32) -> R<Vec<PendingJob>> {
    let sql = format!(
        "SELECT {PENDING_COLS} FROM jobs j JOIN holds h ON h.hold_id = j.hold_id \
         WHERE j.state = 'pending' AND j.submitted_us < ?1 ORDER BY j.submitted_us, j.job_id LIMIT ?2"
    );
    query_rows(conn, &sql, params![before_us, limit], |r| pending_from(&r))
}

pub(super) fn get_job(conn: &Connection, job_id: &str) -> R<Option<JobInfo>> {
    let sql = format!("SELECT {JOB_INFO_COLS} FROM jobs j JOIN holds h ON h.hold_id = j.hold_id WHERE j.job_id = ?1");
    Ok(query_rows(conn, &sql, [job_id], |r| job_info_from(&r))?.pop())
}

/// Claims `key`; an entry older than the cutoff counts as absent.
pub(super) fn idem_begin(
    conn: &Connection,
    tenant: &str,
    key: &str,
    hash: &[u8; 32],
    now_us: i64,
    cutoff_us: i64,
) -> R<IdemBegin> {
    type Stored = (
        Vec<u8>,
        String,
        Option<i64>,
        Option<String>,
        Option<Vec<u8>>,
        i64,
    );
    let row: Option<Stored> = conn
        .query_row(
            "SELECT body_hash, state, status, headers, body, created_us FROM idempotency \
             WHERE tenant = ?1 AND key = ?2",
            params![tenant, key],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .optional()
        .map_err(sql_err)?;
    if let Some((stored_hash, state, status, headers, body, created_us)) = row {
        if created_us >= cutoff_us {
            return if stored_hash.as_slice() != hash.as_slice() {
                Ok(IdemBegin::Mismatch)
            } else if state != "done" {
                Ok(IdemBegin::InProgress)
            } else {
                Ok(IdemBegin::Replay(StoredResponse {
                    status: status.and_then(|s| u16::try_from(s).ok()).unwrap_or(500),
                    headers: headers_from_json(headers.as_deref().unwrap_or("[]"))?,
                    body: body.unwrap_or_default(),
                }))
            };
        }
    }
    conn.execute(
        "INSERT INTO idempotency (tenant, key, body_hash, state, created_us) \
         VALUES (?1, ?2, ?3, 'pending', ?4) \
         ON CONFLICT (tenant, key) DO UPDATE SET body_hash = excluded.body_hash, \
         state = 'pending', status = NULL, headers = NULL, body = NULL, created_us = excluded.created_us",
        params![tenant, key, hash.as_slice(), now_us],
    )
    .map_err(sql_err)?;
    Ok(IdemBegin::New)
}

pub(super) fn idem_complete(
    conn: &Connection,
    tenant: &str,
    key: &str,
    resp: &StoredResponse,
) -> R<()> {
    let n = conn
        .execute(
            "UPDATE idempotency SET state = 'done', status = ?3, headers = ?4, body = ?5 \
             WHERE tenant = ?1 AND key = ?2",
            params![
                tenant,
                key,
                resp.status,
                headers_to_json(&resp.headers),
                resp.body
            ],
        )
        .map_err(sql_err)?;
    if n == 0 {
        return Err(LedgerError::NotFound(format!("idempotency key {key}")));
    }
    Ok(())
}

pub(super) fn idem_abandon(conn: &Connection, tenant: &str, key: &str) -> R<()> {
    conn.execute(
        "DELETE FROM idempotency WHERE tenant = ?1 AND key = ?2 AND state = 'pending'",
        params![tenant, key],
    )
    .map(drop)
    .map_err(sql_err)
}
