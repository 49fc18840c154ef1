//! The learned corrections (`pricing.projection.learn`): rebuilt from the
//! ledger's settled jobs of the last [`WINDOW_DAYS`] days at most every
//! [`REFRESH`], read by every billable request of a tenant.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};

use crate::ledger::Ledger;
use crate::pricing::learn::Corrections;

/// How often the corrections are rebuilt (each rebuild reads every settled
/// job of the window).
const REFRESH: Duration = Duration::from_secs(300);
/// How far back settled jobs count.
const WINDOW_DAYS: i64 = 30;

#[derive(Default)]
pub(super) struct Learned {
    corrections: ArcSwap<Corrections>,
    last: Mutex<Option<Instant>>,
}

impl Learned {
    /// Rebuilds the corrections when [`REFRESH`] has passed (or never ran).
    pub(super) async fn refresh(&self, ledger: &dyn Ledger, now: DateTime<Utc>) {
        {
            let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| t.elapsed() < REFRESH) {
                return;
            }
            *last = Some(Instant::now());
        }
        match ledger
            .calibration_samples(now - chrono::Duration::days(WINDOW_DAYS))
            .await
        {
            Ok(samples) => {
                let c = Corrections::learn(samples.iter().map(|s| {
                    (
                        s.tenant.as_str(),
                        s.feature.as_str(),
                        s.projected_ms,
                        s.actual_ms,
                    )
                }));
                tracing::info!(groups = c.len(), "Learned projection corrections rebuilt.");
                self.corrections.store(Arc::new(c));
            }
            Err(e) => {
                tracing::warn!(error = %e, "Reading settled jobs for learned corrections failed.")
            }
        }
    }

    pub(super) fn of_tenant(&self, tenant: &str) -> std::collections::HashMap<String, u64> {
        self.corrections.load().of_tenant(tenant)
    }
}
