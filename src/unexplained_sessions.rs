//! Sessions in HeyGen's streaming list that no token or session start of
//! the gateway explains: no waiting token could have started them and the
//! ledger knows them in no state. Some are the org's own (its web app, a
//! script with the org key); others run on a tenant's token past its wait
//! (a token reused for a second session, or used after it was released),
//! or come from a start whose answer was lost. None is metered, so each is
//! logged and counted once (`sessions::tokens`), after a grace that lets a
//! start in flight be answered and registered first.
//!
//! Only the data lives here, below `state`, as with `unregistered_sessions`;
//! the sessions module acts on it. Per process and lost on restart: after a
//! restart a session still listed is counted again.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Sessions remembered at most; HeyGen's own concurrency limits keep a
/// real list far shorter. Past it a new session is not counted.
const MAX_KEPT: usize = 10_000;

/// Since when each unexplained session has been listed, and whether it
/// was counted.
#[derive(Debug, Default)]
pub(crate) struct UnexplainedSessions {
    inner: Mutex<HashMap<String, Seen>>,
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    first_us: i64,
    counted: bool,
}

impl UnexplainedSessions {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Seen>> {
        // Every statement leaves the map consistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes `session_id` listed unexplained at `now_us`; `true` exactly
    /// once per session: the first time it has been unexplained for at
    /// least `grace_us`.
    pub(crate) fn count_once(&self, session_id: &str, now_us: i64, grace_us: i64) -> bool {
        let mut map = self.lock();
        if !map.contains_key(session_id) && map.len() >= MAX_KEPT {
            return false;
        }
        let seen = map.entry(session_id.to_string()).or_insert(Seen {
            first_us: now_us,
            counted: false,
        });
        if seen.counted || now_us.saturating_sub(seen.first_us) < grace_us {
            return false;
        }
        seen.counted = true;
        true
    }

    /// Keeps only `still`, the sessions found unexplained by this look at
    /// the list: one gone from it, or explained since, is forgotten.
    pub(crate) fn keep_only(&self, still: &HashSet<&str>) {
        self.lock().retain(|id, _| still.contains(id.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_counted_once_after_the_grace() {
        let set = UnexplainedSessions::default();
        assert!(!set.count_once("s", 0, 10), "a start may be in flight");
        assert!(!set.count_once("s", 9, 10));
        assert!(set.count_once("s", 10, 10), "still unexplained");
        assert!(!set.count_once("s", 20, 10), "counted once");
        set.keep_only(&HashSet::from(["s"]));
        assert!(!set.count_once("s", 30, 10), "still counted");
        set.keep_only(&HashSet::new());
        assert!(!set.count_once("s", 40, 10), "gone, then seen anew");
        assert!(set.count_once("s", 50, 10));
    }
}
