//! The durable webhook outbox, written once over [`Tx`]: rows are queued
//! once per (event, endpoint), claimed under a lease so replicas never send
//! the same row at once, and finished as delivered or dead.

use super::Tx;
use crate::ledger::resources::*;
use crate::ledger::rows::{from_us, RowAccess};
use crate::ledger::types::LedgerError;

pub(super) fn count(r: &dyn RowAccess, i: usize) -> Result<u32, LedgerError> {
    Ok(u32::try_from(r.int(i)?.max(0)).unwrap_or(u32::MAX))
}

fn state_from(s: &str) -> Result<DeliveryState, LedgerError> {
    DeliveryState::parse(s).ok_or_else(|| {
        LedgerError::Unavailable(format!("corrupt ledger row: unknown delivery state {s:?}"))
    })
}

pub(super) fn log_from(r: &dyn RowAccess) -> Result<DeliveryLogEntry, LedgerError> {
    Ok(DeliveryLogEntry {
        id: r.int(0)?,
        event_id: r.text(1)?,
        endpoint_id: r.text(2)?,
        state: state_from(&r.text(3)?)?,
        attempts: count(r, 4)?,
        last_status: r.opt_int(5)?.and_then(|s| u16::try_from(s).ok()),
        last_error: r.opt_text(6)?,
        created_at: from_us(r.int(7)?),
        next_attempt_at: from_us(r.int(8)?),
        delivered_at: r.opt_int(9)?.map(from_us),
    })
}

pub(super) const LOG_COLS: &str =
    "id, event_id, endpoint_id, state, attempts, last_status, last_error, \
     created_us, next_attempt_us, delivered_us";

/// Queues one row per endpoint of `tenant` (ids of other tenants' endpoints
/// are skipped); returns how many rows were new.
pub(crate) async fn enqueue<T: Tx>(
    tx: &T,
    event_id: &str,
    tenant: &str,
    payload: &str,
    endpoint_ids: &[String],
    now_us: i64,
) -> Result<u32, T::Error> {
    if event_id.is_empty() {
        return Err(LedgerError::InvalidState("delivery needs an event id".into()).into());
    }
    let mut queued = 0u32;
    for endpoint in endpoint_ids {
        // The SELECT's WHERE also lets SQLite parse the ON CONFLICT clause.
        let n = tx
            .exec(
                "INSERT INTO deliveries (event_id, tenant, endpoint_id, payload, state, attempts, \
                 next_attempt_us, locked_until_us, created_us) \
                 SELECT CAST(?1 AS TEXT), e.tenant, e.id, CAST(?3 AS TEXT), 'pending', 0, \
                 CAST(?4 AS BIGINT), 0, CAST(?4 AS BIGINT) \
                 FROM webhook_endpoints e WHERE e.id = ?5 AND e.tenant = ?2 \
                 ON CONFLICT (event_id, endpoint_id) DO NOTHING",
                &[
                    event_id.into(),
                    tenant.into(),
                    payload.into(),
                    now_us.into(),
                    endpoint.as_str().into(),
                ],
            )
            .await?;
        queued = queued.saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
    }
    Ok(queued)
}

/// Claims due rows until `now + DELIVERY_LEASE`, taking the tenants in
/// turn: each tenant's oldest due row first, then each one's second, and so
/// on. Claimed oldest-first across all tenants, one tenant's backlog for
/// endpoints that never answer (each attempt taking the whole egress
/// timeout) would fill every batch ahead of the others' rows, delaying every
/// tenant's webhooks by that backlog; taken in turn, another tenant's due
/// row waits at most for the batch in flight. (The ranking is a subquery:
/// PostgreSQL locks no rows of a query with window functions.)
pub(crate) async fn claim<T: Tx>(
    tx: &T,
    now_us: i64,
    limit: u32,
) -> Result<Vec<Delivery>, T::Error> {
    let sql = format!(
        "SELECT d.id, d.event_id, d.tenant, d.endpoint_id, e.url, e.secret, d.payload, d.attempts \
         FROM deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE d.id IN (SELECT id FROM (SELECT id, next_attempt_us, ROW_NUMBER() OVER \
         (PARTITION BY tenant ORDER BY next_attempt_us, id) AS turn FROM deliveries \
         WHERE state = 'pending' AND next_attempt_us <= ?1 AND locked_until_us <= ?1) ranked \
         ORDER BY turn, next_attempt_us, id LIMIT ?2) \
         AND d.state = 'pending' AND d.locked_until_us <= ?1 \
         ORDER BY d.next_attempt_us, d.id{}",
        tx.skip_locked("d")
    );
    let due = tx
        .query(&sql, &[now_us.into(), i64::from(limit).into()], |r| {
            Ok(Delivery {
                id: r.int(0)?,
                event_id: r.text(1)?,
                tenant: r.text(2)?,
                endpoint_id: r.text(3)?,
                url: r.text(4)?,
                secret: r.text(5)?,
                payload: r.text(6)?,
                attempts: count(r, 7)?,
            })
        })
        .await?;
    let ids: Vec<i64> = due.iter().map(|d| d.id).collect();
    lease(tx, &DELIVERIES, &ids, now_us).await?;
    Ok(due)
}

/// Records one attempt on a pending row; returns the row's state after.
pub(crate) async fn finish<T: Tx>(
    tx: &T,
    id: i64,
    ok: bool,
    status: Option<u16>,
    error: Option<&str>,
    next_attempt_us: i64,
    now_us: i64,
) -> Result<DeliveryState, T::Error> {
    let attempt = Attempt {
        ok,
        status,
        error,
        next_attempt_us,
        now_us,
        // Tenant deliveries are given up by attempts only.
        give_up_created_before_us: i64::MIN,
    };
    let state = record_attempt(tx, &DELIVERIES, id, &attempt).await?;
    Ok(state_from(&state)?)
}

/// Gives up a pending row without sending it (its tenant is no longer
/// configured, or is disabled): `dead` with `reason`. `false` when the row
/// was no longer pending.
pub(crate) async fn abandon<T: Tx>(tx: &T, id: i64, reason: &str) -> Result<bool, T::Error> {
    let n = tx
        .exec(
            "UPDATE deliveries SET state = 'dead', last_error = ?2, locked_until_us = 0 \
             WHERE id = ?1 AND state = 'pending'",
            &[id.into(), reason.into()],
        )
        .await?;
    Ok(n > 0)
}

pub(crate) async fn log<T: Tx>(
    tx: &T,
    tenant: &str,
    endpoint_id: Option<&str>,
    limit: u32,
) -> Result<Vec<DeliveryLogEntry>, T::Error> {
    let (filter, params) = match endpoint_id {
        Some(e) => (
            "AND endpoint_id = ?3",
            vec![tenant.into(), i64::from(limit).into(), e.into()],
        ),
        None => ("", vec![tenant.into(), i64::from(limit).into()]),
    };
    let sql = format!(
        "SELECT {LOG_COLS} FROM deliveries WHERE tenant = ?1 {filter} ORDER BY id DESC LIMIT ?2"
    );
    tx.query(&sql, &params, log_from).await
}

/// Deletes up to `limit` finished (`delivered`, `dead`) rows created
/// before `cutoff_us`, oldest first; returns how many. Pending rows stay
/// whatever their age: they are still to be sent or given up.
pub(crate) async fn purge<T: Tx>(tx: &T, cutoff_us: i64, limit: u32) -> Result<u64, T::Error> {
    tx.exec(
        "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries \
         WHERE created_us < ?1 AND state IN ('delivered', 'dead') \
         ORDER BY created_us LIMIT ?2)",
        &[cutoff_us.into(), i64::from(limit).into()],
    )
    .await
}

pub(crate) async fn depth<T: Tx>(tx: &T) -> Result<u64, T::Error> {
    pending(tx, &DELIVERIES).await
}

/// What the durable outboxes (tenant webhook deliveries, ops alerts) share:
/// claimed rows are leased, and one attempt is recorded the same way.
pub(crate) struct OutboxTable {
    pub(crate) table: &'static str,
    /// The state a row ends in when given up.
    pub(crate) gave_up: &'static str,
    pub(crate) max_attempts: u32,
}

pub(crate) const DELIVERIES: OutboxTable = OutboxTable {
    table: "deliveries",
    gave_up: "dead",
    max_attempts: MAX_DELIVERY_ATTEMPTS,
};

/// One attempt's outcome, as [`record_attempt`] writes it.
pub(crate) struct Attempt<'a> {
    pub(crate) ok: bool,
    pub(crate) status: Option<u16>,
    pub(crate) error: Option<&'a str>,
    pub(crate) next_attempt_us: i64,
    pub(crate) now_us: i64,
    /// A failed row created before this is given up whatever its attempts.
    pub(crate) give_up_created_before_us: i64,
}

/// Leases claimed rows until `now + DELIVERY_LEASE`, so other claimers
/// (replicas) skip them until a result is recorded or the lease ends.
pub(crate) async fn lease<T: Tx>(
    tx: &T,
    t: &OutboxTable,
    ids: &[i64],
    now_us: i64,
) -> Result<(), T::Error> {
    let lease = DELIVERY_LEASE.num_microseconds().unwrap_or(i64::MAX);
    let until = now_us.saturating_add(lease);
    let sql = format!("UPDATE {} SET locked_until_us = ?2 WHERE id = ?1", t.table);
    for id in ids {
        tx.exec(&sql, &[(*id).into(), until.into()]).await?;
    }
    Ok(())
}

/// Records one attempt on a pending row (a row already finished is left
/// alone, so a late failure cannot resurrect an acknowledged one); returns
/// the row's state text afterwards.
pub(crate) async fn record_attempt<T: Tx>(
    tx: &T,
    t: &OutboxTable,
    id: i64,
    a: &Attempt<'_>,
) -> Result<String, T::Error> {
    let sql = format!(
        "UPDATE {} SET attempts = attempts + 1, last_status = ?3, last_error = ?4, \
         locked_until_us = 0, \
         state = CASE WHEN ?2 THEN 'delivered' \
                 WHEN attempts + 1 >= ?5 OR created_us < ?8 THEN '{}' ELSE 'pending' END, \
         next_attempt_us = CASE WHEN ?2 THEN next_attempt_us ELSE ?6 END, \
         delivered_us = CASE WHEN ?2 THEN ?7 ELSE delivered_us END \
         WHERE id = ?1 AND state = 'pending'",
        t.table, t.gave_up
    );
    tx.exec(
        &sql,
        &[
            id.into(),
            a.ok.into(),
            a.status.map(i64::from).into(),
            a.error.into(),
            i64::from(t.max_attempts).into(),
            a.next_attempt_us.into(),
            a.now_us.into(),
            a.give_up_created_before_us.into(),
        ],
    )
    .await?;
    let sql = format!("SELECT state FROM {} WHERE id = ?1", t.table);
    let state = tx.query(&sql, &[id.into()], |r| r.text(0)).await?;
    match state.into_iter().next() {
        Some(s) => Ok(s),
        None => Err(LedgerError::NotFound(format!("{} row {id}", t.table)).into()),
    }
}

/// Rows still pending (due or not).
pub(crate) async fn pending<T: Tx>(tx: &T, t: &OutboxTable) -> Result<u64, T::Error> {
    let sql = format!("SELECT COUNT(*) FROM {} WHERE state = 'pending'", t.table);
    let n = tx.query(&sql, &[], |r| r.int(0)).await?;
    Ok(u64::try_from(n.into_iter().next().unwrap_or(0)).unwrap_or(0))
}
