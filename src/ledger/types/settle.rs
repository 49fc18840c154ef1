//! What settling moves: the states a hold passes through, the job recorded
//! under it, how the job ended, and the settlement or expiry that followed.
//! Kept apart from the hold request and the stored rows because these are
//! the results of the settlement path.

use chrono::{DateTime, Utc};

use super::JobItem;
use crate::money::Micros;

/// States of a hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HoldState {
    Held,
    Submitted,
    Captured,
    Released,
    /// Never settled within its TTL: captured at the held amount.
    Expired,
}

impl HoldState {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldState::Held => "held",
            HoldState::Submitted => "submitted",
            HoldState::Captured => "captured",
            HoldState::Released => "released",
            HoldState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<HoldState> {
        [
            HoldState::Held,
            HoldState::Submitted,
            HoldState::Captured,
            HoldState::Released,
            HoldState::Expired,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    /// Still counted in `held` and in renders in flight.
    pub fn is_open(self) -> bool {
        matches!(self, HoldState::Held | HoldState::Submitted)
    }
}

/// One upstream job created under a hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    /// HeyGen's id (`video_id`, `video_translate_id`, session id, ...).
    pub job_id: String,
    pub feature: String,
    /// Path whose GET returns this job's status (for the poller).
    pub status_path: String,
    /// This job's share of the hold.
    pub held: Micros,
    /// A v3 batch job's items in submission order (HeyGen's `item_index`),
    /// each with its own feature and projection; empty for any other job.
    pub items: Vec<JobItem>,
}

/// How an upstream job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobSettlement {
    /// Done; `cost` is the actual cost (duration rounded by the price book).
    Completed { cost: Micros },
    /// Failed upstream: HeyGen charges nothing.
    Failed,
}

/// What a settlement moved, for metrics and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub hold_id: String,
    pub tenant: String,
    pub feature: String,
    /// Moved into `spent`.
    pub captured: Micros,
    /// Held but not needed, freed.
    pub released: Micros,
    /// Captured beyond the held share.
    pub overage: Micros,
    /// State of the hold after this settlement.
    pub hold_state: HoldState,
}

/// Outcome of [`crate::ledger::Ledger::settle_job`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettleResult {
    Settled(Settlement),
    /// Redelivery or repeated status read: nothing changed.
    AlreadySettled,
    /// Not a job of this gateway (or not recorded yet).
    UnknownJob,
}

/// A hold captured by [`crate::ledger::Ledger::expire_holds`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredHold {
    pub hold_id: String,
    pub tenant: String,
    pub feature: String,
    /// Amount moved from held to spent at expiry.
    pub captured: Micros,
    pub created_at: DateTime<Utc>,
    pub job_ids: Vec<String>,
}
