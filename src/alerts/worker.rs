//! The alert worker: every `alerts.interval_ms` it sends the due alerts
//! held in memory (`ledger_error`, `ledger_schema_behind`), then claims due
//! alerts from the ledger's outbox (leased, so two replicas never send one
//! alert), sends each through the egress guard and records the attempt:
//! 2xx = delivered, anything else (timeouts, 5xx, 429, refusals) = retried
//! after [`backoff`], `failed` after `MAX_ALERT_ATTEMPTS` or `MAX_ALERT_AGE`.

use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{interval, MissedTickBehavior};

use super::{Alerts, Sinks};
use crate::egress::retry::backoff;
use crate::egress::{EgressError, EgressRequest};
use crate::ledger::{AlertState, DueAlert, MAX_ALERT_AGE, MAX_ALERT_ATTEMPTS};

/// Alerts claimed per batch; alerts are rare, so a small batch drains any
/// backlog in a few rounds and keeps every send well inside the lease.
const BATCH: u32 = 8;
/// What a receiver answers is irrelevant past its status.
const MAX_ACK_BYTES: usize = 4096;

/// How one attempt went.
struct Sent {
    ok: bool,
    status: Option<u16>,
    error: Option<String>,
    refused: bool,
}

/// Starts the worker; it stops when `stop` changes, after its current batch.
pub(crate) fn spawn(alerts: Arc<Alerts>, stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(run(alerts, stop))
}

async fn run(alerts: Arc<Alerts>, mut stop: watch::Receiver<bool>) {
    let mut tick = interval(alerts.sinks().config.interval);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = tick.tick() => {}
        }
        // The sinks of the config in force: a reload brings its webhooks,
        // URLs and egress guard.
        let sinks = alerts.sinks();
        from_memory(&alerts, &sinks).await;
        from_ledger(&alerts, &sinks, &stop).await;
        match alerts.ledger.alert_depth().await {
            Ok(n) => alerts.metrics.set_alert_outbox_depth(n),
            Err(e) => alerts.ledger_failed("alert_depth", &e),
        }
    }
}

/// Sends the due in-memory alerts; failures go back.
async fn from_memory(alerts: &Alerts, sinks: &Sinks) {
    let now = alerts.clock.now();
    for mut a in alerts.memory.take_due(now) {
        let sent = send(sinks, &a.webhook, &a.payload).await;
        a.attempts += 1;
        let gave_up =
            !sent.ok && (a.attempts >= MAX_ALERT_ATTEMPTS || now - a.created_at > MAX_ALERT_AGE);
        let result = outcome(&sent, gave_up);
        log(&a.key, &a.webhook, a.attempts, result, &sent);
        alerts.metrics.alert(a.event, result);
        if !sent.ok && !gave_up {
            a.next_at = now + retry_delay(sinks, a.attempts - 1);
            alerts.memory.put_back(a);
        }
    }
}

/// Claims and sends due outbox alerts batch after batch until one is short.
async fn from_ledger(alerts: &Alerts, sinks: &Sinks, stop: &watch::Receiver<bool>) {
    loop {
        let due = match alerts.ledger.due_alerts(alerts.clock.now(), BATCH).await {
            Ok(d) => d,
            Err(e) => return alerts.ledger_failed("alerts_due", &e),
        };
        let full = due.len() >= BATCH as usize;
        stream::iter(due)
            .for_each_concurrent(4, |a| deliver(alerts, sinks, a))
            .await;
        if !full || *stop.borrow() {
            return;
        }
    }
}

/// One attempt at one outbox alert, recorded in the ledger and metrics.
async fn deliver(alerts: &Alerts, sinks: &Sinks, a: DueAlert) {
    let sent = send(sinks, &a.webhook, &a.payload).await;
    let retry_at = alerts.clock.now() + retry_delay(sinks, a.attempts);
    let after = alerts
        .ledger
        .alert_result(a.id, sent.ok, sent.status, sent.error.as_deref(), retry_at)
        .await;
    let after = match after {
        Ok(s) => s,
        Err(e) => {
            // The lease runs out and the alert is sent again: at least once.
            return alerts.ledger_failed("alert_result", &e);
        }
    };
    let result = outcome(&sent, after == AlertState::Failed);
    log(&a.key, &a.webhook, a.attempts + 1, result, &sent);
    alerts.metrics.alert(&a.event, result);
}

fn outcome(sent: &Sent, gave_up: bool) -> &'static str {
    if sent.ok {
        "delivered"
    } else if gave_up {
        "failed"
    } else if sent.refused {
        "refused"
    } else {
        "retried"
    }
}

fn log(key: &str, webhook: &str, attempt: u32, result: &str, sent: &Sent) {
    let error = sent.error.as_deref().unwrap_or("");
    match result {
        "delivered" => tracing::info!(key, webhook, attempt, "Alert delivered."),
        "failed" => tracing::error!(
            key,
            webhook,
            attempt,
            error,
            "Alert given up after its last attempt; it will not be sent."
        ),
        _ => tracing::warn!(
            key,
            webhook,
            attempt,
            result,
            error,
            "Alert delivery failed; will retry."
        ),
    }
}

fn retry_delay(sinks: &Sinks, attempts: u32) -> chrono::Duration {
    chrono::Duration::from_std(backoff(sinks.config.retry_base, attempts))
        .unwrap_or(chrono::Duration::hours(1))
}

/// POSTs `payload` (rendered for the webhook's format) to the webhook
/// `name` of the config in force, through the egress guard.
async fn send(sinks: &Sinks, name: &str, payload: &str) -> Sent {
    let fail = |error: String| Sent {
        ok: false,
        status: None,
        error: Some(error),
        refused: false,
    };
    let Some(sink) = sinks.webhooks.iter().find(|s| s.hook.name == name) else {
        return fail(format!(
            "webhook {name:?} is no longer in [[alerts.webhooks]]"
        ));
    };
    let url = match &sink.url {
        Ok(u) => u.expose().to_string(),
        Err(e) => return fail(e.clone()),
    };
    let Some(guard) = &sinks.egress else {
        return fail("no egress guard (TLS setup failed at start)".into());
    };
    let body = match super::body(sink.hook.format, payload) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let mut req = EgressRequest::post(url, body);
    for (name, value) in [
        ("content-type", "application/json"),
        (
            "user-agent",
            concat!("heygen-gateway/", env!("CARGO_PKG_VERSION")),
        ),
    ] {
        req.headers
            .insert(name, http::HeaderValue::from_static(value));
    }
    req.timeout = Some(super::send_timeout(&sinks.egress_config).min(Duration::from_secs(30)));
    req.max_response_bytes = Some(MAX_ACK_BYTES);
    req.truncate = true;
    match guard.send(req).await {
        Ok(resp) => {
            let ok = resp.status.is_success();
            Sent {
                ok,
                status: Some(resp.status.as_u16()),
                error: (!ok).then(|| format!("webhook answered {}", resp.status)),
                refused: false,
            }
        }
        Err(e) => Sent {
            refused: matches!(
                e,
                EgressError::Forbidden { .. } | EgressError::InvalidUrl(_)
            ),
            ..fail(e.to_string())
        },
    }
}
