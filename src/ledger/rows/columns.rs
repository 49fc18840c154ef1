//! Reading stored rows: the [`RowAccess`] trait over a backend's row type,
//! and each row's column list with the mapper that reads it in that order.
//!
//! Its own file because the column lists and mappers are the one place both
//! backends and the audit share their SELECTs' shape; the row types they
//! build stay in `rows.rs`.

use super::{from_us, parse_hold_state, parse_kind, parse_scope, split_ids, HoldRow, JobRow};
use super::{JobState, LedgerError, Periods};
use crate::ledger::types::{JobInfo, JobItem, JournalEntry, PendingJob};

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

pub(crate) fn journal_from(r: &impl RowAccess) -> Result<JournalEntry, LedgerError> {
    Ok(JournalEntry {
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

/// Columns read by [`pending_from`]; `j` is jobs, `h` holds.
pub(crate) const PENDING_COLS: &str =
    "j.job_id, j.hold_id, h.tenant, j.feature, j.status_path, j.submitted_us";

pub(crate) fn pending_from(r: &impl RowAccess) -> Result<PendingJob, LedgerError> {
    Ok(PendingJob {
        job_id: r.text(0)?,
        hold_id: r.text(1)?,
        tenant: r.text(2)?,
        feature: r.text(3)?,
        status_path: r.text(4)?,
        submitted_at: from_us(r.int(5)?),
    })
}

pub(crate) const JOB_INFO_COLS: &str =
    "j.job_id, j.hold_id, h.tenant, j.feature, j.status_path, j.held, j.state, j.items";

pub(crate) fn job_info_from(r: &impl RowAccess) -> Result<JobInfo, LedgerError> {
    Ok(JobInfo {
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
        items: JobItem::decode(r.opt_text(7)?.as_deref()),
    })
}
