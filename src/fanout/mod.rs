//! Webhook fan-out: HeyGen's signed callbacks, passed on to the endpoints
//! the owning tenant registered with the gateway.
//!
//! The receiver (`proxy/self_service/webhook.rs`) verifies HeyGen's
//! signature and calls [`enqueue`], which writes one durable outbox row per
//! subscribed endpoint of the job's owner — idempotent per (event, endpoint),
//! so HeyGen's redeliveries are sent once. An event whose job has no known
//! owner yet (a v3 batch's item, before the batch's status named it) is
//! parked until it has one, for `webhooks.owner_wait_seconds` at most
//! ([`parked`]). The [`worker`] (one per process;
//! replicas share the outbox safely because claimed rows are leased) sends
//! each row's original bytes through the egress guard, signed with the
//! tenant's secret in HeyGen's own scheme ([`signed_headers`]), and retries
//! failures with exponentially growing, fully jittered delays ([`backoff`],
//! shared with the alert outbox)
//! until the ledger gives up after `MAX_DELIVERY_ATTEMPTS`. A row given up
//! (`dead`) is sent again only when the tenant or ops redeliver it: the
//! ledger puts it back to `pending` and the worker sends it as a first
//! delivery (see `ledger::Redeliveries`).
//!
//! Only a tenant the config in force names and enables receives anything
//! ([`barred`]): checked when queueing and again before each send, since a
//! reload may remove or disable a tenant whose rows are already queued.

pub(crate) mod parked;
pub(crate) mod worker;

use http::{HeaderMap, HeaderValue};
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::ledger::{Ledger, LedgerError};
use crate::pricing::WebhookEvent;
use crate::state::AppState;

pub(crate) use crate::egress::retry::backoff;
#[cfg(test)]
use crate::egress::retry::MAX_RETRY_DELAY;
pub(crate) use worker::spawn;

/// A fresh per-endpoint signing secret: 32 random bytes as `whsec_<hex>`
/// (HeyGen's v3 prefix, so tenants' existing verifiers accept its shape).
pub(crate) fn new_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("whsec_{}", hex::encode(bytes))
}

/// The dedupe key of a HeyGen delivery: the event id in the signed body
/// (v3), else a digest of the raw body. Headers are not used: they are not
/// covered by the signature, so a replayed body with a new `Heygen-Event-Id`
/// header must not count as a new event.
pub(crate) fn event_id(event: &WebhookEvent, body: &[u8]) -> String {
    match event.event_id.as_deref().filter(|id| !id.is_empty()) {
        Some(id) => id.to_owned(),
        None => format!("sha256:{}", hex::encode(Sha256::digest(body))),
    }
}

/// Why `tenant` may not receive webhooks under `config`, if it may not.
/// Tenant ids come from the config: an id no longer there is not a tenant
/// any more (its ledger rows outlive it, and the id may be given to
/// someone else later), and a disabled tenant gets nothing, as it may call
/// nothing.
pub(crate) fn barred(config: &Config, tenant: &str) -> Option<&'static str> {
    match config.tenant(tenant) {
        None => Some("tenant no longer configured"),
        Some(t) if !t.enabled => Some("tenant disabled"),
        Some(_) => None,
    }
}

/// Queues `body` (HeyGen's verified payload) for the endpoints of the
/// tenant owning the event's job that subscribe to its type. The owner is
/// found by [`owner`]; an event whose job has none yet is parked to wait
/// for one (`parked`), and one whose tenant is [`barred`] by `config` goes
/// nowhere. Returns how many deliveries were newly queued (0 for a
/// redelivery, or a parked event).
pub(crate) async fn enqueue(
    state: &AppState,
    config: &Config,
    event: &WebhookEvent,
    body: &[u8],
) -> Result<u32, LedgerError> {
    // The receiver parsed the body as JSON, so it is UTF-8; the outbox keeps
    // the exact bytes HeyGen sent so the tenant's digest of them matches.
    let payload = std::str::from_utf8(body)
        .map_err(|_| LedgerError::InvalidState("webhook body is not UTF-8".into()))?;
    let ledger = state.ledger.as_ref();
    let Some(tenant) = owner(ledger, &event.job_id, event.batch_id.as_deref()).await? else {
        parked::park(state, config, event, &event_id(event, body), payload).await?;
        return Ok(0);
    };
    let ids = targets(ledger, config, &tenant, &event.event_type, &event.job_id).await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let queued = ledger
        .enqueue_deliveries(&event_id(event, body), &tenant, payload, &ids)
        .await?;
    if queued > 0 {
        tracing::debug!(%tenant, job_id = %event.job_id, event = %event.event_type, queued, "Webhook queued for fan-out.");
    }
    Ok(queued)
}

/// The tenant owning job `job_id`: the registry's, else the job's hold's;
/// failing both, the owner of the batch the event names (`batch_id`), for
/// an item's event that says which batch it belongs to.
pub(crate) async fn owner(
    ledger: &dyn Ledger,
    job_id: &str,
    batch_id: Option<&str>,
) -> Result<Option<String>, LedgerError> {
    let batch = batch_id.filter(|b| *b != job_id);
    for id in std::iter::once(job_id).chain(batch) {
        if let Some(owner) = ledger.owner_of(id).await? {
            return Ok(Some(owner.tenant));
        }
        if let Some(job) = ledger.get_job(id).await? {
            return Ok(Some(job.tenant));
        }
    }
    Ok(None)
}

/// Ids of `tenant`'s endpoints subscribed to `event_type`; none when the
/// tenant is [`barred`] (logged).
pub(crate) async fn targets(
    ledger: &dyn Ledger,
    config: &Config,
    tenant: &str,
    event_type: &str,
    job_id: &str,
) -> Result<Vec<String>, LedgerError> {
    if let Some(reason) = barred(config, tenant) {
        tracing::info!(%tenant, job_id, event = event_type, reason, "Webhook not fanned out.");
        return Ok(Vec::new());
    }
    let endpoints = ledger.endpoints_for(tenant, event_type).await?;
    Ok(endpoints.into_iter().map(|e| e.info.id).collect())
}

/// Headers of a delivery in HeyGen's own scheme, so code written to verify
/// HeyGen's webhooks verifies the gateway's unchanged: legacy `Signature`
/// and v3 `Heygen-Signature` (both the hex HMAC-SHA256 of the raw body),
/// `Heygen-Timestamp` (unix seconds, for the receiver's replay window) and
/// `Heygen-Event-Id` (the receiver's dedupe key).
pub(crate) fn signed_headers(
    secret: &str,
    body: &[u8],
    event_id: &str,
    now_unix: i64,
) -> HeaderMap {
    let mut h = HeaderMap::new();
    let signature = crate::signature::hmac_hex(secret, body);
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    put("content-type", "application/json");
    put(
        "user-agent",
        concat!("heygen-gateway/", env!("CARGO_PKG_VERSION")),
    );
    put("signature", &signature);
    put("heygen-signature", &signature);
    put("heygen-timestamp", &now_unix.to_string());
    put("heygen-event-id", event_id);
    h
}

#[cfg(test)]
mod tests;
