//! Holds, jobs and journal entries as the backends store and list them,
//! with the filter of `list_holds`. The read side of the ledger API, kept
//! apart from the write-path request and settlement types.

use chrono::{DateTime, Utc};

use super::{HoldState, JobItem, Scope};
use crate::money::Micros;

/// Filter of [`crate::ledger::Ledger::list_holds`]; newest first unless
/// `oldest_first`.
#[derive(Debug, Clone, Default)]
pub struct HoldFilter {
    pub state: Option<HoldState>,
    pub tenant: Option<String>,
    pub limit: u32,
    /// Oldest first (the holds that need a look) instead of newest first.
    pub oldest_first: bool,
}

/// A hold as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldInfo {
    pub hold_id: String,
    pub tenant: String,
    pub feature: String,
    pub route: String,
    /// Amount taken at hold time.
    pub amount: Micros,
    /// Still counted in `held`.
    pub held: Micros,
    /// Counted in `spent` so far.
    pub captured: Micros,
    pub state: HoldState,
    pub render: bool,
    pub price_version: String,
    pub request_id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
}

/// A submitted job nobody has settled yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingJob {
    pub job_id: String,
    pub hold_id: String,
    pub tenant: String,
    pub feature: String,
    pub status_path: String,
    pub submitted_at: DateTime<Utc>,
}

/// One upstream job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    pub job_id: String,
    pub hold_id: String,
    pub tenant: String,
    pub feature: String,
    pub status_path: String,
    /// This job's share of the hold.
    pub held: Micros,
    /// Not settled by its outcome yet: pending, or expired (captured at
    /// its hold when the TTL passed, to be corrected when it finishes).
    pub pending: bool,
    /// A v3 batch job's items as submitted (`JobRecord::items`); empty
    /// for other jobs and for batches recorded before migration 14.
    pub items: Vec<JobItem>,
}

/// Kinds of journal entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JournalKind {
    Hold,
    Submit,
    Capture,
    Release,
    Expire,
    Adjust,
    /// Ops assigned resources to a tenant (amount 0; ids in `upstream_ids`).
    Assign,
}

impl JournalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JournalKind::Hold => "hold",
            JournalKind::Submit => "submit",
            JournalKind::Capture => "capture",
            JournalKind::Release => "release",
            JournalKind::Expire => "expire",
            JournalKind::Adjust => "adjust",
            JournalKind::Assign => "assign",
        }
    }

    /// Every kind, in lifecycle order.
    pub const ALL: [JournalKind; 7] = [
        JournalKind::Hold,
        JournalKind::Submit,
        JournalKind::Capture,
        JournalKind::Release,
        JournalKind::Expire,
        JournalKind::Adjust,
        JournalKind::Assign,
    ];

    pub fn parse(s: &str) -> Option<JournalKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One append-only journal row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub kind: JournalKind,
    pub hold_id: Option<String>,
    pub scope: Scope,
    pub tenant: Option<String>,
    pub feature: Option<String>,
    /// hold: held; capture/expire: captured; release: freed;
    /// adjust: the grant (+) or debit (-); submit: 0.
    pub amount: Micros,
    pub price_version: Option<String>,
    pub request_id: Option<String>,
    pub upstream_ids: Vec<String>,
    pub actor: Option<String>,
    pub reason: Option<String>,
}
