//! Per-scope series (budgets, thresholds): set, and removed when a reload
//! drops a tenant.

use std::collections::HashMap;
use std::sync::MutexGuard;

use super::{Metrics, Seen};
use crate::money::{micros_to_credits, Micros};

// === impl Metrics (scoped series) ===

impl Metrics {
    /// Sets the budget gauges of one scope (`"org"` or a tenant id) and
    /// window. `limit_micros` is the effective limit (configured plus
    /// `granted_micros`); `None` (no budget for that window) removes the
    /// limit, granted, remaining and ratio series; `remaining_micros: None`
    /// (unknown) removes remaining and ratio; `resets_at_unix: None` removes
    /// the reset. With both set, `remaining = limit × (1 − used_ratio)`.
    pub fn set_budget(
        &self,
        scope: &str,
        window: &str,
        limit_micros: Option<Micros>,
        granted_micros: Micros,
        remaining_micros: Option<Micros>,
        resets_at_unix: Option<i64>,
    ) {
        let i = &self.inner;
        let labels = [scope, window];
        match limit_micros {
            Some(limit) => {
                i.budget_limit
                    .with_label_values(&labels)
                    .set(micros_to_credits(limit));
                i.budget_granted
                    .with_label_values(&labels)
                    .set(micros_to_credits(granted_micros));
            }
            None => {
                let _ = i.budget_limit.remove_label_values(&labels);
                let _ = i.budget_granted.remove_label_values(&labels);
            }
        }
        match (limit_micros, remaining_micros) {
            (Some(limit), Some(remaining)) => {
                i.budget_remaining
                    .with_label_values(&labels)
                    .set(micros_to_credits(remaining));
                i.budget_used_ratio
                    .with_label_values(&labels)
                    .set(used_ratio(limit, remaining));
            }
            _ => {
                let _ = i.budget_remaining.remove_label_values(&labels);
                let _ = i.budget_used_ratio.remove_label_values(&labels);
            }
        }
        match resets_at_unix {
            Some(at) => i.budget_reset.with_label_values(&labels).set(at as f64),
            None => {
                let _ = i.budget_reset.remove_label_values(&labels);
            }
        }
        self.seen(scope, |s| {
            s.windows.insert(window.to_owned());
        });
    }

    /// Removes every gauge and shadow counter labelled with `scope` (a tenant
    /// removed by a reload). Credit counters stay: they are history, and a
    /// removed tenant's last increments should still reach Prometheus.
    pub fn forget_scope(&self, scope: &str) {
        let i = &self.inner;
        let seen = self.seen_map().remove(scope);
        let _ = i.renders_in_flight.remove_label_values(&[scope]);
        let _ = i.budget_shadow.remove_label_values(&[scope]);
        let Some(seen) = seen else { return };
        for w in &seen.windows {
            for vec in [
                &i.budget_limit,
                &i.budget_granted,
                &i.budget_remaining,
                &i.budget_reset,
                &i.budget_used_ratio,
            ] {
                let _ = vec.remove_label_values(&[scope, w]);
            }
        }
        for (w, t) in &seen.thresholds {
            let _ = i.threshold_crossed.remove_label_values(&[scope, w, t]);
        }
        for r in &seen.shadow_reasons {
            let _ = i.shadow_rejections.remove_label_values(&[scope, r]);
        }
    }

    /// Marks a scope's budgets as shadow (1) or enforced (0).
    pub fn set_budget_shadow(&self, scope: &str, shadow: bool) {
        self.inner
            .budget_shadow
            .with_label_values(&[scope])
            .set(i64::from(shadow));
    }

    /// Sets the threshold gauge; used by [`ThresholdTracker`].
    pub(super) fn set_threshold(&self, scope: &str, window: &str, threshold: u8, crossed: bool) {
        let t = threshold.to_string();
        self.inner
            .threshold_crossed
            .with_label_values(&[scope, window, &t])
            .set(if crossed { 1.0 } else { 0.0 });
        self.seen(scope, |s| {
            s.thresholds.insert((window.to_owned(), t));
        });
    }

    /// Removes a threshold gauge dropped from the config.
    pub(super) fn remove_threshold(&self, scope: &str, window: &str, threshold: u8) {
        let t = threshold.to_string();
        let _ = self
            .inner
            .threshold_crossed
            .remove_label_values(&[scope, window, &t]);
        self.seen(scope, |s| {
            s.thresholds.remove(&(window.to_owned(), t));
        });
    }

    pub(super) fn seen(&self, scope: &str, f: impl FnOnce(&mut Seen)) {
        f(self.seen_map().entry(scope.to_owned()).or_default());
    }

    /// The label bookkeeping; a panic elsewhere while holding it leaves it
    /// usable (it only lists label values), so poisoning is ignored.
    fn seen_map(&self) -> MutexGuard<'_, HashMap<String, Seen>> {
        self.inner.seen.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Used share of a budget: `(limit - remaining) / limit`. A zero (or
/// negative) limit allows nothing, so it counts as fully used.
fn used_ratio(limit: Micros, remaining: Micros) -> f64 {
    if limit <= 0 {
        return 1.0;
    }
    let used = i128::from(limit) - i128::from(remaining);
    used as f64 / limit as f64
}
