//! Replays one hold's journal rows the way `ledger::lifecycle` wrote them,
//! rebuilding what the hold still holds, what it moved to spent, and the
//! state the journal implies.
//!
//! The journal records amounts moved, not the `held` delta of a capture:
//! a capture consumes from `held` at most what was open for it (the hold's
//! open amount for a per-call capture, the job's share for a job), and the
//! rest is overage. Job shares are read from `jobs.held`, written once at
//! submit and never changed. A placeholder job (a personalized contact, a
//! Video Agent request) is renamed to the video bound to it after its
//! submit row was written: a settlement row naming a video its hold never
//! submitted settles the hold's oldest placeholder not yet settled.

use std::collections::{HashMap, HashSet};

use crate::ledger::types::{HoldState, JournalEntry, JournalKind};
use crate::money::Micros;

/// Result of replaying a hold.
#[derive(Debug, Default, Clone)]
pub(super) struct Replay {
    /// Amount of each `hold` row (one expected).
    pub hold_amounts: Vec<Micros>,
    /// Still counted in `held`.
    pub open: Micros,
    /// Σ capture rows (may include negative late corrections).
    pub captured: Micros,
    /// The part of `captured` taken from the hold's own amount.
    pub consumed: Micros,
    pub released: Micros,
    pub expired: Micros,
    /// A `release` of the whole hold (the `release` operation).
    pub release_op: bool,
    /// A capture of a per-call hold (the `capture_hold` operation).
    pub per_call_capture: bool,
    pub is_expired: bool,
    pub submitted: Vec<String>,
    /// Jobs a settlement row names.
    pub settled: HashSet<String>,
    /// Jobs with a capture row (completed).
    pub completed: HashSet<String>,
    /// Rows the ledger never writes in the state the hold was in.
    pub anomalies: Vec<String>,
    /// Time of the first row (periods of a hold row that is missing).
    pub first_at_us: Option<i64>,
    phase: Option<HoldState>,
    job_open: HashMap<String, Micros>,
    /// Bound video → the placeholder it was submitted as.
    bound: HashMap<String, String>,
    after_per_call_capture: bool,
}

impl Replay {
    /// Spent the hold accounts for: captures (net of late corrections) and
    /// expiry captures.
    pub(super) fn spent(&self) -> Micros {
        self.captured.saturating_add(self.expired)
    }

    /// Captured beyond what was held (negative for a late settlement below
    /// the expired share).
    pub(super) fn overage(&self) -> Micros {
        self.captured - self.consumed
    }

    /// The state the journal implies. A failed job may end with nothing to
    /// journal (no share left open), so `failed_jobs` from the jobs table
    /// also count as settled.
    pub(super) fn expected_state(&self, failed_jobs: &HashSet<&str>) -> HoldState {
        if self.is_expired {
            HoldState::Expired
        } else if self.per_call_capture {
            HoldState::Captured
        } else if self.release_op {
            HoldState::Released
        } else if !self.submitted.is_empty() {
            let pending = self
                .submitted
                .iter()
                .any(|j| !self.settled.contains(j) && !failed_jobs.contains(j.as_str()));
            if pending {
                HoldState::Submitted
            } else if self.completed.is_empty() {
                HoldState::Released
            } else {
                HoldState::Captured
            }
        } else {
            HoldState::Held
        }
    }

    /// Applies one row; `share` gives a job's share of its hold.
    pub(super) fn apply(&mut self, e: &JournalEntry, share: impl Fn(&str) -> Option<Micros>) {
        let at_us = e.at.timestamp_micros();
        self.first_at_us.get_or_insert(at_us);
        let after_capture = std::mem::take(&mut self.after_per_call_capture);
        let phase = self.phase;
        let name = phase.map_or("unheld", HoldState::as_str);
        match e.kind {
            JournalKind::Hold => {
                if phase.is_some() {
                    self.anomalies
                        .push(format!("second hold row (seq {})", e.seq));
                }
                self.hold_amounts.push(e.amount);
                self.open = self.open.saturating_add(e.amount);
                self.phase = Some(HoldState::Held);
            }
            JournalKind::Submit => {
                match phase {
                    Some(HoldState::Held) => self.phase = Some(HoldState::Submitted),
                    Some(HoldState::Submitted | HoldState::Expired) => {}
                    _ => self.anomaly(e, name),
                }
                for id in &e.upstream_ids {
                    self.submitted.push(id.clone());
                    let open = if self.is_expired {
                        0
                    } else {
                        share(id).unwrap_or(0)
                    };
                    self.job_open.insert(id.clone(), open.max(0));
                }
            }
            JournalKind::Capture => {
                self.captured = self.captured.saturating_add(e.amount);
                let taken = match e.upstream_ids.first() {
                    None => {
                        if phase != Some(HoldState::Held) {
                            self.anomaly(e, name);
                        }
                        self.per_call_capture = true;
                        self.after_per_call_capture = true;
                        self.phase = Some(HoldState::Captured);
                        e.amount.clamp(0, self.open.max(0))
                    }
                    Some(job) => {
                        let job = self.submitted_as(job, &share);
                        self.settled.insert(job.clone());
                        self.completed.insert(job.clone());
                        let job_open = self.job_open.insert(job.clone(), 0).unwrap_or(0);
                        if self.is_expired {
                            // A late settlement only corrects spent.
                            0
                        } else {
                            if phase != Some(HoldState::Submitted) {
                                self.anomaly(e, name);
                            }
                            e.amount.clamp(0, job_open.min(self.open).max(0))
                        }
                    }
                };
                self.consumed = self.consumed.saturating_add(taken);
                self.open -= taken;
            }
            JournalKind::Release => {
                self.released = self.released.saturating_add(e.amount);
                self.open -= e.amount;
                match e.upstream_ids.first() {
                    Some(job) => {
                        let job = self.submitted_as(job, &share);
                        self.settled.insert(job.clone());
                        self.job_open.insert(job, 0);
                        if phase != Some(HoldState::Submitted) {
                            self.anomaly(e, name);
                        }
                    }
                    // The remainder of a per-call capture below its hold.
                    None if after_capture => {}
                    None => match phase {
                        Some(HoldState::Held) => {
                            self.release_op = true;
                            self.phase = Some(HoldState::Released);
                        }
                        // The unallocated remainder when the last job settles.
                        Some(HoldState::Submitted) => {}
                        _ => self.anomaly(e, name),
                    },
                }
            }
            JournalKind::Expire => {
                if !phase.is_some_and(HoldState::is_open) {
                    self.anomaly(e, name);
                }
                self.expired = self.expired.saturating_add(e.amount);
                self.open -= e.amount;
                self.is_expired = true;
                self.phase = Some(HoldState::Expired);
                self.job_open.values_mut().for_each(|v| *v = 0);
            }
            JournalKind::Adjust | JournalKind::Assign => {}
        }
    }

    /// The id `job` was submitted as: itself, or for a video bound to a
    /// placeholder after submit, that placeholder (the oldest of the hold
    /// not yet settled, which the bound job's share now stands for).
    fn submitted_as(&mut self, job: &str, share: &impl Fn(&str) -> Option<Micros>) -> String {
        if let Some(placeholder) = self.bound.get(job) {
            return placeholder.clone();
        }
        if self.job_open.contains_key(job) {
            return job.to_owned();
        }
        let placeholder = self.submitted.iter().find(|id| {
            is_placeholder(id)
                && !self.settled.contains(*id)
                && !self.bound.values().any(|p| p == *id)
        });
        let Some(placeholder) = placeholder.cloned() else {
            return job.to_owned();
        };
        if !self.is_expired {
            let open = share(job).unwrap_or(0).max(0);
            self.job_open.insert(placeholder.clone(), open);
        }
        self.bound.insert(job.to_owned(), placeholder.clone());
        placeholder
    }

    fn anomaly(&mut self, e: &JournalEntry, phase: &str) {
        self.anomalies.push(format!(
            "{} row (seq {}) on a {phase} hold",
            e.kind.as_str(),
            e.seq
        ));
    }
}

fn is_placeholder(job_id: &str) -> bool {
    job_id.starts_with(crate::ledger::CONTACT_PREFIX)
        || job_id.starts_with(crate::ledger::AGENT_PREFIX)
}
