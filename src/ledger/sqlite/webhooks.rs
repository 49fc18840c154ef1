//! The webhook calls of [`Registry`](crate::ledger::Registry) on SQLite:
//! tenant endpoints and their delivery outbox, each one shared operation
//! from `ledger::ops` in the worker's group-commit transaction. The
//! worker's closures are 'static, so borrowed arguments travel as owned
//! parts.
//!
//! Their own file, as the session calls are in `sessions`: the trait impl
//! in `registry.rs` delegates to them.

use chrono::{DateTime, Utc};

use super::tx::SqliteTx;
use super::SqliteLedger;
use crate::ledger::ops::{outbox, registry, run_ready};
use crate::ledger::rows::to_us;
use crate::ledger::*;

type R<T> = Result<T, LedgerError>;

pub(super) fn owned(ids: &[String]) -> Vec<String> {
    ids.to_vec()
}

pub(super) async fn add_endpoint(
    l: &SqliteLedger,
    tenant: &str,
    url: &str,
    events: &[String],
    secret: &str,
    max: u32,
) -> R<Option<EndpointInfo>> {
    let (t, u, e, s) = (
        tenant.to_string(),
        url.to_string(),
        owned(events),
        secret.to_string(),
    );
    let now = l.now_us();
    l.worker
        .call(move |c| {
            run_ready(registry::add_endpoint(
                &SqliteTx(c),
                &t,
                &u,
                &e,
                &s,
                max,
                now,
            ))
        })
        .await
}

pub(super) async fn list_endpoints(l: &SqliteLedger, tenant: &str) -> R<Vec<EndpointInfo>> {
    let t = tenant.to_string();
    let all = l
        .worker
        .call(move |c| run_ready(registry::endpoints(&SqliteTx(c), &t)))
        .await?;
    Ok(all.into_iter().map(|e| e.info).collect())
}

pub(super) async fn delete_endpoint(l: &SqliteLedger, tenant: &str, endpoint_id: &str) -> R<bool> {
    let (t, id) = (tenant.to_string(), endpoint_id.to_string());
    l.worker
        .call(move |c| run_ready(registry::delete_endpoint(&SqliteTx(c), &t, &id)))
        .await
}

pub(super) async fn endpoints_for(l: &SqliteLedger, tenant: &str, event: &str) -> R<Vec<Endpoint>> {
    let t = tenant.to_string();
    let all = l
        .worker
        .call(move |c| run_ready(registry::endpoints(&SqliteTx(c), &t)))
        .await?;
    Ok(registry::subscribed(all, event))
}

pub(super) async fn enqueue_deliveries(
    l: &SqliteLedger,
    event_id: &str,
    tenant: &str,
    payload: &str,
    endpoint_ids: &[String],
) -> R<u32> {
    let (ev, t, p, ids) = (
        event_id.to_string(),
        tenant.to_string(),
        payload.to_string(),
        owned(endpoint_ids),
    );
    let now = l.now_us();
    l.worker
        .call(move |c| run_ready(outbox::enqueue(&SqliteTx(c), &ev, &t, &p, &ids, now)))
        .await
}

pub(super) async fn due_deliveries(
    l: &SqliteLedger,
    now: DateTime<Utc>,
    limit: u32,
) -> R<Vec<Delivery>> {
    let now = to_us(now);
    l.worker
        .call(move |c| run_ready(outbox::claim(&SqliteTx(c), now, limit)))
        .await
}

pub(super) async fn delivery_result(
    l: &SqliteLedger,
    id: i64,
    ok: bool,
    status: Option<u16>,
    error: Option<&str>,
    next_attempt_at: DateTime<Utc>,
) -> R<DeliveryState> {
    let (err, next, now) = (
        error.map(str::to_string),
        to_us(next_attempt_at),
        l.now_us(),
    );
    l.worker
        .call(move |c| {
            run_ready(outbox::finish(
                &SqliteTx(c),
                id,
                ok,
                status,
                err.as_deref(),
                next,
                now,
            ))
        })
        .await
}

pub(super) async fn abandon_delivery(l: &SqliteLedger, id: i64, reason: &str) -> R<bool> {
    let reason = reason.to_string();
    l.worker
        .call(move |c| run_ready(outbox::abandon(&SqliteTx(c), id, &reason)))
        .await
}

pub(super) async fn delivery_log(
    l: &SqliteLedger,
    tenant: &str,
    endpoint_id: Option<&str>,
    limit: u32,
) -> R<Vec<DeliveryLogEntry>> {
    let (t, e) = (tenant.to_string(), endpoint_id.map(str::to_string));
    l.worker
        .call(move |c| run_ready(outbox::log(&SqliteTx(c), &t, e.as_deref(), limit)))
        .await
}

pub(super) async fn purge_deliveries(
    l: &SqliteLedger,
    before: DateTime<Utc>,
    limit: u32,
) -> R<u64> {
    let cutoff = to_us(before);
    l.worker
        .call(move |c| run_ready(outbox::purge(&SqliteTx(c), cutoff, limit)))
        .await
}

pub(super) async fn outbox_depth(l: &SqliteLedger) -> R<u64> {
    l.worker
        .call(|c| run_ready(outbox::depth(&SqliteTx(c))))
        .await
}
