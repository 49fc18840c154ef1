//! The shared limiter: one `EVALSHA` of a Lua GCRA per request on a
//! multiplexed [`ConnectionManager`], which reconnects by itself after
//! Redis restarts. Connecting never blocks a request: the first connection
//! is made by a background task and requests fall back until it is up.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwapOption;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::round_up_secs;
use crate::config::RateQuota;

/// How long the background task waits for a TCP connection (it runs off
/// the request path, so it may be far longer than the per-call timeout).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Keys of this gateway in a Redis that may be shared with other software.
const KEY_PREFIX: &str = "heygen-gateway:rl:";

/// Why a decision could not be made in Redis (the fallback metric's reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    /// No connection yet, or the connection broke.
    Unreachable,
    /// Redis did not answer within `cluster.redis_timeout_ms`.
    Timeout,
    /// Redis answered with an error (e.g. out of memory, a wrong reply).
    Error,
}

impl Failure {
    /// Every failure, indexed by its `u8` (kept in an atomic).
    pub(super) const ALL: [Failure; 3] = [Failure::Unreachable, Failure::Timeout, Failure::Error];

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Failure::Unreachable => "unreachable",
            Failure::Timeout => "timeout",
            Failure::Error => "error",
        }
    }
}

pub(super) struct RedisLimiter {
    client: redis::Client,
    conn: ArcSwapOption<ConnectionManager>,
    connecting: AtomicBool,
    script: redis::Script,
    timeout: Duration,
}

impl RedisLimiter {
    /// Parses `url` (no I/O: the connection is made on first use).
    pub(super) fn new(url: &str, timeout: Duration) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("invalid Redis URL: {e}"))?;
        Ok(Self {
            client,
            conn: ArcSwapOption::empty(),
            connecting: AtomicBool::new(false),
            script: redis::Script::new(include_str!("gcra.lua")),
            timeout,
        })
    }

    /// Admits one request of `tenant` against its quota and the org's, in
    /// one script call. `Ok(Err(wait))` is a refusal; `Err` means Redis
    /// could not decide and the caller must.
    pub(super) async fn check(
        self: Arc<Self>,
        tenant: &str,
        quota: RateQuota,
        org: Option<RateQuota>,
    ) -> Result<Result<(), Duration>, Failure> {
        let Some(conn) = self.conn.load_full() else {
            self.connect_in_background();
            return Err(Failure::Unreachable);
        };
        let mut conn = ConnectionManager::clone(&conn);
        let (org_interval, org_burst) = org.map_or((0, 0), |q| (interval_us(q), q.burst.get()));
        let mut call = self.script.prepare_invoke();
        call.key(format!("{KEY_PREFIX}tenant:{tenant}"))
            .key(format!("{KEY_PREFIX}org"))
            .arg(interval_us(quota))
            .arg(quota.burst.get())
            .arg(org_interval)
            .arg(org_burst);
        let reply = tokio::time::timeout(self.timeout, call.invoke_async::<(i64, i64)>(&mut conn));
        match reply.await {
            Err(_) => Err(Failure::Timeout),
            Ok(Err(e)) if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() => {
                Err(Failure::Unreachable)
            }
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "Redis rate-limit script failed.");
                Err(Failure::Error)
            }
            Ok(Ok((1, _))) => Ok(Ok(())),
            Ok(Ok((_, wait_us))) => Ok(Err(round_up_secs(Duration::from_micros(
                u64::try_from(wait_us).unwrap_or(0),
            )))),
        }
    }

    /// Connects once, waiting for it (startup): `true` when connected.
    pub(super) async fn connect_now(self: &Arc<Self>) -> bool {
        if self.connecting.swap(true, Ordering::AcqRel) {
            return false;
        }
        let ok = self.try_connect().await;
        self.connecting.store(false, Ordering::Release);
        ok
    }

    /// Starts one connection attempt unless one is under way; later
    /// reconnects are the [`ConnectionManager`]'s own.
    pub(super) fn connect_in_background(self: &Arc<Self>) {
        if self.connecting.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = Arc::clone(self);
        tokio::spawn(async move {
            this.try_connect().await;
            this.connecting.store(false, Ordering::Release);
        });
    }

    async fn try_connect(&self) -> bool {
        let cfg = ConnectionManagerConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_number_of_retries(1);
        match ConnectionManager::new_with_config(self.client.clone(), cfg).await {
            Ok(conn) => {
                self.conn.store(Some(Arc::new(conn)));
                true
            }
            Err(e) => {
                tracing::debug!(error = %e, "Redis connection attempt failed.");
                false
            }
        }
    }
}

/// Microseconds between two requests at `quota`'s rate (at least 1).
fn interval_us(quota: RateQuota) -> u64 {
    (60_000_000 / u64::from(quota.requests_per_minute.get())).max(1)
}
