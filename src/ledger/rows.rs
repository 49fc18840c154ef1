//! Stored row shapes shared by the backends, and conversions between stored
//! integers (microseconds since the epoch) and timestamps.
//!
//! This file holds the row types and the stored-value parsers; reading rows
//! (`RowAccess`, the column lists and their mappers) is in `rows/columns.rs`,
//! re-exported here.

mod columns;

use chrono::{DateTime, Utc};

use super::types::{HoldInfo, HoldState, JournalKind, LedgerError, Scope};
use super::window::{Periods, Window};
use crate::money::Micros;
pub(crate) use columns::{hold_from, job_from, job_info_from, journal_from, pending_from};
pub(crate) use columns::{
    RowAccess, HOLD_COLS, JOB_COLS, JOB_INFO_COLS, JOURNAL_COLS, PENDING_COLS,
};

/// Microseconds since the Unix epoch: how every timestamp is stored.
pub(crate) fn to_us(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// Inverse of [`to_us`]; out-of-range values (corrupt rows) clamp to the epoch.
pub(crate) fn from_us(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// Identifies one counter row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct CounterKey {
    pub scope: String,
    pub window: Window,
    pub period: String,
}

/// The eight counter rows a hold touches: both scopes, all four windows,
/// in the periods current when the hold was taken. Sorted, so every
/// transaction locks rows in the same order.
pub(crate) fn hold_keys(tenant: &str, periods: &Periods) -> Vec<CounterKey> {
    let mut keys = Vec::with_capacity(8);
    for scope in [Scope::Org.key(), Scope::Tenant(tenant.to_string()).key()] {
        for window in Window::ALL {
            keys.push(CounterKey {
                scope: scope.clone(),
                window,
                period: periods.key(window).to_string(),
            });
        }
    }
    keys.sort();
    keys
}

/// States of an upstream job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobState {
    Pending,
    Completed,
    Failed,
    /// Its hold expired: counted at its held share until a late settlement.
    Expired,
}

impl JobState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Completed => "completed",
            JobState::Failed => "failed",
            JobState::Expired => "expired",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<JobState, LedgerError> {
        match s {
            "pending" => Ok(JobState::Pending),
            "completed" => Ok(JobState::Completed),
            "failed" => Ok(JobState::Failed),
            "expired" => Ok(JobState::Expired),
            other => Err(corrupt("job state", other)),
        }
    }
}

pub(crate) fn parse_hold_state(s: &str) -> Result<HoldState, LedgerError> {
    HoldState::parse(s).ok_or_else(|| corrupt("hold state", s))
}

pub(crate) fn parse_window(s: &str) -> Result<Window, LedgerError> {
    Window::parse(s).ok_or_else(|| corrupt("window", s))
}

pub(crate) fn parse_scope(s: &str) -> Result<Scope, LedgerError> {
    Scope::from_key(s).ok_or_else(|| corrupt("scope", s))
}

pub(crate) fn parse_kind(s: &str) -> Result<JournalKind, LedgerError> {
    JournalKind::parse(s).ok_or_else(|| corrupt("journal kind", s))
}

fn corrupt(what: &str, value: &str) -> LedgerError {
    LedgerError::Unavailable(format!("corrupt ledger row: unknown {what} {value:?}"))
}

/// A hold row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HoldRow {
    pub hold_id: String,
    pub tenant: String,
    pub feature: String,
    pub route: String,
    pub amount: Micros,
    /// Part of this hold still counted in `held`.
    pub held_open: Micros,
    /// Part of this hold counted in `spent`.
    pub captured: Micros,
    pub state: HoldState,
    pub render: bool,
    pub price_version: String,
    pub request_id: String,
    pub periods: Periods,
    pub created_us: i64,
    pub expires_us: i64,
    pub settled_us: Option<i64>,
}

impl HoldRow {
    pub(crate) fn keys(&self) -> Vec<CounterKey> {
        hold_keys(&self.tenant, &self.periods)
    }

    pub(crate) fn info(&self) -> HoldInfo {
        HoldInfo {
            hold_id: self.hold_id.clone(),
            tenant: self.tenant.clone(),
            feature: self.feature.clone(),
            route: self.route.clone(),
            amount: self.amount,
            held: self.held_open,
            captured: self.captured,
            state: self.state,
            render: self.render,
            price_version: self.price_version.clone(),
            request_id: self.request_id.clone(),
            created_at: from_us(self.created_us),
            expires_at: from_us(self.expires_us),
            settled_at: self.settled_us.map(from_us),
        }
    }
}

/// A job row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JobRow {
    pub job_id: String,
    pub hold_id: String,
    pub feature: String,
    pub status_path: String,
    /// Share of the hold assigned at submit.
    pub held: Micros,
    /// Part of the share still counted in `held`.
    pub held_open: Micros,
    /// Counted in `spent` for this job.
    pub captured: Micros,
    pub state: JobState,
    pub source: Option<String>,
    pub submitted_us: i64,
    pub settled_us: Option<i64>,
}

/// A journal row to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JournalDraft {
    pub at_us: i64,
    pub kind: JournalKind,
    pub hold_id: Option<String>,
    pub scope: String,
    pub tenant: Option<String>,
    pub feature: Option<String>,
    pub amount: Micros,
    pub price_version: Option<String>,
    pub request_id: Option<String>,
    /// Comma-separated upstream job ids.
    pub upstream_ids: Option<String>,
    pub actor: Option<String>,
    pub reason: Option<String>,
}

impl JournalDraft {
    /// An entry about `hold`, with its tenant, feature and price version.
    pub(crate) fn for_hold(hold: &HoldRow, kind: JournalKind, amount: Micros, at_us: i64) -> Self {
        JournalDraft {
            at_us,
            kind,
            hold_id: Some(hold.hold_id.clone()),
            scope: Scope::Tenant(hold.tenant.clone()).key(),
            tenant: Some(hold.tenant.clone()),
            feature: Some(hold.feature.clone()),
            amount,
            price_version: Some(hold.price_version.clone()),
            request_id: Some(hold.request_id.clone()),
            upstream_ids: None,
            actor: None,
            reason: None,
        }
    }
}

/// Splits the stored comma-separated upstream ids.
pub(crate) fn split_ids(s: Option<String>) -> Vec<String> {
    s.map(|s| {
        s.split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

/// Open holds past their TTL, oldest first, except the current hold of a
/// live session or a waiting token and a live session's next minute held
/// ahead: the meter captures or releases those itself (a live session's
/// minute after downtime is charged when the meter comes back), and an
/// expired one would leave the session unable to move on or end.
pub(crate) const EXPIRE_DUE_SQL: &str = "SELECT hold_id FROM holds \
     WHERE state IN ('held', 'submitted') AND expires_us <= ?1 \
     AND hold_id NOT IN (SELECT hold_id FROM sessions WHERE state IN ('live', 'token')) \
     AND hold_id NOT IN (SELECT next_hold_id FROM sessions \
         WHERE state = 'live' AND next_hold_id IS NOT NULL) \
     ORDER BY expires_us LIMIT ?2";

/// How long after submission the poller still reads an expired job's
/// status (a day: far beyond any render).
pub(crate) const LATE_POLL_US: i64 = 24 * 3600 * 1_000_000;

/// Stored idempotency headers: a JSON array of `[name, value]` pairs.
pub(crate) fn headers_to_json(h: &[(String, String)]) -> String {
    serde_json::to_string(h).unwrap_or_else(|_| "[]".to_string())
}

pub(crate) fn headers_from_json(s: &str) -> Result<Vec<(String, String)>, LedgerError> {
    serde_json::from_str(s)
        .map_err(|e| LedgerError::Unavailable(format!("corrupt stored headers: {e}")))
}
