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

mod alerts;
mod reg;
mod requests;
mod scope;
mod sessions;
mod settlement;
mod threshold;
mod webhooks;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus::{
    CounterVec, Encoder, Gauge, GaugeVec, IntCounterVec, IntGauge, IntGaugeVec, Registry,
    TextEncoder,
};

pub use alerts::{ALERT_EVENTS, ALERT_RESULTS};
pub use sessions::SESSION_STOP_REASONS;
pub use settlement::SETTLEMENT_SOURCES;
pub use threshold::ThresholdTracker;
pub use webhooks::DELIVERY_RESULTS;

use reg::Reg;

use crate::money::{micros_to_credits, Micros};

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

// === impl Metrics ===

/// The git revision the binary was built from (`build.rs`), or `unknown`.
const GIT_REVISION: &str = match option_env!("HEYGEN_GATEWAY_GIT_REVISION") {
    Some(r) => r,
    None => "unknown",
};

/// Ledger operations whose failures are counted (`op` label values).
const LEDGER_OPS: [&str; 27] = [
    "adjust",
    "alert_depth",
    "alert_result",
    "alerts_due",
    "alerts_enqueue",
    "assign",
    "bind_contact",
    "calibration",
    "capture",
    "expire",
    "get_job",
    "hold",
    "idem_abandon",
    "idem_begin",
    "idem_complete",
    "jobs_to_poll",
    "list_resources",
    "open_holds",
    "owners_of",
    "record_resources",
    "release",
    "retry_hold",
    "sessions",
    "settle",
    "submit",
    "usage",
    "verify",
];

impl Metrics {
    /// Registers every family on `registry` and sets `build_info` to 1.
    /// Fails if a family is already registered there.
    pub fn register(registry: &Registry) -> Result<Metrics, prometheus::Error> {
        let r = Reg(registry);
        let credits = |stage: &str| {
            r.counter(
                &format!("heygen_gateway_credits_{stage}_total"),
                &format!("Credits {stage}, by tenant and feature."),
                &["tenant", "feature"],
            )
        };
        let budget = |name: &str, help: &str| r.gauge(name, help, &["scope", "window"]);
        let inner = Inner {
            requests: requests::RequestFamilies::register(&r)?,
            credits_projected: credits("projected")?,
            credits_held: credits("held")?,
            credits_captured: credits("captured")?,
            credits_released: credits("released")?,
            rejections: r.int_counter(
                "heygen_gateway_rejections_total",
                "Requests refused by the gateway, by reason.",
                &["reason"],
            )?,
            shadow_rejections: r.int_counter(
                "heygen_gateway_shadow_rejections_total",
                "Requests a shadow-mode budget would have refused (forwarded anyway).",
                &["scope", "reason"],
            )?,
            ledger_errors: r.int_counter(
                "heygen_gateway_ledger_errors_total",
                "Ledger operations that failed, by operation.",
                &["op"],
            )?,
            config_reloads: r.int_counter(
                "heygen_gateway_config_reloads_total",
                "Configuration reloads by result.",
                &["result"],
            )?,
            budget_shadow: r.int_gauge_vec(
                "heygen_gateway_budget_shadow",
                "1 when the scope's budgets are in shadow mode (evaluated, never enforced): alerts on exhaustion exclude these.",
                &["scope"],
            )?,
            budget_limit: budget(
                "heygen_gateway_budget_limit_credits",
                "Effective budget of the current period per scope and window: configured \
                 limit plus ops' grants (configured windows only).",
            )?,
            budget_granted: budget(
                "heygen_gateway_budget_granted_credits",
                "Credits granted (negative: debited) by ops in the current period; \
                 included in budget_limit_credits.",
            )?,
            budget_remaining: budget(
                "heygen_gateway_budget_remaining_credits",
                "limit - held - spent in the current period; negative after an overage.",
            )?,
            budget_reset: budget(
                "heygen_gateway_budget_reset_timestamp_seconds",
                "Unix time the current window resets (absent for `total`).",
            )?,
            budget_used_ratio: budget(
                "heygen_gateway_budget_used_ratio",
                "Share of the window's budget used (held + captured); above 1 after an overage.",
            )?,
            threshold_crossed: r.gauge(
                "heygen_gateway_budget_threshold_crossed",
                "1 while usage is at or above an alert threshold (percent) in the current window.",
                &["scope", "window", "threshold"],
            )?,
            holds_open: r.int_gauge(
                "heygen_gateway_holds_open",
                "Holds not yet captured or released.",
            )?,
            holds_oldest_age: r.plain_gauge(
                "heygen_gateway_holds_oldest_age_seconds",
                "Age of the oldest open hold (0 when none).",
            )?,
            renders_in_flight: r.int_gauge_vec(
                "heygen_gateway_renders_in_flight",
                "Renders held or submitted and not settled, by scope.",
                &["scope"],
            )?,
            org_balance: r.plain_gauge(
                "heygen_gateway_org_balance_credits",
                "The org's balance reported by HeyGen (remaining quota / 60).",
            )?,
            ledger_drift: r.plain_gauge(
                "heygen_gateway_ledger_drift_credits",
                "Difference between the ledger's view of the org balance and HeyGen's.",
            )?,
            draining: r.int_gauge(
                "heygen_gateway_draining",
                "1 while shutting down (readiness fails, in-flight requests finish).",
            )?,
            webhooks: webhooks::WebhookFamilies::register(&r)?,
            alerts: alerts::AlertFamilies::register(&r)?,
            settlement: settlement::SettlementFamilies::register(&r)?,
            sessions: sessions::SessionFamilies::register(&r)?,
            rate_limit_fallback: r.int_counter(
                "heygen_gateway_rate_limit_fallback_total",
                "Rate-limit decisions made locally (rate / cluster.replicas) because Redis failed, by reason.",
                &["reason"],
            )?,
            rate_limit_backend: r.int_gauge_vec(
                "heygen_gateway_rate_limit_backend",
                "1 for the backend deciding request-rate limits now (redis or local).",
                &["backend"],
            )?,
            seen: Mutex::new(HashMap::new()),
        };
        let build_info = r.int_gauge_vec(
            "heygen_gateway_build_info",
            "Always 1; the labels identify the running build.",
            &["version", "git_revision"],
        )?;
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION"), GIT_REVISION])
            .set(1);
        // Alerts use `increase(ledger_errors_total[5m]) > 0`: every operation's
        // series exists at 0 from start, so the first error is a rise.
        for op in LEDGER_OPS {
            inner.ledger_errors.with_label_values(&[op]);
        }
        #[cfg(target_os = "linux")]
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        // Both results exist from the start so `increase(...[1h]) > 0` alerts
        // see the first failure instead of a series appearing from nothing.
        for result in ["success", "failure"] {
            inner.config_reloads.with_label_values(&[result]);
        }
        Ok(Metrics {
            inner: Arc::new(inner),
        })
    }

    /// Creates the 5xx series of every route family at 0 (for both outcomes
    /// a 5xx can have), so the shipped 5xx-rate alert sees the first error
    /// as a rise instead of a new series `rate()` cannot read yet; and keeps
    /// these families' series at hand for the request path.
    pub fn declare_request_families(&self, families: &[&'static str]) {
        self.inner.requests.declare(families);
    }

    /// Counts one finished request and observes its total latency.
    pub fn request(&self, family: &str, status: u16, outcome: &str, elapsed: Duration) {
        self.inner
            .requests
            .request(family, status, outcome, elapsed);
    }

    /// Observes the time HeyGen took to answer (to response headers).
    pub fn upstream(&self, family: &str, elapsed: Duration) {
        self.inner.requests.upstream(family, elapsed);
    }

    /// Adds `micros` to the credits counter of `kind`. Negative amounts are
    /// ignored (counters only go up; a correction is a release, not a minus).
    pub fn credits(&self, kind: CreditKind, tenant: &str, feature: &str, micros: Micros) {
        if micros <= 0 {
            return;
        }
        let i = &self.inner;
        let vec = match kind {
            CreditKind::Projected => &i.credits_projected,
            CreditKind::Held => &i.credits_held,
            CreditKind::Captured => &i.credits_captured,
            CreditKind::Released => &i.credits_released,
        };
        vec.with_label_values(&[tenant, feature])
            .inc_by(micros_to_credits(micros));
    }

    /// Counts a request the gateway refused, by reason (`insufficient_credit`, …).
    pub fn rejection(&self, reason: &str) {
        self.inner.rejections.with_label_values(&[reason]).inc();
    }

    /// Counts a would-be rejection of a shadow-mode budget.
    pub fn shadow_rejection(&self, scope: &str, reason: &str) {
        self.inner
            .shadow_rejections
            .with_label_values(&[scope, reason])
            .inc();
        self.seen(scope, |s| {
            s.shadow_reasons.insert(reason.to_owned());
        });
    }

    /// Counts a failed ledger operation (`hold`, `capture`, `release`, …).
    pub fn ledger_error(&self, op: &str) {
        self.inner.ledger_errors.with_label_values(&[op]).inc();
    }

    /// Counts a config reload attempt by result.
    pub fn config_reload(&self, ok: bool) {
        let result = if ok { "success" } else { "failure" };
        self.inner.config_reloads.with_label_values(&[result]).inc();
    }

    /// Sets the number of open holds and the age of the oldest one.
    pub fn set_open_holds(&self, count: u64, oldest_age_seconds: f64) {
        let i = &self.inner;
        i.holds_open.set(i64::try_from(count).unwrap_or(i64::MAX));
        i.holds_oldest_age.set(oldest_age_seconds.max(0.0));
    }

    /// Sets renders in flight for `scope` (`"org"` or a tenant id).
    pub fn set_renders_in_flight(&self, scope: &str, n: u64) {
        self.inner
            .renders_in_flight
            .with_label_values(&[scope])
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// Sets the org balance polled from HeyGen, in credits.
    pub fn set_org_balance(&self, credits: f64) {
        self.inner.org_balance.set(credits);
    }

    /// Sets the drift between the ledger and HeyGen's balance, in credits.
    pub fn set_ledger_drift(&self, credits: f64) {
        self.inner.ledger_drift.set(credits);
    }

    /// Marks the gateway as draining (1) or serving (0).
    pub fn set_draining(&self, draining: bool) {
        self.inner.draining.set(i64::from(draining));
    }

    /// Counts one rate-limit decision made by the local fallback;
    /// `reason` is `unreachable`, `timeout` or `error` (bounded by code).
    pub fn rate_limit_fallback(&self, reason: &'static str) {
        self.inner
            .rate_limit_fallback
            .with_label_values(&[reason])
            .inc();
    }

    /// Marks `backend` (`redis` or `local`) as the one deciding now; both
    /// series always exist so a dashboard sees the switch as 1 → 0.
    pub fn set_rate_limit_backend(&self, redis: bool) {
        let g = &self.inner.rate_limit_backend;
        g.with_label_values(&["redis"]).set(i64::from(redis));
        g.with_label_values(&["local"]).set(i64::from(!redis));
    }
}

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
