//! Recording methods of the gateway-wide families kept directly in `Inner`:
//! requests (delegated to their families), credits by stage, rejections,
//! ledger errors, reloads, open holds, renders in flight, the org balance
//! and drift, draining and the rate-limit backend. Apart from registration
//! so the write API reads as one list.

use std::time::Duration;

use super::{CreditKind, Metrics};
use crate::money::{micros_to_credits, Micros};

// === impl Metrics ===

impl Metrics {
    /// Creates the 5xx series of every route family at 0 (for both outcomes
    /// a 5xx can have), so the shipped 5xx-rate alert sees the first error
    /// as a rise instead of a new series `rate()` cannot read yet; and keeps
    /// these families' series at hand for the request path. The first call
    /// decides the set; later calls change nothing.
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

    /// Creates `reason`'s fallback series at 0, so an alert's `increase()`
    /// sees the first fallback as a rise (a series born at 1 shows none).
    pub fn rate_limit_fallback_series(&self, reason: &'static str) {
        self.inner
            .rate_limit_fallback
            .with_label_values(&[reason])
            .inc_by(0);
    }

    /// Marks `backend` (`redis` or `local`) as the one deciding now; both
    /// series always exist so a dashboard sees the switch as 1 → 0.
    pub fn set_rate_limit_backend(&self, redis: bool) {
        let g = &self.inner.rate_limit_backend;
        g.with_label_values(&["redis"]).set(i64::from(redis));
        g.with_label_values(&["local"]).set(i64::from(!redis));
    }
}
