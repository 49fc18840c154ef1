//! The events and their dedup keys. A key names the event and the period it
//! belongs to, so the ledger's unique (key, webhook) pair makes "once per
//! period" hold across restarts and replicas:
//!
//! - `threshold:{scope}:{window}:{period}:{percent}` — e.g.
//!   `threshold:alpha:daily:2026-12-04:80`; the next period re-arms.
//! - `exhausted:{scope}:{window}:{period}` — remaining ≤ 0 in a window with
//!   a limit; never for shadow scopes (their budgets refuse nothing).
//! - `drift:{date}` — once per day (in `plan.timezone`).
//! - `session_stopped:{session_id}` — once per session.
//! - `ledger_error:{op}:{hour}` — memory only (see `super::memory`): one
//!   per outage and per hour it lasts, `op` the first that failed.
//! - `ledger_schema_behind:{found}:{known}` — memory only, once per process
//!   (the schema latch is one-way).

use chrono::{DateTime, Utc};

use super::format::Alert;
use super::Alerts;
use crate::config::AlertEvent;
use crate::ledger::{Scope, ScopeUsage};
use crate::money::Micros;

/// The in-memory slot every ledger operation's error shares.
const LEDGER_ERROR_SLOT: &str = "ledger_error";

// === impl Alerts (events) ===

impl Alerts {
    /// Offers every crossed threshold and every exhausted window of `usage`
    /// (the gauge tick's read). Re-offering is cheap: pairs already queued
    /// are remembered, and the ledger drops repeats.
    pub async fn budget_usage(
        &self,
        usage: &[ScopeUsage],
        thresholds: &[u8],
        is_shadow: impl Fn(&Scope) -> bool,
    ) {
        let at = self.clock.now();
        let mut alerts = Vec::new();
        for u in usage {
            let scope = u.scope.label();
            let shadow = is_shadow(&u.scope);
            for w in &u.windows {
                let (Some(limit), Some(ratio)) = (w.effective_limit(), w.used_ratio()) else {
                    continue;
                };
                let base = Alert {
                    scope: Some(scope.clone()),
                    shadow,
                    window: Some(w.window.as_str().to_string()),
                    period: Some(w.period.clone()),
                    used_ratio: Some(ratio),
                    remaining: w.remaining,
                    limit: Some(limit),
                    at,
                    ..Alert::default()
                };
                for &t in thresholds {
                    // Integer comparison: used × 100 ≥ t × limit, so 80 % of
                    // a budget is crossed exactly at 80 %, never by a float.
                    let used = i128::from(w.held.saturating_add(w.spent));
                    if limit > 0 && used * 100 < i128::from(t) * i128::from(limit) {
                        continue;
                    }
                    alerts.push(Alert {
                        event: Some(AlertEvent::Threshold),
                        key: format!("threshold:{scope}:{}:{}:{t}", w.window.as_str(), w.period),
                        threshold: Some(t),
                        ..base.clone()
                    });
                }
                if !shadow && w.remaining.is_some_and(|r| r <= 0) {
                    alerts.push(Alert {
                        event: Some(AlertEvent::Exhausted),
                        key: format!("exhausted:{scope}:{}:{}", w.window.as_str(), w.period),
                        ..base
                    });
                }
            }
        }
        self.raise(alerts).await;
    }

    /// Offers a `drift` alert when |drift| exceeds `alerts.drift_credits`.
    pub async fn drift(&self, drift: Micros) {
        let sinks = self.sinks();
        if drift.unsigned_abs() <= sinks.config.drift.unsigned_abs() {
            return;
        }
        let at = self.clock.now();
        let day = at.with_timezone(&sinks.tz).format("%Y-%m-%d").to_string();
        self.raise(vec![Alert {
            event: Some(AlertEvent::Drift),
            key: format!("drift:{day}"),
            period: Some(day),
            drift: Some(drift),
            at,
            ..Alert::default()
        }])
        .await;
    }

    /// A live session was stopped by the gateway at its budget.
    pub async fn session_stopped(&self, tenant: &str, session_id: &str) {
        self.raise(vec![Alert {
            event: Some(AlertEvent::SessionStopped),
            key: format!("session_stopped:{session_id}"),
            scope: Some(tenant.to_string()),
            session_id: Some(session_id.to_string()),
            at: self.clock.now(),
            ..Alert::default()
        }])
        .await;
    }

    /// A ledger operation failed. Kept in memory (the ledger may be down)
    /// and sent by the worker; one per operation per hour per process.
    pub fn ledger_error(&self, op: &str, error: &str) {
        let at = self.clock.now();
        let hour = hour_of(at);
        let alert = Alert {
            event: Some(AlertEvent::LedgerError),
            key: format!("ledger_error:{op}:{hour}"),
            op: Some(op.to_string()),
            error: Some(error.to_string()),
            period: Some(hour),
            at,
            ..Alert::default()
        };
        // One slot for every operation: an outage fails them all at once
        // (fourteen alerts per replica for one stop, before).
        self.in_memory(LEDGER_ERROR_SLOT, alert);
    }

    /// The ledger answered again, and no ledger error came for `quiet`:
    /// the next `ledger_error` is a new outage and goes out even within
    /// the hour of the last one.
    pub fn ledger_answered(&self, quiet: std::time::Duration) {
        let quiet = chrono::Duration::from_std(quiet).unwrap_or(chrono::Duration::MAX);
        let now = self.clock.now();
        let since = now.checked_sub_signed(quiet).unwrap_or(now);
        if self.memory.rearm(LEDGER_ERROR_SLOT, since) {
            tracing::info!("The ledger answers again; the next ledger error alerts anew.");
        }
    }

    /// A newer heygen-gateway migrated the ledger to schema `found`, past
    /// the `known` of this build. Kept in memory: the ledger's outbox is
    /// the newer build's now. The caller raises it once (the schema latch);
    /// it has no period, so its slot takes it once per process anyway.
    pub fn ledger_schema_behind(&self, found: u32, known: u32) {
        let event = AlertEvent::LedgerSchemaBehind;
        let alert = Alert {
            event: Some(event),
            key: format!("{}:{found}:{known}", event.as_str()),
            schema_version: Some(found),
            schema_known: Some(known),
            at: self.clock.now(),
            ..Alert::default()
        };
        self.in_memory(event.as_str(), alert);
    }

    /// Queues `alert` in memory for every webhook that wants its event,
    /// unless `slot` already raised one in the alert's period.
    fn in_memory(&self, slot: &str, alert: Alert) {
        let Some(event) = alert.event else { return };
        let targets: Vec<String> = self
            .sinks()
            .webhooks
            .iter()
            .filter(|s| s.hook.wants(event))
            .map(|s| s.hook.name.clone())
            .collect();
        if targets.is_empty() {
            return;
        }
        let queued = self.memory.offer(slot, &alert, &targets, alert.at);
        if queued > 0 {
            self.metrics.alerts_queued(event.as_str(), queued);
        }
    }
}

/// `2026-12-04T10` (UTC): the dedupe period of `ledger_error`.
fn hour_of(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H").to_string()
}
