//! `Metrics::register`: every family built and registered on the injected
//! registry, with the series that must exist from the start (ledger
//! operations, reload results, build info). Its own file because the
//! family list with names and help texts is long and changes on its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use prometheus::Registry;

use super::reg::Reg;
use super::{alerts, requests, schema, sessions, settlement, webhooks};
use super::{Inner, Metrics, GIT_REVISION};

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
            schema: schema::SchemaFamilies::register(&r)?,
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
        // Unknown until HeyGen's quota is first read (never, with
        // `metrics.quota_poll_seconds = 0`): NaN, not a 0 that reads as an
        // empty account, and that drift alerts ignore.
        inner.org_balance.set(f64::NAN);
        inner.ledger_drift.set(f64::NAN);
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
}
