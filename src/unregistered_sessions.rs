//! Live sessions HeyGen (or LiveAvatar) accepted but the ledger would not
//! register (PostgreSQL restarting, SQLite busy): the gateway could not
//! meter them, so it stopped them at once and failed their start. They are
//! remembered here, in memory, for three things: a stop HeyGen did not
//! answer is sent again each meter tick; HeyGen's streaming list watcher
//! binds none of them to a waiting token (another tenant would pay for a
//! session that was stopped); and a v3 retry of the start with the same
//! `Idempotency-Key`, which HeyGen answers with that same stopped session,
//! is refused instead of metering a session that no longer runs. Sessions
//! whose registration is still under way are here too, so the watcher
//! binds none of those either while the ledger is being asked.
//!
//! Only the data lives here, below `state`, as with `deferred_stops`; the
//! sessions module acts on it. The set is per process and lost on restart.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::ledger::SessionRow;
use crate::money::Micros;

/// Sessions kept at most; past it a stopped session is not remembered (its
/// stop was still sent once, and its start still failed).
pub(crate) const MAX_KEPT: usize = 10_000;

/// How long a session is remembered after it was stopped: HeyGen replays a
/// v3 key's answer for 24 h, so a retry within that time names it again.
pub(crate) const KEEP_US: i64 = 24 * 3600 * 1_000_000;

/// A session the gateway stopped because it could not register it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unregistered {
    /// The row the ledger would not take: whose, which kind (how it is
    /// stopped), its rate and start.
    pub row: SessionRow,
    /// What its first minute's hold is settled at.
    pub owed: Micros,
    /// When the gateway stopped it (µs).
    pub at_us: i64,
    /// Whether HeyGen answered the stop; until it does, each tick resends it.
    pub stopped: bool,
}

/// The sessions not registered: stopped, or being registered.
#[derive(Debug, Default)]
pub(crate) struct UnregisteredSessions {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Stopped unregistered, by session id.
    stopped: HashMap<String, Unregistered>,
    /// HeyGen named them; the ledger is being asked to register them.
    starting: HashSet<String>,
}

impl UnregisteredSessions {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every statement leaves the sets consistent: a panic elsewhere
        // while they were locked leaves nothing half-done.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The ledger is about to be asked to register `session_id`.
    pub(crate) fn starting(&self, session_id: &str) {
        self.lock().starting.insert(session_id.to_string());
    }

    /// Its registration is over: registered, or kept here as stopped.
    pub(crate) fn started(&self, session_id: &str) {
        self.lock().starting.remove(session_id);
    }

    /// Remembers `s` as stopped; `false` when the set is full (entries past
    /// [`KEEP_US`] are dropped first).
    pub(crate) fn keep(&self, s: Unregistered) -> bool {
        let map = &mut self.lock().stopped;
        if map.len() >= MAX_KEPT && !map.contains_key(&s.row.session_id) {
            let since = s.at_us.saturating_sub(KEEP_US);
            map.retain(|_, kept| kept.at_us >= since || !kept.stopped);
            if map.len() >= MAX_KEPT {
                return false;
            }
        }
        map.insert(s.row.session_id.clone(), s);
        true
    }

    /// The session, if the gateway stopped it unregistered.
    pub(crate) fn get(&self, session_id: &str) -> Option<Unregistered> {
        self.lock().stopped.get(session_id).cloned()
    }

    /// Whether the session is stopped unregistered or being registered.
    pub(crate) fn contains(&self, session_id: &str) -> bool {
        let inner = self.lock();
        inner.stopped.contains_key(session_id) || inner.starting.contains(session_id)
    }

    /// The sessions whose stop HeyGen has not answered yet.
    pub(crate) fn to_stop(&self) -> Vec<Unregistered> {
        let inner = self.lock();
        let mut out: Vec<Unregistered> = inner
            .stopped
            .values()
            .filter(|s| !s.stopped)
            .cloned()
            .collect();
        out.sort_by_key(|s| s.at_us);
        out
    }

    /// HeyGen answered the session's stop.
    pub(crate) fn stopped(&self, session_id: &str) {
        if let Some(s) = self.lock().stopped.get_mut(session_id) {
            s.stopped = true;
        }
    }

    /// Forgets sessions stopped (and answered) before `before_us`: a retry
    /// can no longer be answered with them.
    pub(crate) fn forget_before(&self, before_us: i64) {
        self.lock()
            .stopped
            .retain(|_, s| s.at_us >= before_us || !s.stopped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str, at_us: i64, stopped: bool) -> Unregistered {
        let row = SessionRow {
            session_id: id.into(),
            tenant: "t".into(),
            feature: "avatar_realtime".into(),
            kind: "realtime".into(),
            rate: 3_000_000,
            idle_s: 60,
            started_us: at_us,
            last_activity_us: at_us,
            hold_id: format!("hold_{id}"),
            slot_us: at_us,
            minutes: 1,
            captured: 0,
            state: "live".into(),
            stop_reason: None,
            stopped_us: None,
            next_hold_id: None,
        };
        Unregistered {
            row,
            owed: 50_000,
            at_us,
            stopped,
        }
    }

    #[test]
    fn stops_not_answered_are_resent_until_answered() {
        let set = UnregisteredSessions::default();
        assert!(set.keep(session("a", 2, false)));
        assert!(set.keep(session("b", 1, true)));
        assert!(set.contains("a") && set.contains("b") && !set.contains("c"));
        let ids =
            |v: Vec<Unregistered>| v.into_iter().map(|s| s.row.session_id).collect::<Vec<_>>();
        assert_eq!(ids(set.to_stop()), ["a"]);
        set.stopped("a");
        assert!(set.to_stop().is_empty());
        assert_eq!(set.get("a").map(|s| s.owed), Some(50_000));
    }

    #[test]
    fn sessions_being_registered_count_until_registered() {
        let set = UnregisteredSessions::default();
        set.starting("s");
        assert!(set.contains("s"), "the watcher must not bind it meanwhile");
        assert!(set.get("s").is_none(), "not stopped");
        set.started("s");
        assert!(!set.contains("s"));
        set.starting("t");
        assert!(set.keep(session("t", 1, true)));
        set.started("t");
        assert!(set.contains("t"), "stopped unregistered stays");
    }

    #[test]
    fn answered_sessions_are_forgotten_after_a_day_and_the_set_is_bounded() {
        let set = UnregisteredSessions::default();
        set.keep(session("old", 0, true));
        set.keep(session("unanswered", 0, false));
        set.forget_before(1);
        assert!(!set.contains("old"), "answered and past the replay window");
        assert!(set.contains("unanswered"), "its stop is still to send");
        for i in 1..MAX_KEPT {
            assert!(set.keep(session(&i.to_string(), 5, true)));
        }
        assert!(!set.keep(session("one more", 5, true)), "full");
        // A day later the oldest answered ones make room.
        assert!(set.keep(session("later", 5 + KEEP_US + 1, true)));
        assert!(set.contains("unanswered"));
    }
}
