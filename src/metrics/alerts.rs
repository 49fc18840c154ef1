//! Ops alert families: alerts by event and result, and the alert outbox
//! depth (set by the alert worker).

use prometheus::{IntCounterVec, IntGauge};

use super::reg::Reg;
use super::Metrics;

/// Events, as the `event` label spells them (the config's event names).
pub const ALERT_EVENTS: [&str; 6] = [
    "threshold",
    "exhausted",
    "ledger_error",
    "drift",
    "session_stopped",
    "ledger_schema_behind",
];

/// What happened to an alert, as the `result` label spells it: `queued`
/// (newly queued for one webhook), `delivered` (2xx), `retried` (an attempt
/// failed; it will be sent again), `refused` (the egress guard refused the
/// URL; retried like a failure), `failed` (given up).
pub const ALERT_RESULTS: [&str; 5] = ["queued", "delivered", "retried", "refused", "failed"];

pub(super) struct AlertFamilies {
    alerts: IntCounterVec,
    outbox_depth: IntGauge,
}

impl AlertFamilies {
    pub(super) fn register(r: &Reg<'_>) -> Result<AlertFamilies, prometheus::Error> {
        let families = AlertFamilies {
            alerts: r.int_counter(
                "heygen_gateway_alerts_total",
                "Ops alerts sent to [[alerts.webhooks]], by event and result \
                 (queued, delivered, retried = will retry, refused = URL refused by the egress guard, failed = gave up).",
                &["event", "result"],
            )?,
            outbox_depth: r.int_gauge(
                "heygen_gateway_alert_outbox_depth",
                "Alerts waiting in the ledger's alert outbox (due or backing off).",
            )?,
        };
        // Every series exists at 0 from start, so `increase(...) > 0` sees
        // the first failure instead of a series appearing from nothing.
        for event in ALERT_EVENTS {
            for result in ALERT_RESULTS {
                families.alerts.with_label_values(&[event, result]);
            }
        }
        Ok(families)
    }
}

// === impl Metrics (alerts) ===

impl Metrics {
    /// Counts one alert outcome; `event` is one of [`ALERT_EVENTS`] and
    /// `result` one of [`ALERT_RESULTS`].
    pub fn alert(&self, event: &str, result: &str) {
        self.inner
            .alerts
            .alerts
            .with_label_values(&[event, result])
            .inc();
    }

    /// Counts `n` alerts newly queued for `event`.
    pub fn alerts_queued(&self, event: &str, n: u32) {
        self.inner
            .alerts
            .alerts
            .with_label_values(&[event, "queued"])
            .inc_by(u64::from(n));
    }

    /// Sets the number of pending alerts in the ledger.
    pub fn set_alert_outbox_depth(&self, depth: u64) {
        self.inner
            .alerts
            .outbox_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }
}
