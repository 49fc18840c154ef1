//! PostgreSQL reads and idempotency keys.

use std::collections::HashMap;

use deadpool_postgres::{GenericClient, Transaction};

use super::{Fail, PgRow};
use crate::ledger::decide::Counter;
use crate::ledger::rows::{
    headers_from_json, headers_to_json, hold_from, job_info_from, journal_from, parse_window,
    pending_from, CounterKey, HOLD_COLS, JOB_INFO_COLS, JOURNAL_COLS, PENDING_COLS,
};
use crate::ledger::types::*;

type R<T> = Result<T, Fail>;

/// Reads many counter rows in one round trip.
pub(super) async fn counters(
    c: &impl GenericClient,
    keys: &[CounterKey],
) -> R<HashMap<CounterKey, Counter>> {
    let (s, w, p) = super::ops::key_arrays(keys);
    let stmt = c
        .prepare_cached(
            "SELECT scope, win, period, held, spent FROM counters \
             WHERE (scope, win, period) IN \
                   (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))",
        )
        .await?;
    let mut out = HashMap::with_capacity(keys.len());
    for r in c.query(&stmt, &[&s, &w, &p]).await? {
        let key = CounterKey {
            scope: r.try_get(0)?,
            window: parse_window(r.try_get::<_, &str>(1)?)?,
            period: r.try_get(2)?,
        };
        let v = Counter {
            held: r.try_get(3)?,
            spent: r.try_get(4)?,
        };
        out.insert(key, v);
    }
    Ok(out)
}

pub(super) async fn list_holds(c: &impl GenericClient, f: &HoldFilter) -> R<Vec<HoldInfo>> {
    let sql = format!(
        "SELECT {HOLD_COLS} FROM holds WHERE ($1::text IS NULL OR state = $1) \
         AND ($2::text IS NULL OR tenant = $2) ORDER BY created_us DESC, hold_id LIMIT $3"
    );
    let stmt = c.prepare_cached(&sql).await?;
    let rows = c
        .query(
            &stmt,
            &[
                &f.state.map(HoldState::as_str),
                &f.tenant,
                &i64::from(f.limit),
            ],
        )
        .await?;
    rows.iter()
        .map(|r| Ok(hold_from(&PgRow(r))?.info()))
        .collect()
}

pub(super) async fn journal(
    c: &impl GenericClient,
    from_us: i64,
    to_us: i64,
    limit: u32,
) -> R<Vec<JournalEntry>> {
    let sql = format!(
        "SELECT {JOURNAL_COLS} FROM journal WHERE at_us >= $1 AND at_us < $2 ORDER BY seq LIMIT $3"
    );
    let stmt = c.prepare_cached(&sql).await?;
    let rows = c
        .query(&stmt, &[&from_us, &to_us, &i64::from(limit)])
        .await?;
    rows.iter().map(|r| Ok(journal_from(&PgRow(r))?)).collect()
}

pub(super) async fn open_holds(c: &impl GenericClient) -> R<(u64, Option<i64>)> {
    let r = c
        .query_one(
            "SELECT COUNT(*), MIN(created_us) FROM holds WHERE state IN ('held', 'submitted')",
            &[],
        )
        .await?;
    Ok((r.try_get::<_, i64>(0)?.max(0) as u64, r.try_get(1)?))
}

pub(super) async fn renders(c: &impl GenericClient, tenant: Option<&str>) -> R<u32> {
    let r = c
        .query_one(
            "SELECT COUNT(*) FROM holds WHERE render AND state IN ('held', 'submitted') \
             AND ($1::text IS NULL OR tenant = $1)",
            &[&tenant],
        )
        .await?;
    Ok(u32::try_from(r.try_get::<_, i64>(0)?.max(0)).unwrap_or(u32::MAX))
}

pub(super) async fn jobs_to_poll(
    c: &impl GenericClient,
    before_us: i64,
    limit: u32,
) -> R<Vec<PendingJob>> {
    let sql = format!(
        "SELECT {PENDING_COLS} FROM jobs j JOIN holds h ON h.hold_id = j.hold_id \
         WHERE j.state = 'pending' AND j.submitted_us < $1 \
         ORDER BY j.submitted_us, j.job_id LIMIT $2"
    );
    let stmt = c.prepare_cached(&sql).await?;
    let rows = c.query(&stmt, &[&before_us, &i64::from(limit)]).await?;
    rows.iter().map(|r| Ok(pending_from(&PgRow(r))?)).collect()
}

pub(super) async fn get_job(c: &impl GenericClient, job_id: &str) -> R<Option<JobInfo>> {
    let sql = format!("SELECT {JOB_INFO_COLS} FROM jobs j JOIN holds h ON h.hold_id = j.hold_id WHERE j.job_id = $1");
    let stmt = c.prepare_cached(&sql).await?;
    let rows = c.query(&stmt, &[&job_id]).await?;
    match rows.first() {
        Some(r) => Ok(Some(job_info_from(&PgRow(r))?)),
        None => Ok(None),
    }
}

pub(super) async fn expired_hold_ids(
    c: &impl GenericClient,
    now_us: i64,
    limit: u32,
) -> R<Vec<String>> {
    let stmt = c
        .prepare_cached(
            "SELECT hold_id FROM holds WHERE state IN ('held', 'submitted') AND expires_us <= $1 \
             ORDER BY expires_us LIMIT $2",
        )
        .await?;
    let rows = c.query(&stmt, &[&now_us, &i64::from(limit)]).await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// Claims `key`. The upsert replaces only an entry older than the cutoff;
/// a live entry is left alone (and locked), so of concurrent duplicates
/// exactly one sees its row inserted.
pub(super) async fn idem_begin(
    tx: &Transaction<'_>,
    tenant: &str,
    key: &str,
    hash: &[u8; 32],
    now_us: i64,
    cutoff_us: i64,
) -> R<IdemBegin> {
    let claim = tx
        .prepare_cached(
            "INSERT INTO idempotency (tenant, key, body_hash, state, created_us) \
             VALUES ($1, $2, $3, 'pending', $4) \
             ON CONFLICT (tenant, key) DO UPDATE SET body_hash = EXCLUDED.body_hash, \
             state = 'pending', status = NULL, headers = NULL, body = NULL, \
             created_us = EXCLUDED.created_us \
             WHERE idempotency.created_us < $5 RETURNING 1",
        )
        .await?;
    let hash = hash.as_slice();
    if tx
        .query_opt(&claim, &[&tenant, &key, &hash, &now_us, &cutoff_us])
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

pub(super) async fn idem_complete(
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

pub(super) async fn idem_abandon(c: &impl GenericClient, tenant: &str, key: &str) -> R<()> {
    let stmt = c
        .prepare_cached(
            "DELETE FROM idempotency WHERE tenant = $1 AND key = $2 AND state = 'pending'",
        )
        .await?;
    c.execute(&stmt, &[&tenant, &key]).await?;
    Ok(())
}

pub(super) async fn purge_idempotency(c: &impl GenericClient, cutoff_us: i64) -> R<()> {
    let stmt = c
        .prepare_cached("DELETE FROM idempotency WHERE created_us < $1")
        .await?;
    c.execute(&stmt, &[&cutoff_us]).await?;
    Ok(())
}
