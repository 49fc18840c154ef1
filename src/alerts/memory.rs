//! Alerts kept in memory because the ledger cannot be trusted to carry
//! them: `ledger_error` (the ledger may be what failed) and
//! `ledger_schema_behind` (a newer build migrated it, so this build's
//! writes to its outbox may no longer mean what the newer replicas read).
//! Deduplicated per slot and period in this process (one `ledger_error`
//! per outage and per hour it lasts, whichever operation failed first; the
//! schema latch once), retried with the same backoff as the
//! outbox, bounded in number. The limit, as the README says: a crash loses
//! the queue, and each replica sends its own.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::format::Alert;

/// Alerts held at once; past it the oldest is dropped (with a log line), so
/// a ledger flapping for days cannot grow the queue without bound.
const MAX_QUEUED: usize = 64;

/// One in-memory alert for one webhook.
#[derive(Debug, Clone)]
pub(crate) struct MemAlert {
    /// The `event` label its outcomes are counted under.
    pub(crate) event: &'static str,
    pub(crate) key: String,
    pub(crate) webhook: String,
    pub(crate) payload: String,
    pub(crate) attempts: u32,
    pub(crate) next_at: DateTime<Utc>,
    pub(crate) created_at: DateTime<Utc>,
}

#[derive(Default)]
pub(crate) struct Memory {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The period (the alert's, or none) each slot last raised one in.
    last: HashMap<String, String>,
    /// When each slot was last offered an alert, raised or not.
    offered: HashMap<String, DateTime<Utc>>,
    queue: VecDeque<MemAlert>,
}

// === impl Memory ===

impl Memory {
    /// Queues `alert` for `webhooks` unless `slot` (a ledger operation, or
    /// an event raised once per process) already raised one in the alert's
    /// period; returns how many were queued.
    pub(crate) fn offer(
        &self,
        slot: &str,
        alert: &Alert,
        webhooks: &[String],
        now: DateTime<Utc>,
    ) -> u32 {
        let hour = alert.period.clone().unwrap_or_default();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.offered.insert(slot.to_string(), now);
        if inner.last.get(slot) == Some(&hour) {
            return 0;
        }
        inner.last.insert(slot.to_string(), hour);
        let payload = alert.to_json().to_string();
        for webhook in webhooks {
            if inner.queue.len() >= MAX_QUEUED {
                if let Some(dropped) = inner.queue.pop_front() {
                    tracing::warn!(key = %dropped.key, webhook = %dropped.webhook,
                        "Too many in-memory alerts waiting; dropped the oldest.");
                }
            }
            inner.queue.push_back(MemAlert {
                event: alert.event_str(),
                key: alert.key.clone(),
                webhook: webhook.clone(),
                payload: payload.clone(),
                attempts: 0,
                next_at: now,
                created_at: now,
            });
        }
        u32::try_from(webhooks.len()).unwrap_or(u32::MAX)
    }

    /// Forgets what `slot` raised, so its next alert goes out even within
    /// the same period (a new outage after a recovery is news), once the
    /// slot has been offered nothing since `quiet_since`: a ledger that
    /// reads but keeps failing writes is one outage, not one per check.
    pub(crate) fn rearm(&self, slot: &str, quiet_since: DateTime<Utc>) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.offered.get(slot).is_some_and(|at| *at >= quiet_since) {
            return false;
        }
        inner.last.remove(slot).is_some()
    }

    /// Takes the alerts due at `now` out of the queue.
    pub(crate) fn take_due(&self, now: DateTime<Utc>) -> Vec<MemAlert> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (due, wait): (Vec<MemAlert>, Vec<MemAlert>) =
            inner.queue.drain(..).partition(|a| a.next_at <= now);
        inner.queue = wait.into();
        due
    }

    /// Puts back an alert that failed and will be retried.
    pub(crate) fn put_back(&self, alert: MemAlert) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.queue.len() < MAX_QUEUED {
            inner.queue.push_back(alert);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::AlertEvent;

    #[test]
    fn one_alert_per_op_per_hour() {
        let m = Memory::default();
        let now = Utc::now();
        let alert = |hour: &str| Alert {
            event: Some(AlertEvent::LedgerError),
            key: format!("ledger_error:hold:{hour}"),
            period: Some(hour.to_string()),
            ..Alert::default()
        };
        let hooks = vec!["a".to_string(), "b".to_string()];
        assert_eq!(m.offer("hold", &alert("h1"), &hooks, now), 2);
        assert_eq!(m.offer("hold", &alert("h1"), &hooks, now), 0);
        assert_eq!(m.offer("usage", &alert("h1"), &hooks, now), 2);
        assert_eq!(m.offer("hold", &alert("h2"), &hooks, now), 2);
        assert_eq!(m.take_due(now).len(), 6);
        assert!(m.take_due(now).is_empty());
        // Not while offers keep coming; re-armed after a quiet spell, the
        // same period raises again.
        assert!(!m.rearm("hold", now), "offered at `now`: not quiet");
        let later = now + chrono::Duration::seconds(30);
        assert!(m.rearm("hold", later));
        assert!(!m.rearm("hold", later), "nothing to re-arm twice");
        assert_eq!(m.offer("hold", &alert("h2"), &hooks, later), 2);
    }
}
