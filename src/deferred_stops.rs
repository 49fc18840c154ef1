//! Live-session stops not done yet: a stop (the tenant's, or one the meter
//! makes) whose ledger transaction failed, kept in memory until a meter
//! tick settles it at the time the session stopped; and a stop the gateway
//! made that HeyGen did not confirm, kept until a tick's retry is.
//!
//! Only the data lives here, below `state`, so that `AppState` can hold it
//! without depending on the sessions module, which settles these stops
//! (`sessions::pending`) and must stay above `state`. The set is per
//! process: the stops HeyGen did not confirm are marked in the ledger too
//! and loaded back once a process starts ([`DeferredStops::loaded`]); the
//! ones the ledger failed to record are lost on restart (the README says
//! what happens then).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Stops kept at most. Keyed by session, so this bounds only stops the
/// ledger would not settle for that many sessions at once; past it a stop
/// is dropped, as every failed stop was before this set existed.
pub(crate) const MAX_DEFERRED: usize = 10_000;

/// A stop to settle once the ledger answers again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeferredStop {
    pub session_id: String,
    /// The session's tenant; `None` when the stop could not even read the
    /// session (only for the log).
    pub tenant: Option<String>,
    /// When the session stopped (µs): what the tenant pays up to.
    pub end_us: i64,
    /// The stop's reason (`client`, `idle`, `budget`, …).
    pub reason: String,
    /// Whether the gateway must still stop the session upstream.
    pub upstream: bool,
}

impl DeferredStop {
    /// Of two stops of one session, the one that ended it first; the
    /// session is stopped upstream if either stop asked for it (stopping
    /// an ended session again is harmless, leaving one running is not).
    fn first_of(self, other: DeferredStop) -> DeferredStop {
        let upstream = self.upstream || other.upstream;
        let first = if other.end_us < self.end_us {
            other
        } else {
            self
        };
        DeferredStop { upstream, ..first }
    }
}

/// What [`DeferredStops::defer`] did with a stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deferred {
    /// Kept: the first stop of its session waiting.
    New,
    /// Its session already had one waiting; the earlier of the two is kept.
    Merged,
    /// The set is full: the stop is not kept.
    Full,
}

/// The stops waiting, by session id (at most one per session).
#[derive(Debug, Default)]
pub(crate) struct DeferredStops {
    map: Mutex<HashMap<String, DeferredStop>>,
    /// The ledger's unconfirmed stops were loaded into `map`.
    loaded: AtomicBool,
}

impl DeferredStops {
    fn map(&self) -> MutexGuard<'_, HashMap<String, DeferredStop>> {
        // The map is consistent after every statement: a panic elsewhere
        // while it was locked leaves nothing half-done.
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `stop` until it is settled.
    pub(crate) fn defer(&self, stop: DeferredStop) -> Deferred {
        let mut map = self.map();
        if let Some(kept) = map.remove(&stop.session_id) {
            map.insert(stop.session_id.clone(), kept.first_of(stop));
            return Deferred::Merged;
        }
        if map.len() >= MAX_DEFERRED {
            return Deferred::Full;
        }
        map.insert(stop.session_id.clone(), stop);
        Deferred::New
    }

    /// The stop to settle for `stop`'s session: `stop`, or the one kept for
    /// it when that one ended the session first.
    pub(crate) fn first(&self, stop: DeferredStop) -> DeferredStop {
        match self.map().get(&stop.session_id) {
            Some(kept) => kept.clone().first_of(stop),
            None => stop,
        }
    }

    pub(crate) fn contains(&self, session_id: &str) -> bool {
        self.map().contains_key(session_id)
    }

    /// Forgets the session's stop (settled, or the session ended otherwise).
    pub(crate) fn remove(&self, session_id: &str) -> Option<DeferredStop> {
        self.map().remove(session_id)
    }

    /// Whether this process loaded the stops the ledger marks unconfirmed
    /// (once: later ones it marked itself, and keeps here too).
    pub(crate) fn loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    pub(crate) fn set_loaded(&self) {
        self.loaded.store(true, Ordering::Release);
    }

    /// Every stop waiting, oldest end first.
    pub(crate) fn all(&self) -> Vec<DeferredStop> {
        let mut all: Vec<DeferredStop> = self.map().values().cloned().collect();
        all.sort_by_key(|s| s.end_us);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop(id: &str, end_us: i64, reason: &str, upstream: bool) -> DeferredStop {
        DeferredStop {
            session_id: id.into(),
            tenant: Some("t".into()),
            end_us,
            reason: reason.into(),
            upstream,
        }
    }

    #[test]
    fn one_stop_per_session_and_the_first_end_wins() {
        let set = DeferredStops::default();
        assert_eq!(set.defer(stop("a", 30, "client", false)), Deferred::New);
        assert_eq!(set.defer(stop("a", 40, "idle", true)), Deferred::Merged);
        assert_eq!(set.all(), vec![stop("a", 30, "client", true)]);
        assert_eq!(set.defer(stop("a", 20, "ended", false)), Deferred::Merged);
        assert_eq!(set.all(), vec![stop("a", 20, "ended", true)]);
        // A later stop settles at the kept one's time; an earlier one at its own.
        assert_eq!(set.first(stop("a", 50, "client", false)).end_us, 20);
        assert_eq!(set.first(stop("a", 10, "client", false)).end_us, 10);
        assert_eq!(set.first(stop("b", 50, "client", false)).end_us, 50);
        assert!(set.contains("a") && !set.contains("b"));
        assert_eq!(set.remove("a").map(|s| s.end_us), Some(20));
        assert!(set.all().is_empty());
    }

    #[test]
    fn the_set_is_bounded() {
        let set = DeferredStops::default();
        for i in 0..MAX_DEFERRED {
            assert_eq!(
                set.defer(stop(&i.to_string(), 1, "client", false)),
                Deferred::New
            );
        }
        assert_eq!(
            set.defer(stop("one more", 1, "client", false)),
            Deferred::Full
        );
        // A session already waiting still merges.
        assert_eq!(set.defer(stop("0", 0, "client", false)), Deferred::Merged);
        assert_eq!(set.all().len(), MAX_DEFERRED);
    }
}
