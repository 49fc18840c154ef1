//! Per-key exponential backoff for the settlement poller: a job (or a
//! Video Agent session) polled without result waits the poll interval
//! times 2^attempts (capped) before its next poll, so work stuck upstream
//! costs few requests while new work is polled at once.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::time::Instant;

/// Longest wait between polls of one key.
const MAX_BACKOFF: Duration = Duration::from_secs(30 * 60);

#[derive(Default)]
pub(super) struct Backoff {
    next: HashMap<String, (u32, Instant)>,
}

impl Backoff {
    /// Forgets keys no longer pending.
    pub(super) fn keep_only(&mut self, live: &HashSet<&str>) {
        self.next.retain(|key, _| live.contains(key.as_str()));
    }

    /// Whether `key` may be polled now.
    pub(super) fn due(&self, key: &str) -> bool {
        self.next
            .get(key)
            .is_none_or(|(_, at)| *at <= Instant::now())
    }

    /// Records a poll of `key`: one that moved it on is polled again at
    /// once, one that did not waits longer each time.
    pub(super) fn record(&mut self, key: String, progressed: bool, interval: Duration) {
        if progressed {
            self.next.remove(&key);
            return;
        }
        let attempts = self.next.get(&key).map_or(0, |(a, _)| *a) + 1;
        let wait = interval
            .saturating_mul(1 << attempts.min(6))
            .min(MAX_BACKOFF);
        self.next.insert(key, (attempts, Instant::now() + wait));
    }
}
