//! Everything a verification reads, as plain rows.

use crate::ledger::decide::Counter;
use crate::ledger::rows::{CounterKey, HoldRow, JobRow};
use crate::ledger::types::JournalEntry;

/// One consistent read of the ledger's tables.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    pub holds: Vec<HoldRow>,
    pub jobs: Vec<JobRow>,
    /// In sequence order.
    pub journal: Vec<JournalEntry>,
    pub counters: Vec<(CounterKey, Counter)>,
    pub idempotency: Vec<IdemRow>,
    pub resources: Vec<ResourceRow>,
    /// Adjustments journaled at or before this seq wrote `spent`, later
    /// ones `granted` (ledger migration 5).
    pub grants_from_seq: i64,
}

/// An idempotency key and its stored headers (`None` until completed).
#[derive(Debug, Clone)]
pub(crate) struct IdemRow {
    pub tenant: String,
    pub key: String,
    pub state: String,
    pub headers: Option<String>,
}

/// An owned resource (only its id is checked: jobs must have one).
#[derive(Debug, Clone)]
pub(crate) struct ResourceRow {
    pub resource_id: String,
}
