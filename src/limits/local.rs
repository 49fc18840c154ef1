//! The in-process limiter: per-tenant GCRA (and the optional org-wide one)
//! with `governor`.
//!
//! Governor's keyed limiters share one quota for every key (governor#193), but
//! each tenant has its own `requests_per_minute` and `burst`. Tenants are
//! bounded by the config file, so each tenant gets its own direct limiter in
//! a map swapped atomically on reload: no keyed store to grow, no housekeeping.
//!
//! The same type is the cluster fallback: built with `divisor =
//! cluster.replicas`, every quota is divided so N replicas deciding alone
//! admit about what the shared limit would.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::{ArcSwap, ArcSwapOption};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::Quota;

use super::round_up_secs;
use crate::config::{RateQuota, TenantConfig};

/// Per-tenant rate limiter, generic over governor's clock so tests can use
/// `governor::clock::FakeRelativeClock`.
pub struct LocalLimiter<C: Clock = DefaultClock> {
    clock: C,
    divisor: NonZeroU32,
    tenants: ArcSwap<HashMap<String, Arc<TenantLimiter<C>>>>,
    org: ArcSwapOption<TenantLimiter<C>>,
}

type Direct<C> =
    governor::RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// One limiter and the (configured, undivided) quota it was built from, so
/// a reload can tell whether the quota changed.
struct TenantLimiter<C: Clock> {
    quota: RateQuota,
    limiter: Direct<C>,
}

// === impl LocalLimiter ===

impl LocalLimiter<DefaultClock> {
    /// Builds limiters for `tenants` (and the org) on governor's default
    /// (monotonic) clock, each quota divided by `divisor`.
    pub fn new(tenants: &[TenantConfig], org: Option<RateQuota>, divisor: NonZeroU32) -> Self {
        Self::with_clock(tenants, org, divisor, DefaultClock::default())
    }
}

impl<C: Clock + Clone> LocalLimiter<C> {
    /// Builds limiters on `clock` (tests pass a `FakeRelativeClock`).
    pub fn with_clock(
        tenants: &[TenantConfig],
        org: Option<RateQuota>,
        divisor: NonZeroU32,
        clock: C,
    ) -> Self {
        let map = build(&HashMap::new(), tenants, divisor, &clock);
        let org = org.map(|q| Arc::new(limiter(q, divisor, &clock)));
        Self {
            clock,
            divisor,
            tenants: ArcSwap::from_pointee(map),
            org: ArcSwapOption::new(org),
        }
    }

    /// Admits one request of `tenant`.
    ///
    /// Returns `Ok(())` when the request fits the tenant's quota, and
    /// `Err(retry_after)` when it does not: the wait until one request would
    /// fit, rounded **up** to whole seconds and at least 1 s, so it can be
    /// written into `Retry-After` as `retry_after.as_secs()` without a client
    /// retrying too early. A tenant id that is not configured (e.g. removed
    /// by a reload that raced this request) is admitted: authentication,
    /// not the rate limiter, decides who may call. The org limit is checked
    /// after the tenant's; a request the org refuses has still used one
    /// tenant cell (governor cannot give it back), which errs on refusing.
    pub fn check(&self, tenant: &str) -> Result<(), Duration> {
        let map = self.tenants.load();
        let Some(entry) = map.get(tenant) else {
            return Ok(());
        };
        let wait = |not_until: governor::NotUntil<C::Instant>| {
            round_up_secs(not_until.wait_time_from(self.clock.now()))
        };
        entry.limiter.check().map_err(wait)?;
        match &*self.org.load() {
            Some(org) => org.limiter.check().map_err(wait),
            None => Ok(()),
        }
    }

    /// Applies a reloaded tenant list: unchanged quotas keep their state (a
    /// reload must not hand everyone a fresh burst), changed quotas start a
    /// fresh limiter, removed tenants are dropped.
    pub fn reconfigure(&self, tenants: &[TenantConfig], org: Option<RateQuota>) {
        // `rcu` retries the closure if another reload raced this one; building
        // the map twice is harmless.
        self.tenants
            .rcu(|old| build(old, tenants, self.divisor, &self.clock));
        self.org.rcu(|old| match (old, org) {
            (Some(e), Some(q)) if e.quota == q => Some(Arc::clone(e)),
            (_, q) => q.map(|q| Arc::new(limiter(q, self.divisor, &self.clock))),
        });
    }

    /// Number of tenants with a limiter (for tests and a gauge).
    pub fn len(&self) -> usize {
        self.tenants.load().len()
    }

    /// Whether no tenant has a limiter.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<C: Clock> std::fmt::Debug for LocalLimiter<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalLimiter")
            .field("tenants", &self.tenants.load().len())
            .finish_non_exhaustive()
    }
}

/// The next map: entries of `old` whose quota is unchanged are reused.
fn build<C: Clock + Clone>(
    old: &HashMap<String, Arc<TenantLimiter<C>>>,
    tenants: &[TenantConfig],
    divisor: NonZeroU32,
    clock: &C,
) -> HashMap<String, Arc<TenantLimiter<C>>> {
    tenants
        .iter()
        .map(|t| {
            let quota = RateQuota {
                requests_per_minute: t.limits.requests_per_minute,
                burst: t.limits.burst,
            };
            let entry = match old.get(&t.id) {
                Some(e) if e.quota == quota => Arc::clone(e),
                _ => Arc::new(limiter(quota, divisor, clock)),
            };
            (t.id.clone(), entry)
        })
        .collect()
}

/// A limiter for `quota ÷ divisor`, never below 1 request per minute and a
/// burst of 1 (a replica must be able to serve something on its own).
fn limiter<C: Clock + Clone>(quota: RateQuota, divisor: NonZeroU32, clock: &C) -> TenantLimiter<C> {
    let div = |n: NonZeroU32| NonZeroU32::new(n.get() / divisor.get()).unwrap_or(NonZeroU32::MIN);
    TenantLimiter {
        quota,
        limiter: governor::RateLimiter::direct_with_clock(
            Quota::per_minute(div(quota.requests_per_minute)).allow_burst(div(quota.burst)),
            clock.clone(),
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "local_tests.rs"]
mod tests;
