//! Budget threshold alerts: one log event per threshold per window period,
//! and a gauge that shows whether usage is at or above each threshold now.
//!
//! The gauge follows usage (a released hold can bring it back to 0), while the
//! event is latched for the period so a budget hovering around 80 % does not
//! flood the log. A new period (the caller's `period_key` changes, e.g. the
//! window's start date) re-arms every threshold. State is per process: with
//! several replicas each one logs its own crossing.

use std::collections::HashMap;
use std::sync::Mutex;

use super::Metrics;

/// Tracks which alert thresholds (percent of a budget) each scope and window
/// has crossed in its current period. Share it as `Arc<ThresholdTracker>`.
pub struct ThresholdTracker {
    metrics: Metrics,
    inner: Mutex<Inner>,
}

struct Inner {
    /// Sorted, deduplicated, each in 1..=100 (bit `t` of the masks below).
    thresholds: Vec<u8>,
    windows: HashMap<(String, String), Period>,
}

struct Period {
    key: String,
    /// Thresholds already announced in this period.
    fired: u128,
    /// Thresholds the gauge currently shows as crossed.
    above: u128,
}

// === impl ThresholdTracker ===

impl ThresholdTracker {
    /// A tracker for `thresholds` (percent; values outside 1..=100 are ignored,
    /// config validation already refuses them).
    pub fn new(metrics: Metrics, thresholds: &[u8]) -> Self {
        Self {
            metrics,
            inner: Mutex::new(Inner {
                thresholds: clean(thresholds),
                windows: HashMap::new(),
            }),
        }
    }

    /// Records the usage of one scope (`"org"` or a tenant id) and window in
    /// the period named `period_key`, updates
    /// `heygen_gateway_budget_threshold_crossed`, logs one warning per newly
    /// crossed threshold and returns those thresholds (ascending). The first
    /// call for a window creates all its gauges at 0, so idle tenants have them.
    pub fn observe(&self, scope: &str, window: &str, period_key: &str, used_ratio: f64) -> Vec<u8> {
        let percent = if used_ratio.is_finite() {
            used_ratio * 100.0
        } else {
            0.0
        };
        let mut newly = Vec::new();
        let mut gauge_changes = Vec::new();
        {
            let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            let Inner {
                thresholds,
                windows,
            } = &mut *inner;
            let key = (scope.to_owned(), window.to_owned());
            let period = windows.entry(key).or_insert_with(|| {
                // Brand-new window: every gauge is written below.
                gauge_changes.extend(thresholds.iter().map(|&t| (t, false)));
                Period {
                    key: period_key.to_owned(),
                    fired: 0,
                    above: 0,
                }
            });
            if period.key != period_key {
                period.key = period_key.to_owned();
                period.fired = 0;
            }
            for &t in thresholds.iter() {
                let bit = 1u128 << t;
                let crossed = percent >= f64::from(t);
                if crossed != (period.above & bit != 0) {
                    period.above ^= bit;
                    gauge_changes.retain(|&(x, _)| x != t);
                    gauge_changes.push((t, crossed));
                }
                if crossed && period.fired & bit == 0 {
                    period.fired |= bit;
                    newly.push(t);
                }
            }
        }
        // Gauges and logs outside the lock: they take their own locks.
        for (t, crossed) in gauge_changes {
            self.metrics.set_threshold(scope, window, t, crossed);
        }
        for &threshold in &newly {
            tracing::warn!(
                scope,
                window,
                threshold,
                used_percent = percent,
                period = period_key,
                "budget usage crossed alert threshold"
            );
        }
        newly
    }

    /// Replaces the thresholds after a reload. Thresholds kept from before
    /// stay latched for the current period; gauges of dropped ones are removed.
    pub fn set_thresholds(&self, thresholds: &[u8]) {
        let new = clean(thresholds);
        let mut removed = Vec::new();
        {
            let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            let dropped: Vec<u8> = inner
                .thresholds
                .iter()
                .copied()
                .filter(|t| !new.contains(t))
                .collect();
            for ((scope, window), period) in inner.windows.iter_mut() {
                for &t in &dropped {
                    let bit = 1u128 << t;
                    period.fired &= !bit;
                    period.above &= !bit;
                    removed.push((scope.clone(), window.clone(), t));
                }
            }
            inner.thresholds = new;
        }
        for (scope, window, t) in removed {
            self.metrics.remove_threshold(&scope, &window, t);
        }
    }

    /// Drops the state of a scope removed by a reload (its gauges are removed
    /// by [`Metrics::forget_scope`]).
    pub fn forget_scope(&self, scope: &str) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.windows.retain(|(s, _), _| s != scope);
    }
}

impl std::fmt::Debug for ThresholdTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThresholdTracker").finish_non_exhaustive()
    }
}

fn clean(thresholds: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = thresholds
        .iter()
        .copied()
        .filter(|t| (1..=100).contains(t))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}
