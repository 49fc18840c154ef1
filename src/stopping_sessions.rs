//! Sessions a client's stop is in flight for. HeyGen may take a session
//! off its streaming list before it answers the stop; the meter, reading
//! that list meanwhile, would end the session as `ended` at its own tick
//! instead of the client's stop ending it, as `client`, at the stop's time.
//! While a stop is in flight the meter leaves the session to it; if HeyGen
//! refuses the stop, the guard is gone by the next tick and the list rules
//! again.
//!
//! Only the data lives here, below `state`, as with `unexplained_sessions`;
//! the sessions module acts on it. Per process: a stop sent through
//! another replica is not seen here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// How many stops are in flight per session id.
#[derive(Debug, Default, Clone)]
pub(crate) struct StoppingSessions {
    inner: Arc<Mutex<HashMap<String, usize>>>,
}

impl StoppingSessions {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, usize>> {
        // Every statement leaves the map consistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes a stop of `ids` in flight until the guard is dropped (after
    /// HeyGen answered and the answer was acted on, or the call failed).
    pub(crate) fn begin(&self, ids: &[String]) -> StopInFlight {
        let mut map = self.lock();
        for id in ids {
            *map.entry(id.clone()).or_insert(0) += 1;
        }
        StopInFlight {
            set: self.clone(),
            ids: ids.to_vec(),
        }
    }

    /// Whether a stop of `id` is in flight.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.lock().contains_key(id)
    }
}

/// A stop in flight; dropping it ends that.
#[derive(Debug)]
#[must_use = "the stop counts as in flight only while this lives"]
pub(crate) struct StopInFlight {
    set: StoppingSessions,
    ids: Vec<String>,
}

impl Drop for StopInFlight {
    fn drop(&mut self) {
        let mut map = self.set.lock();
        for id in &self.ids {
            if let Some(n) = map.get_mut(id) {
                *n -= 1;
                if *n == 0 {
                    map.remove(id);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_stopping_while_any_of_its_stops_is_in_flight() {
        let set = StoppingSessions::default();
        let ids = vec!["a".to_string(), "b".to_string()];
        let first = set.begin(&ids);
        let second = set.begin(&ids[..1]);
        assert!(set.contains("a") && set.contains("b") && !set.contains("c"));
        drop(first);
        assert!(set.contains("a") && !set.contains("b"));
        drop(second);
        assert!(!set.contains("a"));
        assert!(set.lock().is_empty(), "nothing is kept");
    }
}
