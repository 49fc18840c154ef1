//! Ops alerts: budget thresholds and exhaustion, ledger failures, drift
//! from HeyGen's balance, sessions stopped at their budget and a replica
//! left behind by a newer build's migration, sent to the
//! `[[alerts.webhooks]]` (Slack or JSON) without an Alertmanager.
//!
//! Callers (the gauge tick, the drift poll, the session meter, the state's
//! ledger-error hook, the schema guard) hand events to [`Alerts`]. Each
//! event has a dedup key naming its period ([`events`]); it is queued in
//! the ledger's alert outbox once per (key, webhook), so it is sent once per
//! period across restarts and replicas, and delivered by the [`worker`]
//! through the egress guard with leases, retries and backoff. `ledger_error`
//! and `ledger_schema_behind` are the exceptions: the ledger may be the
//! thing that is down, or the newer build's to write, so those alerts live
//! in memory ([`memory`]), deduplicated per process.
//!
//! This module sits below the request path and background work: it knows
//! the ledger, config, egress and metrics, never the state or the proxy.

mod events;
pub(crate) mod format;
mod memory;
pub(crate) mod worker;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::clock::Clock;
use crate::config::{AlertFormat, AlertWebhook, AlertsConfig, Config, EgressConfig, EnvSource};
use crate::egress::EgressGuard;
use crate::ledger::{Ledger, LedgerError, NewAlert};
use crate::metrics::Metrics;

pub(crate) use worker::spawn;

/// Keys remembered as queued before the set is dropped and rebuilt (a
/// dropped key only costs one more `ON CONFLICT DO NOTHING` insert).
const MAX_REMEMBERED: usize = 50_000;

/// The ops alert handle: one per process, reconfigured on every reload.
pub struct Alerts {
    ledger: Arc<dyn Ledger>,
    metrics: Metrics,
    clock: Arc<dyn Clock>,
    env: Arc<dyn EnvSource>,
    sinks: ArcSwap<Sinks>,
    /// `key \0 webhook` pairs the ledger has confirmed as queued: the
    /// gauge tick re-offers every crossed threshold each time, and only
    /// pairs not seen yet go to the ledger.
    queued: Mutex<HashSet<String>>,
    memory: memory::Memory,
}

/// Where alerts go under the config in force.
pub(crate) struct Sinks {
    pub(crate) webhooks: Vec<Sink>,
    pub(crate) egress: Option<EgressGuard>,
    pub(crate) egress_config: EgressConfig,
    pub(crate) config: AlertsConfig,
    pub(crate) tz: chrono_tz::Tz,
}

/// One webhook with its URL resolved (or why it could not be).
pub(crate) struct Sink {
    pub(crate) hook: AlertWebhook,
    pub(crate) url: Result<crate::config::Secret, String>,
}

// === impl Alerts ===

impl Alerts {
    pub fn new(
        ledger: Arc<dyn Ledger>,
        metrics: Metrics,
        clock: Arc<dyn Clock>,
        env: Arc<dyn EnvSource>,
    ) -> Alerts {
        Alerts {
            ledger,
            metrics,
            clock,
            env,
            sinks: ArcSwap::from_pointee(Sinks {
                webhooks: Vec::new(),
                egress: None,
                egress_config: EgressConfig::default(),
                config: AlertsConfig::default(),
                tz: chrono_tz::UTC,
            }),
            queued: Mutex::new(HashSet::new()),
            memory: memory::Memory::default(),
        }
    }

    /// Takes the webhooks of `config` (URLs resolved now, so a reload picks
    /// up a changed variable or file) and the guard of the same config.
    pub fn configure(&self, config: &Config, egress: Option<EgressGuard>) {
        let webhooks = config
            .alerts
            .webhooks
            .iter()
            .enumerate()
            .map(|(i, hook)| {
                let url = resolve_url(hook, self.env.as_ref());
                if let Err(e) = &url {
                    tracing::error!(key = %format!("alerts.webhooks[{i}]"), webhook = %hook.name, error = %e,
                        "Alert webhook URL does not resolve; its alerts wait and then fail.");
                }
                Sink {
                    hook: hook.clone(),
                    url,
                }
            })
            .collect();
        self.sinks.store(Arc::new(Sinks {
            webhooks,
            egress,
            egress_config: config.egress.clone(),
            config: config.alerts.clone(),
            tz: config.plan.timezone,
        }));
    }

    pub(crate) fn sinks(&self) -> Arc<Sinks> {
        self.sinks.load_full()
    }

    /// Queues `alerts` for every webhook that wants their event, each pair
    /// once ever (the ledger's unique key). A ledger failure is counted and
    /// raised as `ledger_error`; the caller offers the alert again on its
    /// next tick, so nothing is lost while the ledger is away.
    pub(crate) async fn raise(&self, alerts: Vec<format::Alert>) {
        let sinks = self.sinks();
        for alert in alerts {
            let Some(event) = alert.event else { continue };
            let payload = alert.to_json().to_string();
            let fresh: Vec<NewAlert> = sinks
                .webhooks
                .iter()
                .filter(|s| s.hook.wants(event))
                .filter(|s| !self.remembered(&alert.key, &s.hook.name))
                .map(|s| NewAlert {
                    key: alert.key.clone(),
                    webhook: s.hook.name.clone(),
                    event: event.as_str().to_string(),
                    payload: payload.clone(),
                })
                .collect();
            if fresh.is_empty() {
                continue;
            }
            match self.ledger.enqueue_alerts(&fresh).await {
                Ok(n) => {
                    self.remember(&fresh);
                    if n > 0 {
                        self.metrics.alerts_queued(event.as_str(), n);
                        tracing::info!(event = event.as_str(), key = %alert.key, webhooks = n, "Alert queued.");
                    }
                }
                Err(e) => self.ledger_failed("alerts_enqueue", &e),
            }
        }
    }

    /// A ledger operation failed: counted, logged and raised as a
    /// `ledger_error` alert from memory.
    pub fn ledger_failed(&self, op: &str, e: &LedgerError) {
        if !e.is_failure() {
            tracing::debug!(op, error = %e, "Ledger operation refused, not failed (a replica behind the ledger's schema, or a value refused as invalid data).");
            return;
        }
        self.metrics.ledger_error(op);
        tracing::error!(op, error = %e, "Ledger operation failed.");
        self.ledger_error(op, &e.to_string());
    }

    fn remembered(&self, key: &str, webhook: &str) -> bool {
        let set = self.queued.lock().unwrap_or_else(|p| p.into_inner());
        set.contains(&pair(key, webhook))
    }

    fn remember(&self, queued: &[NewAlert]) {
        let mut set = self.queued.lock().unwrap_or_else(|p| p.into_inner());
        if set.len() > MAX_REMEMBERED {
            set.clear();
        }
        for a in queued {
            set.insert(pair(&a.key, &a.webhook));
        }
    }
}

impl std::fmt::Debug for Alerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerts").finish_non_exhaustive()
    }
}

fn pair(key: &str, webhook: &str) -> String {
    format!("{key}\0{webhook}")
}

/// The URL of a webhook, checked to be an http(s) URL (the egress guard
/// checks where it points at every send).
pub fn resolve_url(
    hook: &AlertWebhook,
    env: &dyn EnvSource,
) -> Result<crate::config::Secret, String> {
    let url = hook.url.resolve(env)?;
    let uri: http::Uri = url
        .expose()
        .parse()
        .map_err(|_| format!("the value of {} is not a URL", hook.url))?;
    match uri.scheme_str() {
        Some("https" | "http") if uri.host().is_some() => Ok(url),
        _ => Err(format!(
            "the value of {} must be an http(s) URL with a host, like https://hooks.slack.com/services/…",
            hook.url
        )),
    }
}

/// An attempt must end well inside the lease, or another replica could
/// claim the alert and send it a second time.
pub(crate) fn send_timeout(egress: &EgressConfig) -> Duration {
    let half_lease = crate::ledger::DELIVERY_LEASE
        .to_std()
        .map_or(Duration::from_secs(30), |d| d / 2);
    egress.timeout.min(half_lease)
}

/// The body for `format` (re-exported for the worker).
pub(crate) fn body(format: AlertFormat, payload: &str) -> Result<Vec<u8>, String> {
    format::body(format, payload)
}
