//! What a running process does once a newer heygen-gateway migrated the
//! ledger past this build: a rolling upgrade where old replicas keep running
//! beside new ones on one PostgreSQL ledger, or a newer CLI run on the same
//! SQLite file. The ledger reports the versions
//! ([`crate::ledger::SchemaVersions`]); the policy is here.
//!
//! Opening such a ledger is refused outright (`ledger::open_ledger`). A
//! process that opened it before cannot stop by itself without dropping
//! work in flight, so it steps aside instead: the error is logged once with
//! both versions and what to do, `/readyz` answers 503 (the orchestrator
//! takes the replica out of service), new holds are refused with the 503 an
//! unavailable ledger gets, and the background work that writes money
//! (expiry, the settlement poller, the session meter) stops, because the
//! newer replicas do it under the rules the ledger now follows; session
//! stops this replica already took are still settled (the newer replicas
//! do not know them). What still reaches the replica before it is taken
//! out of service is served: reads, and the writes that finish work already
//! admitted — a status read or webhook settling a job, a client's session
//! stop, an admin adjustment.
//!
//! A ledger is never downgraded, so once behind is for good: a one-way latch.

use std::sync::OnceLock;
use std::time::Duration;

use crate::ledger::{Ledger, LedgerError, SchemaVersion};

/// Longest time a running replica takes to notice a newer migration: one
/// indexed read per period is nothing next to the gauge tick's reads.
const MAX_PERIOD: Duration = Duration::from_secs(30);

/// How often to read the ledger's version: every `gauge_interval` when that
/// is shorter than [`MAX_PERIOD`] (tests set one second), else every
/// [`MAX_PERIOD`] — no knob of its own.
pub(crate) fn period(gauge_interval: Duration) -> Duration {
    gauge_interval.min(MAX_PERIOD)
}

/// Whether this process is behind its ledger's schema.
#[derive(Debug, Default)]
pub struct SchemaGuard {
    /// The versions seen the first time the ledger was newer than this build.
    behind: OnceLock<SchemaVersion>,
}

impl SchemaGuard {
    pub fn new() -> SchemaGuard {
        SchemaGuard::default()
    }

    /// Reads the ledger's version and records it. A failed read changes
    /// nothing: the ledger's other operations fail too and report it.
    pub async fn check(&self, ledger: &dyn Ledger) {
        match ledger.schema_version().await {
            Ok(v) => self.observe(v),
            Err(e) => tracing::debug!(error = %e, "Reading the ledger's schema version failed."),
        }
    }

    /// Records `v`; the first time the ledger is newer than this build, logs
    /// the error that tells ops what to do.
    pub fn observe(&self, v: SchemaVersion) {
        if !v.is_newer() || self.behind.set(v).is_err() {
            return;
        }
        tracing::error!(
            found = v.found,
            known = v.known,
            "The ledger's schema is version {} but this build knows {}: a newer heygen-gateway \
             migrated it while this one ran. This replica now reports not ready and refuses \
             billable requests; replace it with the newer version (downgrading is not supported).",
            v.found,
            v.known
        );
    }

    /// A newer build migrated the ledger since this process opened it.
    pub fn is_behind(&self) -> bool {
        self.behind.get().is_some()
    }

    /// `Err` for a new billable admission once behind: the refusal an
    /// unavailable ledger gets (503 in HeyGen's envelope), naming both
    /// versions in the log line.
    pub fn admit(&self) -> Result<(), LedgerError> {
        match self.behind.get() {
            Some(v) => v.refuse_newer().map(drop),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ledger at `found` seen by a build that knows 10 migrations.
    fn version(found: u32) -> SchemaVersion {
        SchemaVersion { found, known: 10 }
    }

    #[test]
    fn only_a_newer_ledger_latches_and_for_good() {
        let g = SchemaGuard::new();
        g.observe(version(10));
        g.observe(version(3));
        assert!(!g.is_behind());
        assert!(g.admit().is_ok());
        g.observe(version(11));
        // An older reading later (it cannot happen) does not undo it.
        g.observe(version(10));
        assert!(g.is_behind());
        let refused = g.admit().unwrap_err();
        assert!(matches!(
            refused,
            LedgerError::SchemaTooNew {
                found: 11,
                known: 10
            }
        ));
    }

    #[test]
    fn the_period_is_the_gauge_interval_up_to_thirty_seconds() {
        assert_eq!(period(Duration::from_secs(1)), Duration::from_secs(1));
        assert_eq!(period(Duration::from_secs(15)), Duration::from_secs(15));
        assert_eq!(period(Duration::from_secs(300)), MAX_PERIOD);
    }
}
