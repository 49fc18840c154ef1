//! Settling one upstream job of a hold: its cost captured, its unused share
//! released, and the hold closed once no job is pending.
//!
//! Its own file because it is the one transition driven by the upstream's
//! outcome (webhook or status read), and the longest; the request-path
//! transitions and expiry stay in `lifecycle.rs`.

use super::Plan;
use crate::ledger::rows::{HoldRow, JobRow, JobState, JournalDraft};
use crate::ledger::types::{HoldState, JobSettlement, JournalKind, LedgerError, Settlement};

/// Result of [`settle_job`].
#[derive(Debug)]
pub(crate) enum JobStep {
    Apply(Box<Plan>, Settlement),
    AlreadySettled,
}

/// Settles one job of `hold`; `jobs` are all jobs of the hold. A job already
/// completed or failed is left alone (redelivered webhook, repeated status
/// read). A job whose hold expired was counted at its share; the actual cost
/// corrects that by the difference.
pub(crate) fn settle_job(
    hold: &HoldRow,
    jobs: &[JobRow],
    job_id: &str,
    outcome: JobSettlement,
    source: &str,
    now_us: i64,
) -> Result<JobStep, LedgerError> {
    let job = jobs
        .iter()
        .find(|j| j.job_id == job_id)
        .ok_or_else(|| LedgerError::NotFound(job_id.to_string()))?;
    if matches!(job.state, JobState::Completed | JobState::Failed) {
        return Ok(JobStep::AlreadySettled);
    }
    let late = job.state == JobState::Expired;
    let cost = match outcome {
        JobSettlement::Completed { cost } => cost.max(0),
        JobSettlement::Failed => 0,
    };
    let mut row = hold.clone();
    let freed = job.held_open.min(row.held_open).max(0);
    let spent_delta = cost - job.captured;
    row.held_open -= freed;
    // Upstream-reported durations can price a job at up to Micros::MAX;
    // saturate instead of overflowing the hold's running total.
    row.captured = row.captured.saturating_add(spent_delta);

    let mut updated = job.clone();
    updated.state = match outcome {
        JobSettlement::Completed { .. } => JobState::Completed,
        JobSettlement::Failed => JobState::Failed,
    };
    updated.held_open = 0;
    updated.captured = cost;
    updated.source = Some(source.to_string());
    updated.settled_us = Some(now_us);

    let mut journal = Vec::new();
    let mut entry = |kind, amount, reason: &str| {
        let mut j = JournalDraft::for_hold(hold, kind, amount, now_us);
        j.upstream_ids = Some(job.job_id.clone());
        j.actor = Some(source.to_string());
        j.reason = Some(reason.to_string());
        journal.push(j);
    };
    if spent_delta != 0 || matches!(outcome, JobSettlement::Completed { .. }) {
        let reason = if late {
            "settled after expiry"
        } else {
            "completed"
        };
        entry(JournalKind::Capture, spent_delta, reason);
    }
    let unused = (freed - cost.min(freed)).max(0);
    if unused > 0 {
        let reason = match outcome {
            JobSettlement::Failed => "failed",
            JobSettlement::Completed { .. } => "below hold",
        };
        entry(JournalKind::Release, unused, reason);
    }

    // The hold is final once no job is pending.
    let mut released = unused;
    let others_pending = jobs
        .iter()
        .any(|j| j.job_id != job_id && j.state == JobState::Pending);
    if row.state.is_open() && !others_pending {
        let leftover = row.held_open.max(0);
        if leftover > 0 {
            let mut j = JournalDraft::for_hold(hold, JournalKind::Release, leftover, now_us);
            j.reason = Some("unallocated remainder".into());
            journal.push(j);
        }
        released = released.saturating_add(leftover);
        let any_completed = jobs.iter().any(|j| {
            if j.job_id == job_id {
                updated.state == JobState::Completed
            } else {
                j.state == JobState::Completed
            }
        });
        row.state = if any_completed {
            HoldState::Captured
        } else {
            HoldState::Released
        };
        row.held_open = 0;
        row.settled_us = Some(now_us);
    }
    let settlement = Settlement {
        hold_id: hold.hold_id.clone(),
        tenant: hold.tenant.clone(),
        feature: hold.feature.clone(),
        captured: spent_delta,
        released,
        overage: (cost - job.held).max(0),
        hold_state: row.state,
    };
    let plan = Plan {
        held_delta: -(hold.held_open - row.held_open),
        spent_delta,
        hold: Some(row),
        update_jobs: vec![updated],
        journal,
        ..Plan::default()
    };
    Ok(JobStep::Apply(Box::new(plan), settlement))
}
