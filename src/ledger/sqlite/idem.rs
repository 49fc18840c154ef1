//! Idempotency keys on SQLite: claim, complete, abandon, purge. Each runs
//! in the worker's transaction, so a claim's read and write are atomic.

use rusqlite::{params, Connection, OptionalExtension};

use super::sql_err;
use crate::ledger::rows::{headers_from_json, headers_to_json};
use crate::ledger::types::*;

type R<T> = Result<T, LedgerError>;

/// Claims `key`; an entry older than the TTL counts as absent, and so does
/// a pending claim of this same request past its lease (its request is
/// gone). The read and the upsert share the worker's transaction, so of
/// racing retries of a stale claim only the first takes it over: the next
/// finds the claim it just renewed, within its lease.
pub(super) fn begin(
    conn: &Connection,
    tenant: &str,
    key: &str,
    hash: &[u8; 32],
    at: IdemCutoffs,
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
        let same = stored_hash.as_slice() == hash.as_slice();
        // Pending past its lease: the request that claimed the key is gone,
        // and this retry of it takes the key over.
        let lost = same && state != "done" && created_us < at.stale_us;
        if created_us >= at.expired_us && !lost {
            return if !same {
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
        params![tenant, key, hash.as_slice(), at.now_us],
    )
    .map_err(sql_err)?;
    Ok(IdemBegin::New)
}

pub(super) fn complete(conn: &Connection, tenant: &str, key: &str, resp: &StoredResponse) -> R<()> {
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

pub(super) fn abandon(conn: &Connection, tenant: &str, key: &str) -> R<()> {
    conn.execute(
        "DELETE FROM idempotency WHERE tenant = ?1 AND key = ?2 AND state = 'pending'",
        params![tenant, key],
    )
    .map(drop)
    .map_err(sql_err)
}

/// Forgets keys created before the cutoff (older than the TTL).
pub(super) fn purge(conn: &Connection, cutoff_us: i64) -> R<()> {
    conn.execute("DELETE FROM idempotency WHERE created_us < ?1", [cutoff_us])
        .map(drop)
        .map_err(sql_err)
}
