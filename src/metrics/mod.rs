//! Every Prometheus metric the gateway exports, registered in one place on an
//! injected registry (no globals, so each test gets a fresh one).
//!
//! Names carry the full `heygen_gateway_` prefix here: create the registry
//! with `Registry::new()`, not `new_custom` with a prefix. Labels are bounded:
//! `tenant`/`scope` come from config (never from the request), `family`,
//! `outcome`, `reason`, `op`, `feature` and `window` from code.
//!
//! Budget gauges are exported **only for configured windows**: a window with
//! no limit has no limit, remaining or ratio series (an absent series is
//! unambiguous; a sentinel like `+Inf` breaks dashboards and ratio maths).
//! The reset timestamp is absent for the `total` window, which never resets.
//!
//! This file holds the handle and its family table (`Inner`) and the text
//! encoding; `register` builds and registers every family, `record` has the
//! recording methods of the gateway-wide families, and each other module one
//! group of families with its own methods.

mod alerts;
mod record;
mod reg;
mod register;
mod requests;
mod schema;
mod scope;
mod sessions;
mod settlement;
mod shards;
mod threshold;
mod webhooks;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use prometheus::{
    CounterVec, Encoder, Gauge, GaugeVec, IntCounterVec, IntGauge, IntGaugeVec, Registry,
    TextEncoder,
};

pub use alerts::{ALERT_EVENTS, ALERT_RESULTS};
pub use sessions::{SESSION_STOP_REASONS, SESSION_UNMETERED_REASONS};
pub use settlement::SETTLEMENT_SOURCES;
pub use threshold::ThresholdTracker;
pub use webhooks::{DELIVERY_RESULTS, REDELIVERY_SOURCES, UNOWNED_RESULTS};

/// Latency buckets for a proxy: 1 ms (rejections, cached reads) to 60 s
/// (the default upstream timeout; uploads beyond it land in `+Inf`).
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Stage of a credit amount in the hold lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditKind {
    /// Priced before forwarding.
    Projected,
    /// Held against budgets.
    Held,
    /// Settled as spend.
    Captured,
    /// Freed without being spent.
    Released,
}

/// Handle to every metric family. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    requests: requests::RequestFamilies,
    credits_projected: CounterVec,
    credits_held: CounterVec,
    credits_captured: CounterVec,
    credits_released: CounterVec,
    rejections: IntCounterVec,
    shadow_rejections: IntCounterVec,
    ledger_errors: IntCounterVec,
    config_reloads: IntCounterVec,
    budget_limit: GaugeVec,
    budget_granted: GaugeVec,
    budget_remaining: GaugeVec,
    budget_reset: GaugeVec,
    budget_used_ratio: GaugeVec,
    budget_shadow: IntGaugeVec,
    threshold_crossed: GaugeVec,
    holds_open: IntGauge,
    holds_oldest_age: Gauge,
    renders_in_flight: IntGaugeVec,
    org_balance: Gauge,
    ledger_drift: Gauge,
    draining: IntGauge,
    webhooks: webhooks::WebhookFamilies,
    alerts: alerts::AlertFamilies,
    schema: schema::SchemaFamilies,
    settlement: settlement::SettlementFamilies,
    sessions: sessions::SessionFamilies,
    rate_limit_fallback: IntCounterVec,
    rate_limit_backend: IntGaugeVec,
    /// Label values set per scope, so `forget_scope` can remove them
    /// (prometheus 0.14 has no partial-match removal).
    seen: Mutex<HashMap<String, Seen>>,
}

#[derive(Default)]
struct Seen {
    windows: BTreeSet<String>,
    thresholds: BTreeSet<(String, String)>,
    shadow_reasons: BTreeSet<String>,
}

/// The git revision the binary was built from (`build.rs`), or `unknown`.
const GIT_REVISION: &str = match option_env!("HEYGEN_GATEWAY_GIT_REVISION") {
    Some(r) => r,
    None => "unknown",
};

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// Renders every family in `registry` in the Prometheus text format (`/metrics`).
pub fn encode(registry: &Registry) -> String {
    let mut buf = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&registry.gather(), &mut buf) {
        // Only a broken metric (duplicate label set across collectors) gets
        // here; serve what was written rather than failing the scrape.
        tracing::error!(error = %e, "encoding metrics failed");
    }
    String::from_utf8_lossy(&buf).into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests_gauges;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests_names;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests_requests;
