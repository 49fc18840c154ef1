//! Ledger schema families: whether this replica is behind its ledger's
//! schema (a newer heygen-gateway migrated it while this one ran), with the
//! two versions compared, so on-call sees a stuck rolling upgrade, or a
//! newer CLI run against a shared ledger, without reading logs. Set by the
//! schema guard.

use prometheus::IntGauge;

use super::reg::Reg;
use super::Metrics;

pub(super) struct SchemaFamilies {
    behind: IntGauge,
    found: IntGauge,
    known: IntGauge,
}

impl SchemaFamilies {
    pub(super) fn register(r: &Reg<'_>) -> Result<SchemaFamilies, prometheus::Error> {
        Ok(SchemaFamilies {
            // A 0/1 gauge rather than comparing the two versions in PromQL:
            // it is exactly the state the replica acts on (the latch), and
            // it stays 1 even when a version read fails afterwards.
            behind: r.int_gauge(
                "heygen_gateway_ledger_schema_behind",
                "1 once a newer heygen-gateway migrated the ledger past this build's schema \
                 (for good: the replica reports not ready and refuses billable requests until \
                 it is replaced); 0 otherwise.",
            )?,
            found: r.int_gauge(
                "heygen_gateway_ledger_schema_version",
                "The ledger's schema version as this replica last read it (every 30 s at most; \
                 0 before the first read).",
            )?,
            known: r.int_gauge(
                "heygen_gateway_ledger_schema_known_version",
                "The newest ledger schema version this build knows (it migrates the ledger to \
                 this at start).",
            )?,
        })
    }
}

// === impl Metrics (schema) ===

impl Metrics {
    /// Sets the ledger's schema version as just read, and the newest one
    /// this build knows.
    pub fn set_ledger_schema(&self, found: u32, known: u32) {
        let s = &self.inner.schema;
        s.found.set(i64::from(found));
        s.known.set(i64::from(known));
    }

    /// Marks this replica as behind its ledger's schema (1) or not (0).
    pub fn set_ledger_schema_behind(&self, behind: bool) {
        self.inner.schema.behind.set(i64::from(behind));
    }
}
