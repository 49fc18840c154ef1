//! The delivery worker: every `webhooks.fanout_interval_ms` it claims due
//! outbox rows (leased, so replicas never send one row at once), sends them
//! through the egress guard `fanout_concurrency` at a time, and records
//! each attempt: 2xx = delivered, anything else = retry after
//! [`super::backoff`], dead after the ledger's maximum attempts. It keeps
//! claiming while batches come back full, so a backlog drains without
//! waiting a tick per batch; small batches keep every send well inside the
//! lease. A row whose tenant the config in force no longer names, or
//! disables, is marked `dead` unsent (see [`super::barred`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::egress::{EgressConfig, EgressError, EgressGuard, EgressRequest};
use crate::ledger::{Delivery, DeliveryState, DELIVERY_LEASE};
use crate::state::AppState;

/// What a receiver answers is irrelevant past its status; read little of it.
const MAX_ACK_BYTES: usize = 4096;

/// An attempt must end well inside the lease, or another replica could
/// claim the row and send it a second time.
fn send_timeout(egress: &EgressConfig) -> Duration {
    let half_lease = DELIVERY_LEASE
        .to_std()
        .map_or(Duration::from_secs(30), |d| d / 2);
    egress.timeout.min(half_lease)
}

/// Starts the worker; it stops when `stop` changes, after its current batch.
pub(crate) fn spawn(state: &Arc<AppState>, stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(run(state.clone(), stop))
}

async fn run(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let cfg = state.snapshot().config.clone();
    state
        .metrics
        .init_webhook_tenants(cfg.tenants.iter().map(|t| t.id.as_str()));
    let mut tick = crate::clock::Ticker::new(cfg.webhooks.fanout_interval);
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = tick.tick() => {}
        }
        // The guard of the config in force (a reload brings its own), so
        // each delivery is checked against the current allow list.
        let rt = state.snapshot();
        match &rt.egress {
            Some(g) => drain(&state, g, send_timeout(&rt.config.egress), &stop).await,
            None => tracing::error!("No egress guard; webhook deliveries wait."),
        }
        match state.ledger.outbox_depth().await {
            Ok(n) => state.metrics.set_webhook_outbox_depth(n),
            Err(e) => state.note_ledger_error("outbox_depth", &e),
        }
        // A reloaded period applies from the next tick.
        tick.follow(state.snapshot().config.webhooks.fanout_interval);
    }
}

/// Sends due deliveries batch after batch until a batch is not full.
async fn drain(
    state: &AppState,
    guard: &EgressGuard,
    timeout: Duration,
    stop: &watch::Receiver<bool>,
) {
    loop {
        let concurrency = state.snapshot().config.webhooks.fanout_concurrency;
        let limit = u32::try_from(concurrency).unwrap_or(u32::MAX);
        let due = match state.ledger.due_deliveries(state.clock.now(), limit).await {
            Ok(d) => d,
            Err(e) => {
                state.note_ledger_error("due_deliveries", &e);
                return;
            }
        };
        let full = due.len() >= concurrency;
        stream::iter(due)
            .for_each_concurrent(concurrency, |d| deliver(state, guard, timeout, d))
            .await;
        if !full || *stop.borrow() {
            return;
        }
    }
}

/// One attempt at one delivery, recorded in the outbox and the metrics.
async fn deliver(state: &AppState, guard: &EgressGuard, timeout: Duration, d: Delivery) {
    let config = state.snapshot().config.clone();
    if let Some(reason) = super::barred(&config, &d.tenant) {
        return abandon(state, &config, &d, reason).await;
    }
    let mut req = EgressRequest::post(d.url.clone(), d.payload.clone().into_bytes());
    req.headers = super::signed_headers(
        &d.secret,
        d.payload.as_bytes(),
        &d.event_id,
        state.clock.now().timestamp(),
    );
    req.timeout = Some(timeout);
    req.max_response_bytes = Some(MAX_ACK_BYTES);
    req.truncate = true;
    let started = Instant::now();
    let sent = guard.send(req).await;
    let (ok, status, error, refused) = match &sent {
        Ok(resp) => {
            state.metrics.webhook_delivery_time(started.elapsed());
            let ok = resp.status.is_success();
            let err = (!ok).then(|| format!("endpoint answered {}", resp.status));
            (ok, Some(resp.status.as_u16()), err, false)
        }
        Err(e) => {
            let refused = matches!(
                e,
                EgressError::Forbidden { .. } | EgressError::InvalidUrl(_)
            );
            if !refused {
                state.metrics.webhook_delivery_time(started.elapsed());
            }
            (false, None, Some(e.to_string()), refused)
        }
    };
    let retry_at = state.clock.now()
        + chrono::Duration::from_std(super::backoff(
            state.snapshot().config.webhooks.fanout_retry_base,
            d.attempts,
        ))
        .unwrap_or(chrono::Duration::hours(1));
    let after = state
        .ledger
        .delivery_result(d.id, ok, status, error.as_deref(), retry_at)
        .await;
    let after = match after {
        Ok(s) => s,
        Err(e) => {
            // The lease runs out and the row is sent again: at least once.
            state.note_ledger_error("delivery_result", &e);
            return;
        }
    };
    let result = if ok {
        "delivered"
    } else if after == DeliveryState::Dead {
        "dead"
    } else if refused {
        "refused"
    } else {
        "failed"
    };
    if ok {
        tracing::debug!(tenant = %d.tenant, endpoint_id = %d.endpoint_id, event_id = %d.event_id, "Webhook delivered.");
    } else {
        tracing::warn!(tenant = %d.tenant, endpoint_id = %d.endpoint_id, event_id = %d.event_id,
            attempt = d.attempts + 1, result, error = error.as_deref().unwrap_or(""), "Webhook delivery failed.");
    }
    state.metrics.webhook_delivery(&d.tenant, result);
}

/// Gives up a delivery whose tenant was removed or disabled since it was
/// queued, unsent: its endpoints are no longer anyone's to receive it.
async fn abandon(state: &AppState, config: &Config, d: &Delivery, reason: &str) {
    match state.ledger.abandon_delivery(d.id, reason).await {
        Ok(true) => {
            tracing::warn!(tenant = %d.tenant, endpoint_id = %d.endpoint_id, event_id = %d.event_id,
                reason, "Webhook delivery given up unsent.");
            // The `tenant` label stays bounded to configured tenants: a
            // removed one (any id the ledger ever held) is logged only.
            if config.tenant(&d.tenant).is_some() {
                state.metrics.webhook_delivery(&d.tenant, "dead");
            }
        }
        Ok(false) => {}
        // The lease runs out and the row is looked at again.
        Err(e) => state.note_ledger_error("abandon_delivery", &e),
    }
}
