//! Per-tenant request-rate limits (GCRA via `governor`).
//!
//! Governor's keyed limiters share one quota for every key (governor#193), but
//! each tenant has its own `requests_per_minute` and `burst`. Tenants are
//! bounded by the config file, so each tenant gets its own direct limiter in
//! a map swapped atomically on reload: no keyed store to grow, no housekeeping.
//!
//! Render-in-flight caps are not here: they are counted atomically by the
//! ledger together with the hold, so replicas sharing a store agree.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::Quota;

use crate::config::TenantConfig;

/// Per-tenant rate limiter, generic over governor's clock so tests can use
/// `governor::clock::FakeRelativeClock`. Share it as `Arc<RateLimiter>`.
pub struct RateLimiter<C: Clock = DefaultClock> {
    clock: C,
    tenants: ArcSwap<HashMap<String, Arc<TenantLimiter<C>>>>,
}

type Direct<C> =
    governor::RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// One tenant's limiter and the quota it was built from, so a reload can tell
/// whether the quota changed.
struct TenantLimiter<C: Clock> {
    requests_per_minute: NonZeroU32,
    burst: NonZeroU32,
    limiter: Direct<C>,
}

// === impl RateLimiter ===

impl RateLimiter<DefaultClock> {
    /// Builds limiters for `tenants` on governor's default (monotonic) clock.
    pub fn new(tenants: &[TenantConfig]) -> Self {
        Self::with_clock(tenants, DefaultClock::default())
    }
}

impl<C: Clock + Clone> RateLimiter<C> {
    /// Builds limiters for `tenants` on `clock` (tests pass a `FakeRelativeClock`).
    pub fn with_clock(tenants: &[TenantConfig], clock: C) -> Self {
        let map = build(&HashMap::new(), tenants, &clock);
        Self {
            clock,
            tenants: ArcSwap::from_pointee(map),
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
    /// not the rate limiter, decides who may call.
    pub fn check(&self, tenant: &str) -> Result<(), Duration> {
        let map = self.tenants.load();
        let Some(entry) = map.get(tenant) else {
            return Ok(());
        };
        entry
            .limiter
            .check()
            .map_err(|not_until| round_up_secs(not_until.wait_time_from(self.clock.now())))
    }

    /// Applies a reloaded tenant list: unchanged quotas keep their state (a
    /// reload must not hand everyone a fresh burst), changed quotas start a
    /// fresh limiter, removed tenants are dropped.
    pub fn reconfigure(&self, tenants: &[TenantConfig]) {
        // `rcu` retries the closure if another reload raced this one; building
        // the map twice is harmless.
        self.tenants.rcu(|old| build(old, tenants, &self.clock));
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

impl<C: Clock> std::fmt::Debug for RateLimiter<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("tenants", &self.tenants.load().len())
            .finish_non_exhaustive()
    }
}

/// The next map: entries of `old` whose quota is unchanged are reused.
fn build<C: Clock + Clone>(
    old: &HashMap<String, Arc<TenantLimiter<C>>>,
    tenants: &[TenantConfig],
    clock: &C,
) -> HashMap<String, Arc<TenantLimiter<C>>> {
    tenants
        .iter()
        .map(|t| {
            let (rpm, burst) = (t.limits.requests_per_minute, t.limits.burst);
            let entry = match old.get(&t.id) {
                Some(e) if e.requests_per_minute == rpm && e.burst == burst => Arc::clone(e),
                _ => Arc::new(TenantLimiter {
                    requests_per_minute: rpm,
                    burst,
                    limiter: governor::RateLimiter::direct_with_clock(
                        Quota::per_minute(rpm).allow_burst(burst),
                        clock.clone(),
                    ),
                }),
            };
            (t.id.clone(), entry)
        })
        .collect()
}

/// Whole seconds, rounded up, never zero: `Retry-After: 0` invites a hot loop.
fn round_up_secs(wait: Duration) -> Duration {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Duration::from_secs(secs.max(1))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::{Budgets, TenantLimits};
    use governor::clock::FakeRelativeClock;

    fn tenant(id: &str, rpm: u32, burst: u32) -> TenantConfig {
        TenantConfig {
            id: id.into(),
            name: id.into(),
            enabled: true,
            key_hashes: vec![],
            budgets: Budgets::default(),
            limits: TenantLimits {
                requests_per_minute: NonZeroU32::new(rpm).unwrap(),
                burst: NonZeroU32::new(burst).unwrap(),
                renders_in_flight: None,
            },
            allow: vec![],
            deny: vec![],
            shadow: false,
            isolation: Default::default(),
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn burst_then_limited_then_replenished() {
        let clock = FakeRelativeClock::default();
        let rl = RateLimiter::with_clock(&[tenant("a", 60, 3)], clock.clone());
        for _ in 0..3 {
            assert_eq!(rl.check("a"), Ok(()));
        }
        // One request per second replenishes; the 4th must wait exactly 1 s.
        assert_eq!(rl.check("a"), Err(secs(1)));
        clock.advance(secs(1));
        assert_eq!(rl.check("a"), Ok(()));
        assert_eq!(rl.check("a"), Err(secs(1)));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let clock = FakeRelativeClock::default();
        // 10/min: one request every 6 s.
        let rl = RateLimiter::with_clock(&[tenant("a", 10, 1)], clock.clone());
        assert_eq!(rl.check("a"), Ok(()));
        assert_eq!(rl.check("a"), Err(secs(6)));
        clock.advance(Duration::from_millis(2_500));
        assert_eq!(rl.check("a"), Err(secs(4))); // 3.5 s left
        clock.advance(Duration::from_millis(3_400));
        assert_eq!(rl.check("a"), Err(secs(1))); // 0.1 s left, never 0
        clock.advance(Duration::from_millis(100));
        assert_eq!(rl.check("a"), Ok(()));
    }

    #[test]
    fn tenants_are_independent_and_unknown_ids_pass() {
        let clock = FakeRelativeClock::default();
        let rl = RateLimiter::with_clock(&[tenant("a", 60, 1), tenant("b", 60, 1)], clock);
        assert_eq!(rl.check("a"), Ok(()));
        assert!(rl.check("a").is_err());
        assert_eq!(rl.check("b"), Ok(()));
        assert_eq!(rl.check("nobody"), Ok(()));
        assert_eq!(rl.check("nobody"), Ok(()));
    }

    #[test]
    fn reconfigure_keeps_unchanged_resets_changed_drops_removed() {
        let clock = FakeRelativeClock::default();
        let rl = RateLimiter::with_clock(
            &[
                tenant("same", 60, 1),
                tenant("changed", 60, 1),
                tenant("gone", 60, 1),
            ],
            clock,
        );
        for id in ["same", "changed", "gone"] {
            assert_eq!(rl.check(id), Ok(()));
            assert!(rl.check(id).is_err());
        }
        rl.reconfigure(&[
            tenant("same", 60, 1),
            tenant("changed", 60, 5),
            tenant("new", 6, 1),
        ]);
        assert_eq!(rl.len(), 3);
        // Unchanged quota keeps its exhausted state: no free burst on reload.
        assert_eq!(rl.check("same"), Err(secs(1)));
        // Changed quota starts fresh with the new burst.
        for _ in 0..5 {
            assert_eq!(rl.check("changed"), Ok(()));
        }
        assert!(rl.check("changed").is_err());
        // Removed tenants no longer have a limiter.
        assert_eq!(rl.check("gone"), Ok(()));
        assert_eq!(rl.check("gone"), Ok(()));
        assert_eq!(rl.check("new"), Ok(()));
        assert_eq!(rl.check("new"), Err(secs(10)));
    }

    #[test]
    fn rounding() {
        assert_eq!(round_up_secs(Duration::ZERO), secs(1));
        assert_eq!(round_up_secs(Duration::from_nanos(1)), secs(1));
        assert_eq!(round_up_secs(secs(2)), secs(2));
        assert_eq!(round_up_secs(Duration::from_millis(2_001)), secs(3));
    }
}
