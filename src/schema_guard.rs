//! What a running process does once a newer heygen-gateway migrated the
//! ledger past this build: a rolling upgrade where old replicas keep running
//! beside new ones on one PostgreSQL ledger, or a newer CLI run on the same
//! SQLite file. The ledger reports the versions
//! ([`crate::ledger::SchemaVersions`]); the policy is here.
//!
//! Opening such a ledger is refused outright (`ledger::open_ledger`). A
//! process that opened it before cannot stop by itself without dropping
//! work in flight, so it steps aside instead: the error is logged once with
//! both versions and what to do, `heygen_gateway_ledger_schema_behind`
//! goes to 1 and a `ledger_schema_behind` alert is raised (once, from
//! memory: the outbox is in the ledger the newer build now owns), `/readyz`
//! answers 503 (the orchestrator takes the replica out of service), new
//! holds are refused with the 503 an unavailable ledger gets, before their
//! idempotency key is claimed, and the background work that writes money
//! (expiry, the settlement poller, the session meter) stops, because the
//! newer replicas do it under the rules the ledger now follows; session
//! stops this replica already took are still settled (the newer replicas
//! do not know them). What still reaches the replica before it is taken
//! out of service is served: reads, and the writes that finish work already
//! admitted — a status read or webhook settling a job, a client's session
//! stop, an admin adjustment.
//!
//! A ledger is never downgraded, so once behind is for good: a one-way latch.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::alerts::Alerts;
use crate::ledger::{Ledger, LedgerError, SchemaVersion};
use crate::metrics::Metrics;

/// Longest time a running replica takes to notice a newer migration: one
/// indexed read per period is nothing next to the gauge tick's reads.
const MAX_PERIOD: Duration = Duration::from_secs(30);

/// How often to read the ledger's version: every `gauge_interval` when that
/// is shorter than [`MAX_PERIOD`] (tests set one second), else every
/// [`MAX_PERIOD`] — no knob of its own.
pub(crate) fn period(gauge_interval: Duration) -> Duration {
    gauge_interval.min(MAX_PERIOD)
}

/// Whether this process is behind its ledger's schema, and who is told.
#[derive(Debug)]
pub struct SchemaGuard {
    /// The versions seen the first time the ledger was newer than this build.
    behind: OnceLock<SchemaVersion>,
    metrics: Metrics,
    alerts: Arc<Alerts>,
}

// === impl SchemaGuard ===

impl SchemaGuard {
    /// A guard that reports the versions on `metrics` (this build's from
    /// now, the ledger's from the first read) and raises its one alert
    /// through `alerts`.
    pub fn new(metrics: Metrics, alerts: Arc<Alerts>) -> SchemaGuard {
        metrics.set_ledger_schema(0, SchemaVersion::KNOWN);
        metrics.set_ledger_schema_behind(false);
        SchemaGuard {
            behind: OnceLock::new(),
            metrics,
            alerts,
        }
    }

    /// Reads the ledger's version and records it. A failed read changes
    /// nothing: the ledger's other operations fail too and report it.
    pub async fn check(&self, ledger: &dyn Ledger) {
        match ledger.schema_version().await {
            Ok(v) => self.observe(v),
            Err(e) => tracing::debug!(error = %e, "Reading the ledger's schema version failed."),
        }
    }

    /// Records `v`; the first time the ledger is newer than this build,
    /// latches, logs the error that tells ops what to do, sets the gauge
    /// and raises the alert — each once, since the latch is set once.
    pub fn observe(&self, v: SchemaVersion) {
        self.metrics.set_ledger_schema(v.found, v.known);
        if !v.is_newer() || self.behind.set(v).is_err() {
            return;
        }
        self.metrics.set_ledger_schema_behind(true);
        self.alerts.ledger_schema_behind(v.found, v.known);
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
#[allow(clippy::unwrap_used)]
mod tests;
