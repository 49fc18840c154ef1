//! Request-rate limits: per tenant, plus an optional org-wide limit.
//!
//! Without `[cluster] redis_url` each replica counts on its own with
//! [`LocalLimiter`] (governor's GCRA), as before. With it, every decision is
//! one Lua GCRA script in Redis that checks the tenant's and the org's key
//! together, so all replicas share one budget. When Redis fails or is slower
//! than `cluster.redis_timeout_ms`, the replica decides alone at `rate ÷
//! cluster.replicas`, counts that in `heygen_gateway_rate_limit_fallback_total`
//! and retries Redis shortly after; a request is never failed for it.
//! Credit budgets are unaffected: the ledger keeps them exact either way.
//!
//! Render-in-flight caps are not here: they are counted atomically by the
//! ledger together with the hold, so replicas sharing a store agree.

mod local;
mod redis;

use std::collections::HashMap;
use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

pub use local::LocalLimiter;

use crate::config::{ClusterConfig, Config, RateQuota};
use crate::metrics::Metrics;

/// After a Redis failure, requests go straight to the fallback for this
/// long, so a dead Redis costs one timeout per interval, not per request.
const RETRY_REDIS_AFTER: Duration = Duration::from_millis(500);

/// A decision still waiting for Redis.
pub type CheckFuture = Pin<Box<dyn Future<Output = Result<(), Duration>> + Send>>;

/// The outcome of [`RateLimiter::check`]: decided already (in-process), or
/// pending on Redis. `Err(retry_after)` is whole seconds, at least 1.
pub enum Check {
    Ready(Result<(), Duration>),
    Pending(CheckFuture),
}

impl Check {
    /// Waits for the decision (for callers that are async anyway).
    pub async fn decide(self) -> Result<(), Duration> {
        match self {
            Check::Ready(r) => r,
            Check::Pending(f) => f.await,
        }
    }
}

/// The gateway's rate limiter. Built in-process; [`RateLimiter::use_redis`]
/// switches it to the shared limiter once at startup.
pub struct RateLimiter {
    local: LocalLimiter,
    cluster: OnceLock<Arc<Cluster>>,
}

/// The shared limiter and its fallback.
struct Cluster {
    redis: Arc<redis::RedisLimiter>,
    fallback: LocalLimiter,
    quotas: ArcSwap<Quotas>,
    metrics: Metrics,
    /// Whether the last decision was Redis's (for logging transitions once).
    on_redis: AtomicBool,
    /// Until when (ms since `started`) Redis is skipped after a failure.
    skip_until_ms: AtomicU64,
    /// The failure that started the skip (its index in `Failure::ALL`): the
    /// fallback decisions made meanwhile are counted under its reason.
    skip_reason: AtomicU8,
    started: Instant,
}

/// Configured (undivided) quotas, read by the Redis path.
struct Quotas {
    tenants: HashMap<String, RateQuota>,
    org: Option<RateQuota>,
}

impl Quotas {
    fn from_config(config: &Config) -> Self {
        let tenants = config
            .tenants
            .iter()
            .map(|t| {
                let q = RateQuota {
                    requests_per_minute: t.limits.requests_per_minute,
                    burst: t.limits.burst,
                };
                (t.id.clone(), q)
            })
            .collect();
        Quotas {
            tenants,
            org: config.org.limits,
        }
    }
}

// === impl RateLimiter ===

impl RateLimiter {
    /// The in-process limiter for `config`'s tenants and org limit. Without
    /// Redis, replicas cannot share one count, so each admits `rate ÷
    /// cluster.replicas` (what the fallback does while Redis is down):
    /// together they admit the configured rate when the load balancer
    /// spreads requests evenly, instead of `replicas ×` it. With Redis this
    /// limiter is not consulted once `use_redis` ran.
    pub fn new(config: &Config) -> Self {
        let share = match config.cluster.redis {
            Some(_) => NonZeroU32::MIN,
            None => config.cluster.replicas,
        };
        Self {
            local: LocalLimiter::new(&config.tenants, config.org.limits, share),
            cluster: OnceLock::new(),
        }
    }

    /// Shares limits through the Redis at `url` from now on (call once, at
    /// startup). Waits for a first connection attempt so a healthy cluster
    /// starts on Redis; if Redis is down, decisions fall back and the
    /// connection is retried in the background. Errors only on an
    /// unparsable URL (or a second call).
    pub async fn use_redis(
        &self,
        url: &str,
        config: &Config,
        metrics: Metrics,
    ) -> Result<(), String> {
        let ClusterConfig {
            replicas,
            redis_timeout,
            ..
        } = config.cluster;
        let redis = Arc::new(redis::RedisLimiter::new(url, redis_timeout)?);
        let connected = redis.connect_now().await;
        metrics.set_rate_limit_backend(connected);
        for failure in redis::Failure::ALL {
            metrics.rate_limit_fallback_series(failure.as_str());
        }
        if !connected {
            tracing::warn!("Redis rate limiter unreachable at startup: each replica limits alone at rate / cluster.replicas until it connects.");
        }
        let cluster = Cluster {
            redis,
            fallback: LocalLimiter::new(&config.tenants, config.org.limits, replicas),
            quotas: ArcSwap::from_pointee(Quotas::from_config(config)),
            metrics,
            on_redis: AtomicBool::new(connected),
            skip_until_ms: AtomicU64::new(0),
            skip_reason: AtomicU8::new(0),
            started: Instant::now(),
        };
        self.cluster
            .set(Arc::new(cluster))
            .map_err(|_| "the rate limiter already uses Redis".to_string())
    }

    /// Admits one request of `tenant`: `Ok(())` when it fits the tenant's
    /// quota (and the org's), `Err(retry_after)` when not — the wait until
    /// one request would fit, rounded **up** to whole seconds and at least
    /// 1 s, for `Retry-After`. A tenant id that is not configured (e.g.
    /// removed by a reload that raced this request) is admitted:
    /// authentication, not the rate limiter, decides who may call.
    pub fn check(&self, tenant: &str) -> Check {
        let Some(cluster) = self.cluster.get() else {
            return Check::Ready(self.local.check(tenant));
        };
        let quotas = cluster.quotas.load();
        let Some(&quota) = quotas.tenants.get(tenant) else {
            return Check::Ready(Ok(()));
        };
        if cluster.skipping_redis() {
            return Check::Ready(cluster.fall_back(tenant, None));
        }
        let (cluster, tenant, org) = (Arc::clone(cluster), tenant.to_owned(), quotas.org);
        Check::Pending(Box::pin(async move {
            match Arc::clone(&cluster.redis).check(&tenant, quota, org).await {
                Ok(decision) => {
                    cluster.redis_answered();
                    decision
                }
                Err(failure) => cluster.fall_back(&tenant, Some(failure)),
            }
        }))
    }

    /// Applies a reloaded config: unchanged quotas keep their state (a
    /// reload must not hand everyone a fresh burst), changed quotas start
    /// fresh, removed tenants are dropped. Redis state is keyed by tenant
    /// id and needs nothing: GCRA reads the new quota on the next call.
    pub fn reconfigure(&self, config: &Config) {
        self.local.reconfigure(&config.tenants, config.org.limits);
        if let Some(cluster) = self.cluster.get() {
            cluster
                .fallback
                .reconfigure(&config.tenants, config.org.limits);
            cluster.quotas.store(Arc::new(Quotas::from_config(config)));
        }
    }

    /// Number of tenants with a limiter (for tests and a gauge).
    pub fn len(&self) -> usize {
        self.local.len()
    }

    /// Whether no tenant has a limiter.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("tenants", &self.local.len())
            .field("redis", &self.cluster.get().is_some())
            .finish_non_exhaustive()
    }
}

// === impl Cluster ===

impl Cluster {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn skipping_redis(&self) -> bool {
        self.now_ms() < self.skip_until_ms.load(Ordering::Acquire)
    }

    fn redis_answered(&self) {
        if !self.on_redis.swap(true, Ordering::AcqRel) {
            self.metrics.set_rate_limit_backend(true);
            tracing::info!("Rate limits are shared through Redis.");
        }
    }

    /// Decides locally at `rate ÷ replicas`; `failure` is what just went
    /// wrong (`None`: Redis is being skipped after an earlier failure).
    fn fall_back(&self, tenant: &str, failure: Option<redis::Failure>) -> Result<(), Duration> {
        let reason = match failure {
            Some(f) => {
                let until = self.now_ms() + RETRY_REDIS_AFTER.as_millis() as u64;
                self.skip_reason.store(f as u8, Ordering::Relaxed);
                self.skip_until_ms.store(until, Ordering::Release);
                if self.on_redis.swap(false, Ordering::AcqRel) {
                    self.metrics.set_rate_limit_backend(false);
                    tracing::warn!(
                        reason = f.as_str(),
                        "Redis rate limiter unavailable: each replica now limits alone at rate / cluster.replicas."
                    );
                }
                f.as_str()
            }
            None => {
                let i = usize::from(self.skip_reason.load(Ordering::Relaxed));
                redis::Failure::ALL
                    .get(i)
                    .map_or("unreachable", |f| f.as_str())
            }
        };
        self.metrics.rate_limit_fallback(reason);
        self.fallback.check(tenant)
    }
}

/// Whole seconds, rounded up, never zero: `Retry-After: 0` invites a hot loop.
fn round_up_secs(wait: Duration) -> Duration {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Duration::from_secs(secs.max(1))
}

#[cfg(test)]
mod tests;
