//! Idempotency keys on PostgreSQL: claim, complete, abandon, purge.

use deadpool_postgres::{GenericClient, Transaction};

use super::Fail;
use crate::ledger::rows::{headers_from_json, headers_to_json};
use crate::ledger::types::*;

type R<T> = Result<T, Fail>;

/// Claims `key`. The upsert replaces only an entry older than the TTL, or
/// a pending claim of this same request past its lease (its request is
/// gone); a live entry is left alone (and locked). The conflicting row is
/// locked and the `WHERE` re-read on its latest version, so of concurrent
/// duplicates exactly one sees its row inserted or taken over: the others
/// find the claim it just renewed, within its lease.
pub(super) async fn begin(
    tx: &Transaction<'_>,
    tenant: &str,
    key: &str,
    hash: &[u8; 32],
    at: IdemCutoffs,
) -> R<IdemBegin> {
    let claim = tx
        .prepare_cached(
            "INSERT INTO idempotency (tenant, key, body_hash, state, created_us) \
             VALUES ($1, $2, $3, 'pending', $4) \
             ON CONFLICT (tenant, key) DO UPDATE SET body_hash = EXCLUDED.body_hash, \
             state = 'pending', status = NULL, headers = NULL, body = NULL, \
             created_us = EXCLUDED.created_us \
             WHERE idempotency.created_us < $5 \
             OR (idempotency.state = 'pending' AND idempotency.created_us < $6 \
                 AND idempotency.body_hash = EXCLUDED.body_hash) \
             RETURNING 1",
        )
        .await?;
    let hash = hash.as_slice();
    let (now_us, expired_us, stale_us) = (at.now_us, at.expired_us, at.stale_us);
    if tx
        .query_opt(
            &claim,
            &[&tenant, &key, &hash, &now_us, &expired_us, &stale_us],
        )
        .await?
        .is_some()
    {
        return Ok(IdemBegin::New);
    }
    let stmt = tx
        .prepare_cached(
            "SELECT body_hash, state, status, headers, body FROM idempotency \
             WHERE tenant = $1 AND key = $2",
        )
        .await?;
    let Some(r) = tx.query_opt(&stmt, &[&tenant, &key]).await? else {
        // Deleted between the two statements (abandoned): treat as busy.
        return Ok(IdemBegin::InProgress);
    };
    let stored: Vec<u8> = r.try_get(0)?;
    let state: String = r.try_get(1)?;
    if stored.as_slice() != hash {
        return Ok(IdemBegin::Mismatch);
    }
    if state != "done" {
        return Ok(IdemBegin::InProgress);
    }
    let status: Option<i32> = r.try_get(2)?;
    let headers: Option<String> = r.try_get(3)?;
    let body: Option<Vec<u8>> = r.try_get(4)?;
    Ok(IdemBegin::Replay(StoredResponse {
        status: status.and_then(|s| u16::try_from(s).ok()).unwrap_or(500),
        headers: headers_from_json(headers.as_deref().unwrap_or("[]"))?,
        body: body.unwrap_or_default(),
    }))
}

pub(super) async fn complete(
    c: &impl GenericClient,
    tenant: &str,
    key: &str,
    resp: &StoredResponse,
) -> R<()> {
    let stmt = c
        .prepare_cached(
            "UPDATE idempotency SET state = 'done', status = $3, headers = $4, body = $5 \
             WHERE tenant = $1 AND key = $2",
        )
        .await?;
    let n = c
        .execute(
            &stmt,
            &[
                &tenant,
                &key,
                &i32::from(resp.status),
                &headers_to_json(&resp.headers),
                &resp.body,
            ],
        )
        .await?;
    if n == 0 {
        return Err(LedgerError::NotFound(format!("idempotency key {key}")).into());
    }
    Ok(())
}

pub(super) async fn abandon(c: &impl GenericClient, tenant: &str, key: &str) -> R<()> {
    let stmt = c
        .prepare_cached(
            "DELETE FROM idempotency WHERE tenant = $1 AND key = $2 AND state = 'pending'",
        )
        .await?;
    c.execute(&stmt, &[&tenant, &key]).await?;
    Ok(())
}

pub(super) async fn purge(c: &impl GenericClient, cutoff_us: i64) -> R<()> {
    let stmt = c
        .prepare_cached("DELETE FROM idempotency WHERE created_us < $1")
        .await?;
    c.execute(&stmt, &[&cutoff_us]).await?;
    Ok(())
}
