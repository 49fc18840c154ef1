//! A bounded map of look-up answers with a TTL: answers live [`super::TTL`],
//! failures [`super::NEGATIVE_TTL`]; when full, expired entries go first,
//! then the oldest. Concurrent misses of one id may both read (no
//! single-flight): a look-up is cheap and idempotent.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Instant;

pub(super) struct Cache<T> {
    capacity: usize,
    map: Mutex<HashMap<String, (Instant, Option<T>)>>,
}

impl<T: Clone> Cache<T> {
    pub(super) fn new(capacity: usize) -> Self {
        Cache {
            capacity,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn lookup(&self, id: &str, now: Instant) -> Option<Option<T>> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(id)
            .filter(|(expires, _)| *expires > now)
            .map(|(_, v)| v.clone())
    }

    fn store(&self, id: &str, now: Instant, value: Option<T>) {
        let ttl = if value.is_some() {
            super::TTL
        } else {
            super::NEGATIVE_TTL
        };
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= self.capacity && !map.contains_key(id) {
            map.retain(|_, (expires, _)| *expires > now);
            if map.len() >= self.capacity {
                if let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, (expires, _))| *expires)
                    .map(|(k, _)| k.clone())
                {
                    map.remove(&oldest);
                }
            }
        }
        map.insert(id.to_string(), (now + ttl, value));
    }

    /// The cached answer for `id`, else `read()`'s (then cached).
    pub(super) async fn get_or_read<F, Fut>(&self, id: &str, now: Instant, read: F) -> Option<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        if let Some(hit) = self.lookup(id, now) {
            return hit;
        }
        let value = read().await;
        self.store(id, now, value.clone());
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn answers_are_kept_failures_briefly_and_the_map_stays_bounded() {
        let c: Cache<u32> = Cache::new(2);
        let t0 = Instant::now();
        assert_eq!(c.get_or_read("a", t0, || async { Some(1) }).await, Some(1));
        // Cached: the reader is not called again.
        assert_eq!(c.get_or_read("a", t0, || async { Some(9) }).await, Some(1));
        assert_eq!(c.get_or_read("b", t0, || async { None }).await, None);
        assert_eq!(c.get_or_read("b", t0, || async { Some(2) }).await, None);
        let later = t0 + super::super::NEGATIVE_TTL + Duration::from_secs(1);
        assert_eq!(
            c.get_or_read("b", later, || async { Some(2) }).await,
            Some(2)
        );
        c.store("c", later, Some(3));
        assert!(c.map.lock().unwrap().len() <= 2);
        let expired = t0 + super::super::TTL + Duration::from_secs(1);
        assert_eq!(
            c.get_or_read("a", expired, || async { Some(7) }).await,
            Some(7)
        );
    }
}
