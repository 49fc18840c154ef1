//! `POST /admin/v1/webhooks/redeliver` and the `redeliver` command: ops
//! re-queue a tenant's dead webhook deliveries queued since a time (e.g.
//! after its receiver was down longer than the retries last), optionally of
//! one endpoint, at most [`MAX_BULK_REDELIVERIES`] a call. The fan-out
//! worker then sends each stored payload, signed, as a first delivery.
//! The check and the ledger call are shared by both, so the endpoint and
//! the command refuse and count the same rows.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, StatusCode};
use serde_json::json;

use crate::config::Config;
use crate::error::GatewayError;
use crate::http::{json_response, Body};
use crate::ledger::{BulkRedelivery, DeadFilter, Ledger, MAX_BULK_REDELIVERIES};
use crate::state::AppState;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RedeliverRequest {
    tenant: String,
    /// RFC 3339: deliveries queued at or after it.
    since: String,
    endpoint_id: Option<String>,
    actor: Option<String>,
}

/// Re-queues `tenant`'s dead deliveries queued at or after `since`. A
/// tenant the config does not name is unknown (404); a disabled one is a
/// 409: the worker would give its rows up again unsent.
pub(crate) async fn requeue(
    ledger: &dyn Ledger,
    config: &Config,
    tenant: &str,
    since: DateTime<Utc>,
    endpoint_id: Option<&str>,
) -> Result<BulkRedelivery, GatewayError> {
    let Some(t) = config.tenant(tenant) else {
        return Err(GatewayError::UnknownTenant { id: tenant.into() });
    };
    if !t.enabled {
        return Err(GatewayError::NotRedeliverable {
            message: format!("tenant {tenant:?} is disabled: its deliveries would not be sent"),
        });
    }
    let filter = DeadFilter {
        tenant,
        since,
        endpoint_id,
    };
    ledger
        .redeliver_dead(&filter, MAX_BULK_REDELIVERIES)
        .await
        .map_err(GatewayError::ledger("redeliver_dead"))
}

/// `since` as an RFC 3339 time.
pub(crate) fn parse_since(since: &str) -> Result<DateTime<Utc>, GatewayError> {
    DateTime::parse_from_rfc3339(since.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            GatewayError::bad_request("`since` must be an RFC 3339 time like 2026-11-01T00:00:00Z")
        })
}

pub(super) async fn handle(
    state: &AppState,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<http::Response<Body>, GatewayError> {
    let r: RedeliverRequest = serde_json::from_slice(&body).map_err(|e| {
        GatewayError::bad_request(format!(
            "body must be {{\"tenant\", \"since\", \"endpoint_id\" (optional)}}: {e}"
        ))
    })?;
    let since = parse_since(&r.since)?;
    let endpoint_id = r.endpoint_id.as_deref().filter(|e| !e.is_empty());
    let rt = state.snapshot();
    let done = requeue(
        state.ledger.as_ref(),
        &rt.config,
        &r.tenant,
        since,
        endpoint_id,
    )
    .await?;
    state
        .metrics
        .webhook_redeliveries(&r.tenant, "admin", done.requeued);
    let actor = super::actor(r.actor, headers);
    tracing::info!(audit = true, actor = %actor, action = "redeliver", tenant = %r.tenant,
        since = %since.to_rfc3339(), endpoint_id = endpoint_id.unwrap_or(""),
        requeued = done.requeued, more = done.more, "Admin re-queued dead webhook deliveries.");
    Ok(json_response(
        StatusCode::OK,
        json!({"data": {"tenant": r.tenant, "since": since.to_rfc3339(), "endpoint_id": endpoint_id,
            "requeued": done.requeued, "more": done.more, "limit": MAX_BULK_REDELIVERIES, "actor": actor}}),
    ))
}
