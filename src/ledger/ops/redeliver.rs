//! Re-queueing dead webhook deliveries (see [`crate::ledger::Redeliveries`]),
//! written once over [`Tx`]. Each write is one conditional `UPDATE`: the
//! row must still be `dead`, the caller's tenant's, and its endpoint must
//! still exist (the worker claims only rows whose endpoint it can join, so
//! a row re-queued without one would stay pending forever). Under
//! PostgreSQL's READ COMMITTED a second concurrent `UPDATE` waits for the
//! first, re-checks `state = 'dead'` on the new row version and skips it;
//! SQLite runs one writer at a time: either way one call re-queues.

use super::outbox::{log_from, LOG_COLS};
use super::{Param, Tx};
use crate::ledger::redeliveries::{BulkRedelivery, DeadFilter, Redelivery};
use crate::ledger::resources::DeliveryState;
use crate::ledger::rows::to_us;
use crate::ledger::types::LedgerError;

/// `SET` of a re-queued row, due at parameter `?{now}`: a fresh attempt
/// budget, unleased. `last_status`/`last_error` stay: they say why it died
/// until the first new attempt replaces them.
fn requeue(now: usize) -> String {
    format!(
        "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_us = ?{now}, \
         locked_until_us = 0"
    )
}

/// The endpoint of the `deliveries` row at hand is still its tenant's.
const ENDPOINT_EXISTS: &str = "EXISTS (SELECT 1 FROM webhook_endpoints e \
     WHERE e.id = deliveries.endpoint_id AND e.tenant = deliveries.tenant)";

/// Re-queues the tenant's dead row `id`, or says why not.
pub(crate) async fn one<T: Tx>(
    tx: &T,
    tenant: &str,
    id: i64,
    now_us: i64,
) -> Result<Redelivery, T::Error> {
    let sql = format!(
        "{} WHERE id = ?2 AND tenant = ?3 AND state = 'dead' AND {ENDPOINT_EXISTS}",
        requeue(1)
    );
    let changed = tx
        .exec(&sql, &[now_us.into(), id.into(), tenant.into()])
        .await?;
    let sql = format!(
        "SELECT {LOG_COLS}, (SELECT COUNT(*) FROM webhook_endpoints e \
         WHERE e.id = d.endpoint_id AND e.tenant = d.tenant) \
         FROM deliveries d WHERE id = ?1 AND tenant = ?2"
    );
    let rows = tx
        .query(&sql, &[id.into(), tenant.into()], |r| {
            Ok((log_from(r)?, r.int(10)? > 0))
        })
        .await?;
    let Some((row, endpoint_exists)) = rows.into_iter().next() else {
        return Ok(Redelivery::NotFound);
    };
    if changed > 0 {
        return Ok(Redelivery::Requeued(row));
    }
    match (row.state, endpoint_exists) {
        (DeliveryState::Dead, false) => Ok(Redelivery::EndpointDeleted),
        (DeliveryState::Dead, true) => {
            // Not re-queued yet dead with its endpoint: the row changed
            // between the two statements (re-queued and given up again).
            Err(
                LedgerError::Conflict(format!("delivery {id} changed while being redelivered"))
                    .into(),
            )
        }
        (state, _) => Ok(Redelivery::NotDead(state)),
    }
}

/// Re-queues up to `limit` of the tenant's dead rows matching `f`, oldest
/// first; says whether more remain.
pub(crate) async fn bulk<T: Tx>(
    tx: &T,
    f: &DeadFilter<'_>,
    limit: u32,
    now_us: i64,
) -> Result<BulkRedelivery, T::Error> {
    // PostgreSQL must type every `$N` a statement is given, so the count
    // reuses the filter's parameters alone and the update appends its own.
    let mut params: Vec<Param> = vec![f.tenant.into(), to_us(f.since).into()];
    let endpoint = match f.endpoint_id {
        Some(e) => {
            params.push(e.into());
            "AND endpoint_id = ?3"
        }
        None => "",
    };
    let matching = format!(
        "tenant = ?1 AND state = 'dead' AND created_us >= ?2 {endpoint} AND {ENDPOINT_EXISTS}"
    );
    let (now_at, limit_at) = (params.len() + 1, params.len() + 2);
    let mut update_params = params.clone();
    update_params.extend([now_us.into(), i64::from(limit).into()]);
    // `state = 'dead'` again outside the subquery: on PostgreSQL the
    // subquery's ids come from the statement's snapshot, so a row another
    // call re-queued meanwhile would still match them and be re-queued (and
    // counted) twice; the outer condition is re-checked on its new version.
    let sql = format!(
        "{} WHERE id IN (SELECT id FROM deliveries WHERE {matching} ORDER BY id \
         LIMIT ?{limit_at}) AND state = 'dead'",
        requeue(now_at)
    );
    let requeued = tx.exec(&sql, &update_params).await?;
    let sql =
        format!("SELECT COUNT(*) FROM (SELECT id FROM deliveries WHERE {matching} LIMIT 1) m");
    let left = tx.query(&sql, &params, |r| r.int(0)).await?;
    Ok(BulkRedelivery {
        requeued,
        more: left.into_iter().next().unwrap_or(0) > 0,
    })
}
