//! Stored row shapes shared by the backends, and conversions between stored
//! integers (microseconds since the epoch) and timestamps.

use chrono::{DateTime, Utc};

use super::types::{HoldInfo, HoldState, JournalKind, LedgerError, Scope};
use super::window::{Periods, Window};
use crate::money::Micros;

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

/// Typed column access over a backend's row type, so both backends map
/// rows with the same code and column lists.
pub(crate) trait RowAccess {
    fn text(&self, i: usize) -> Result<String, LedgerError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, LedgerError>;
    fn int(&self, i: usize) -> Result<i64, LedgerError>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>, LedgerError>;
    fn flag(&self, i: usize) -> Result<bool, LedgerError>;
}

/// Columns read by [`hold_from`], in order.
pub(crate) const HOLD_COLS: &str = "hold_id, tenant, feature, route, amount, held_open, \
     captured, state, render, price_version, request_id, p_daily, p_weekly, p_monthly, \
     created_us, expires_us, settled_us";

pub(crate) fn hold_from(r: &impl RowAccess) -> Result<HoldRow, LedgerError> {
    Ok(HoldRow {
        hold_id: r.text(0)?,
        tenant: r.text(1)?,
        feature: r.text(2)?,
        route: r.text(3)?,
        amount: r.int(4)?,
        held_open: r.int(5)?,
        captured: r.int(6)?,
        state: parse_hold_state(&r.text(7)?)?,
        render: r.flag(8)?,
        price_version: r.text(9)?,
        request_id: r.text(10)?,
        periods: Periods {
            daily: r.text(11)?,
            weekly: r.text(12)?,
            monthly: r.text(13)?,
        },
        created_us: r.int(14)?,
        expires_us: r.int(15)?,
        settled_us: r.opt_int(16)?,
    })
}

/// Columns read by [`job_from`], in order.
pub(crate) const JOB_COLS: &str = "job_id, hold_id, feature, status_path, held, held_open, \
     captured, state, source, submitted_us, settled_us";

pub(crate) fn job_from(r: &impl RowAccess) -> Result<JobRow, LedgerError> {
    Ok(JobRow {
        job_id: r.text(0)?,
        hold_id: r.text(1)?,
        feature: r.text(2)?,
        status_path: r.text(3)?,
        held: r.int(4)?,
        held_open: r.int(5)?,
        captured: r.int(6)?,
        state: JobState::parse(&r.text(7)?)?,
        source: r.opt_text(8)?,
        submitted_us: r.int(9)?,
        settled_us: r.opt_int(10)?,
    })
}

/// Columns read by [`journal_from`], in order.
pub(crate) const JOURNAL_COLS: &str = "seq, at_us, kind, hold_id, scope, tenant, feature, \
     amount, price_version, request_id, upstream_ids, actor, reason";

pub(crate) fn journal_from(r: &impl RowAccess) -> Result<super::types::JournalEntry, LedgerError> {
    Ok(super::types::JournalEntry {
        seq: r.int(0)?,
        at: from_us(r.int(1)?),
        kind: parse_kind(&r.text(2)?)?,
        hold_id: r.opt_text(3)?,
        scope: parse_scope(&r.text(4)?)?,
        tenant: r.opt_text(5)?,
        feature: r.opt_text(6)?,
        amount: r.int(7)?,
        price_version: r.opt_text(8)?,
        request_id: r.opt_text(9)?,
        upstream_ids: split_ids(r.opt_text(10)?),
        actor: r.opt_text(11)?,
        reason: r.opt_text(12)?,
    })
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

/// Columns read by [`pending_from`]; `j` is jobs, `h` holds.
pub(crate) const PENDING_COLS: &str =
    "j.job_id, j.hold_id, h.tenant, j.feature, j.status_path, j.submitted_us";

pub(crate) fn pending_from(r: &impl RowAccess) -> Result<super::types::PendingJob, LedgerError> {
    Ok(super::types::PendingJob {
        job_id: r.text(0)?,
        hold_id: r.text(1)?,
        tenant: r.text(2)?,
        feature: r.text(3)?,
        status_path: r.text(4)?,
        submitted_at: from_us(r.int(5)?),
    })
}

pub(crate) const JOB_INFO_COLS: &str =
    "j.job_id, j.hold_id, h.tenant, j.feature, j.status_path, j.held, j.state";

pub(crate) fn job_info_from(r: &impl RowAccess) -> Result<super::types::JobInfo, LedgerError> {
    Ok(super::types::JobInfo {
        job_id: r.text(0)?,
        hold_id: r.text(1)?,
        tenant: r.text(2)?,
        feature: r.text(3)?,
        status_path: r.text(4)?,
        held: r.int(5)?,
        // An expired job was captured at its hold, not at its real length:
        // its outcome still settles it (the ledger's late path corrects the
        // amount either way).
        pending: matches!(r.text(6)?.as_str(), "pending" | "expired"),
    })
}

/// Stored idempotency headers: a JSON array of `[name, value]` pairs.
pub(crate) fn headers_to_json(h: &[(String, String)]) -> String {
    serde_json::to_string(h).unwrap_or_else(|_| "[]".to_string())
}

pub(crate) fn headers_from_json(s: &str) -> Result<Vec<(String, String)>, LedgerError> {
    serde_json::from_str(s)
        .map_err(|e| LedgerError::Unavailable(format!("corrupt stored headers: {e}")))
}
