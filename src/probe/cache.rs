//! [`Prober`]: probing with a bounded, TTL'd cache keyed by URL, so the same
//! asset used in many requests is fetched once an hour at most.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::time::Instant;

use super::{probe_duration, ProbeConfig, ProbeError, Probed};
use crate::egress::EgressGuard;

type Entry = (Instant, Result<Probed, ProbeError>);

/// Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct Prober {
    guard: EgressGuard,
    cfg: ProbeConfig,
    // A std mutex: held only for map operations, never across an await.
    cache: Arc<Mutex<HashMap<String, Entry>>>,
}

impl std::fmt::Debug for Prober {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prober")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl Prober {
    pub fn new(guard: EgressGuard, cfg: ProbeConfig) -> Self {
        Self {
            guard,
            cfg,
            cache: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// [`probe_duration`] with the cache. Results and content errors
    /// (truncated, too large, …) are cached; refusals and HTTP errors are
    /// not, since the server may answer differently next time.
    pub async fn probe(&self, url: &str) -> Result<Probed, ProbeError> {
        if let Some(hit) = self.cached(url) {
            return hit;
        }
        let result = probe_duration(&self.guard, url, &self.cfg).await;
        let transient = result.as_ref().err().is_some_and(ProbeError::is_transient);
        if !transient {
            self.store(url, result.clone());
        }
        result
    }

    /// Number of live entries (for tests and gauges).
    pub fn cached_entries(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock leaves a map that is still valid.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn cached(&self, url: &str) -> Option<Result<Probed, ProbeError>> {
        let mut map = self.lock();
        let (at, result) = map.get(url)?;
        if at.elapsed() < self.cfg.cache_ttl {
            return Some(result.clone());
        }
        map.remove(url);
        None
    }

    fn store(&self, url: &str, result: Result<Probed, ProbeError>) {
        if self.cfg.cache_entries == 0 || self.cfg.cache_ttl.is_zero() {
            return;
        }
        let ttl = self.cfg.cache_ttl;
        let mut map = self.lock();
        if map.len() >= self.cfg.cache_entries && !map.contains_key(url) {
            map.retain(|_, (at, _)| at.elapsed() < ttl);
        }
        if map.len() >= self.cfg.cache_entries && !map.contains_key(url) {
            // Still full: drop the oldest. A linear scan of ~1k entries
            // per insert is cheaper than probing, which fetches over HTTP.
            let oldest = map
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
        map.insert(url.to_string(), (Instant::now(), result));
    }
}
