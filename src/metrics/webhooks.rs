//! Webhook fan-out families: deliveries to tenant endpoints by result, the
//! time each attempt took, and the outbox depth (set by the worker).

use std::time::Duration;

use prometheus::{Histogram, HistogramOpts, IntCounterVec, IntGauge};

use super::reg::Reg;
use super::Metrics;

/// Results of one delivery attempt, as the `result` label spells them.
pub const DELIVERY_RESULTS: [&str; 4] = ["delivered", "failed", "dead", "refused"];

/// Delivery attempts wait for a tenant's endpoint, not for HeyGen: 5 ms
/// (a local receiver) to the egress guard's 10 s default timeout and beyond.
const DELIVERY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

pub(super) struct WebhookFamilies {
    deliveries: IntCounterVec,
    delivery_seconds: Histogram,
    outbox_depth: IntGauge,
}

impl WebhookFamilies {
    pub(super) fn register(r: &Reg<'_>) -> Result<WebhookFamilies, prometheus::Error> {
        let opts = HistogramOpts::new(
            "heygen_gateway_webhook_delivery_seconds",
            "Time one delivery attempt to a tenant endpoint took (sent attempts only).",
        )
        .buckets(DELIVERY_BUCKETS.to_vec());
        Ok(WebhookFamilies {
            deliveries: r.int_counter(
                "heygen_gateway_webhook_deliveries_total",
                "Delivery attempts to tenant webhook endpoints, by tenant and result \
                 (delivered, failed = will retry, dead = gave up, refused = URL refused by the egress guard).",
                &["tenant", "result"],
            )?,
            delivery_seconds: r.add(Histogram::with_opts(opts)?)?,
            outbox_depth: r.int_gauge(
                "heygen_gateway_webhook_outbox_depth",
                "Deliveries waiting in the outbox (due or backing off).",
            )?,
        })
    }
}

// === impl Metrics (webhook fan-out) ===

impl Metrics {
    /// Creates the delivery counters of `tenants` at 0 so the first failure
    /// is an increase, not a series appearing from nothing.
    pub fn init_webhook_tenants<'a>(&self, tenants: impl IntoIterator<Item = &'a str>) {
        for tenant in tenants {
            for result in DELIVERY_RESULTS {
                self.inner
                    .webhooks
                    .deliveries
                    .with_label_values(&[tenant, result]);
            }
        }
    }

    /// Counts one delivery attempt; `result` is one of [`DELIVERY_RESULTS`].
    pub fn webhook_delivery(&self, tenant: &str, result: &str) {
        self.inner
            .webhooks
            .deliveries
            .with_label_values(&[tenant, result])
            .inc();
    }

    /// Observes how long a sent delivery attempt took.
    pub fn webhook_delivery_time(&self, elapsed: Duration) {
        self.inner
            .webhooks
            .delivery_seconds
            .observe(elapsed.as_secs_f64());
    }

    /// Sets the number of pending deliveries.
    pub fn set_webhook_outbox_depth(&self, depth: u64) {
        self.inner
            .webhooks
            .outbox_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }
}
