//! Lifecycle transitions (submit, release, capture, job settlement, expiry)
//! as pure plans over loaded rows. A backend loads the hold and its jobs
//! under lock, asks for a plan, and applies the [`Plan`] in the same
//! transaction; the arithmetic lives here once.
//!
//! This file holds the plan, submit, release, capture and expiry; settling
//! one job is in `lifecycle/settle.rs`, re-exported here.

mod settle;

use super::rows::HoldRow;
use super::rows::{JobRow, JobState, JournalDraft};
use super::types::{ExpiredHold, HoldState, JobRecord, JournalKind, LedgerError, Settlement};
use crate::money::Micros;
pub(crate) use settle::{settle_job, JobStep};

/// Changes to apply atomically. Counter deltas apply to all eight rows of
/// the hold (its periods, both scopes).
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub held_delta: Micros,
    pub spent_delta: Micros,
    pub hold: Option<HoldRow>,
    pub insert_jobs: Vec<JobRow>,
    pub update_jobs: Vec<JobRow>,
    pub journal: Vec<JournalDraft>,
}

impl Plan {
    pub(crate) fn touches_counters(&self) -> bool {
        self.held_delta != 0 || self.spent_delta != 0
    }
}

/// Records upstream jobs under `hold`. `existing` holds any stored jobs with
/// the same ids (under any hold): re-submitting one is a no-op, one that
/// belongs to another hold is a conflict.
pub(crate) fn submit(
    hold: &HoldRow,
    existing: &[JobRow],
    records: &[JobRecord],
    now_us: i64,
) -> Result<Plan, LedgerError> {
    if records.is_empty() {
        return Err(LedgerError::InvalidState("submit without job ids".into()));
    }
    let expired = match hold.state {
        HoldState::Held | HoldState::Submitted => false,
        // The upstream accepted after the TTL ran out: record the jobs so a
        // late settlement can still correct the expiry capture.
        HoldState::Expired => true,
        s => {
            return Err(LedgerError::InvalidState(format!(
                "cannot submit jobs on a {} hold",
                s.as_str()
            )))
        }
    };
    let mut plan = Plan::default();
    for r in records {
        if let Some(e) = existing.iter().find(|j| j.job_id == r.job_id) {
            if e.hold_id != hold.hold_id {
                return Err(LedgerError::Conflict(format!(
                    "job {} already belongs to {}",
                    r.job_id, e.hold_id
                )));
            }
            continue;
        }
        if plan.insert_jobs.iter().any(|j| j.job_id == r.job_id) {
            continue;
        }
        let share = r.held.max(0);
        plan.insert_jobs.push(JobRow {
            job_id: r.job_id.clone(),
            hold_id: hold.hold_id.clone(),
            feature: r.feature.clone(),
            status_path: r.status_path.clone(),
            held: share,
            held_open: if expired { 0 } else { share },
            captured: if expired { share } else { 0 },
            state: if expired {
                JobState::Expired
            } else {
                JobState::Pending
            },
            source: None,
            submitted_us: now_us,
            settled_us: None,
        });
    }
    if plan.insert_jobs.is_empty() {
        return Ok(plan);
    }
    let mut row = hold.clone();
    if row.state == HoldState::Held {
        row.state = HoldState::Submitted;
    }
    let mut j = JournalDraft::for_hold(hold, JournalKind::Submit, 0, now_us);
    let ids: Vec<&str> = plan.insert_jobs.iter().map(|j| j.job_id.as_str()).collect();
    j.upstream_ids = Some(ids.join(","));
    plan.journal.push(j);
    plan.hold = Some(row);
    Ok(plan)
}

/// Frees a hold the upstream refused. Releasing twice is a no-op.
pub(crate) fn release(hold: &HoldRow, reason: &str, now_us: i64) -> Result<Plan, LedgerError> {
    match hold.state {
        HoldState::Held => {}
        HoldState::Released => return Ok(Plan::default()),
        s => {
            return Err(LedgerError::InvalidState(format!(
                "cannot release a {} hold",
                s.as_str()
            )))
        }
    }
    let mut row = hold.clone();
    let freed = row.held_open;
    row.held_open = 0;
    row.state = HoldState::Released;
    row.settled_us = Some(now_us);
    let mut j = JournalDraft::for_hold(hold, JournalKind::Release, freed, now_us);
    j.reason = Some(reason.to_string());
    Ok(Plan {
        held_delta: -freed,
        hold: Some(row),
        journal: vec![j],
        ..Plan::default()
    })
}

/// Captures a per-call hold (no upstream job to wait for) at `amount`.
pub(crate) fn capture(
    hold: &HoldRow,
    amount: Micros,
    now_us: i64,
) -> Result<(Plan, Settlement), LedgerError> {
    if hold.state != HoldState::Held {
        return Err(LedgerError::InvalidState(format!(
            "cannot capture a {} hold",
            hold.state.as_str()
        )));
    }
    if amount < 0 {
        return Err(LedgerError::InvalidState("negative capture".into()));
    }
    let mut row = hold.clone();
    let held = row.held_open;
    row.held_open = 0;
    row.captured = row.captured.saturating_add(amount);
    row.state = HoldState::Captured;
    row.settled_us = Some(now_us);
    let mut journal = vec![JournalDraft::for_hold(
        hold,
        JournalKind::Capture,
        amount,
        now_us,
    )];
    if held > amount {
        journal.push(JournalDraft::for_hold(
            hold,
            JournalKind::Release,
            held - amount,
            now_us,
        ));
    }
    let settlement = Settlement {
        hold_id: hold.hold_id.clone(),
        tenant: hold.tenant.clone(),
        feature: hold.feature.clone(),
        captured: amount,
        released: (held - amount).max(0),
        overage: (amount - held).max(0),
        hold_state: HoldState::Captured,
    };
    let plan = Plan {
        held_delta: -held,
        spent_delta: amount,
        hold: Some(row),
        journal,
        ..Plan::default()
    };
    Ok((plan, settlement))
}

/// Captures an open hold past its TTL at what it still holds and flags it
/// `expired`; its pending jobs are marked expired (a late settlement corrects
/// the amount). `None` when the hold is not open.
pub(crate) fn expire(hold: &HoldRow, jobs: &[JobRow], now_us: i64) -> Option<(Plan, ExpiredHold)> {
    if !hold.state.is_open() {
        return None;
    }
    let amount = hold.held_open.max(0);
    let mut row = hold.clone();
    row.held_open = 0;
    row.captured = row.captured.saturating_add(amount);
    row.state = HoldState::Expired;
    row.settled_us = Some(now_us);
    let update_jobs: Vec<JobRow> = jobs
        .iter()
        .filter(|j| j.state == JobState::Pending)
        .map(|j| {
            let mut u = j.clone();
            u.captured = u.captured.saturating_add(u.held_open);
            u.held_open = 0;
            u.state = JobState::Expired;
            u
        })
        .collect();
    let job_ids: Vec<String> = jobs.iter().map(|j| j.job_id.clone()).collect();
    let mut j = JournalDraft::for_hold(hold, JournalKind::Expire, amount, now_us);
    j.reason = Some("hold TTL elapsed".into());
    if !job_ids.is_empty() {
        j.upstream_ids = Some(job_ids.join(","));
    }
    let expired = ExpiredHold {
        hold_id: hold.hold_id.clone(),
        tenant: hold.tenant.clone(),
        feature: hold.feature.clone(),
        captured: amount,
        created_at: super::rows::from_us(hold.created_us),
        job_ids,
    };
    let plan = Plan {
        held_delta: -hold.held_open,
        spent_delta: amount,
        hold: Some(row),
        update_jobs,
        journal: vec![j],
        ..Plan::default()
    };
    Some((plan, expired))
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
