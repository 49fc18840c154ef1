//! Webhook fan-out families: deliveries to tenant endpoints by result, the
//! time each attempt took, the outbox depth (set by the worker), and events
//! whose job had no known owner when they arrived (parked, then resolved or
//! given up; the parked count is set by `fanout::parked`).

use std::time::Duration;

use prometheus::{Histogram, HistogramOpts, IntCounterVec, IntGauge};

use super::reg::Reg;
use super::Metrics;

/// Results of one delivery attempt, as the `result` label spells them.
pub const DELIVERY_RESULTS: [&str; 4] = ["delivered", "failed", "dead", "refused"];

/// Who re-queued a dead delivery, as the `source` label spells it: the
/// tenant (`POST /gateway/v1/webhooks/deliveries/{id}/redeliver`) or ops
/// (`POST /admin/v1/webhooks/redeliver`).
pub const REDELIVERY_SOURCES: [&str; 2] = ["tenant", "admin"];

/// What became of an event with no known owner, as the `result` label
/// spells it: parked to wait, its owner found later, or given up; or not
/// parked at all because `webhooks.max_parked_events` wait already; or
/// naming no job id the gateway reads (`unparsed`: an event type it does
/// not know), so no owner can ever be found.
pub const UNOWNED_RESULTS: [&str; 5] =
    ["parked", "resolved", "given_up", "dropped_full", "unparsed"];

/// Delivery attempts wait for a tenant's endpoint, not for HeyGen: 5 ms
/// (a local receiver) to the egress guard's 10 s default timeout and beyond.
const DELIVERY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

pub(super) struct WebhookFamilies {
    deliveries: IntCounterVec,
    redeliveries: IntCounterVec,
    delivery_seconds: Histogram,
    outbox_depth: IntGauge,
    unowned: IntCounterVec,
    parked: IntGauge,
}

impl WebhookFamilies {
    pub(super) fn register(r: &Reg<'_>) -> Result<WebhookFamilies, prometheus::Error> {
        let opts = HistogramOpts::new(
            "heygen_gateway_webhook_delivery_seconds",
            "Time one delivery attempt to a tenant endpoint took (sent attempts only).",
        )
        .buckets(DELIVERY_BUCKETS.to_vec());
        let unowned = r.int_counter(
            "heygen_gateway_webhook_unowned_events_total",
            "HeyGen events whose job had no known owner when they arrived, by result \
             (parked = waiting for it, resolved = owner found and passed on, given_up = none in time, \
             dropped_full = not parked: webhooks.max_parked_events were waiting already, \
             unparsed = names no job id the gateway reads: acknowledged, not passed on).",
            &["result"],
        )?;
        // At 0 from the start, so the first give-up is an increase.
        for result in UNOWNED_RESULTS {
            unowned.with_label_values(&[result]);
        }
        Ok(WebhookFamilies {
            deliveries: r.int_counter(
                "heygen_gateway_webhook_deliveries_total",
                "Delivery attempts to tenant webhook endpoints, by tenant and result \
                 (delivered, failed = will retry, dead = gave up, refused = URL refused by the egress guard).",
                &["tenant", "result"],
            )?,
            redeliveries: r.int_counter(
                "heygen_gateway_webhook_redeliveries_total",
                "Dead deliveries put back to pending to be sent again, by tenant and source \
                 (tenant = the tenant's own call, admin = the ops call).",
                &["tenant", "source"],
            )?,
            delivery_seconds: r.add(Histogram::with_opts(opts)?)?,
            outbox_depth: r.int_gauge(
                "heygen_gateway_webhook_outbox_depth",
                "Deliveries waiting in the outbox (due or backing off).",
            )?,
            unowned,
            parked: r.int_gauge(
                "heygen_gateway_webhook_parked_events",
                "HeyGen events waiting for their job's owner to become known.",
            )?,
        })
    }
}

// === impl Metrics (webhook fan-out) ===

impl Metrics {
    /// Creates the delivery and redelivery counters of `tenants` at 0 so
    /// the first failure is an increase, not a series appearing from nothing.
    pub fn init_webhook_tenants<'a>(&self, tenants: impl IntoIterator<Item = &'a str>) {
        let w = &self.inner.webhooks;
        for tenant in tenants {
            for result in DELIVERY_RESULTS {
                w.deliveries.with_label_values(&[tenant, result]);
            }
            for source in REDELIVERY_SOURCES {
                w.redeliveries.with_label_values(&[tenant, source]);
            }
        }
    }

    /// Counts `n` dead deliveries of `tenant` re-queued; `source` is one of
    /// [`REDELIVERY_SOURCES`].
    pub fn webhook_redeliveries(&self, tenant: &str, source: &str, n: u64) {
        self.inner
            .webhooks
            .redeliveries
            .with_label_values(&[tenant, source])
            .inc_by(n);
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

    /// Counts one event with no known owner; `result` is one of
    /// [`UNOWNED_RESULTS`].
    pub fn webhook_unowned(&self, result: &str) {
        self.inner
            .webhooks
            .unowned
            .with_label_values(&[result])
            .inc();
    }

    /// Sets the number of events waiting for their owner.
    pub fn set_webhook_parked(&self, parked: u64) {
        self.inner
            .webhooks
            .parked
            .set(i64::try_from(parked).unwrap_or(i64::MAX));
    }
}
