//! What an accepted billable request leaves in the ledger once HeyGen
//! answered 2xx: the jobs its answer names, each holding its share of the
//! hold; placeholders where the answer names none but a video will follow
//! (personalized contacts, Video Agent requests); or a capture now, for
//! what has no job to settle by. Its own file so admission keeps to the
//! steps of a request.

use super::admission::Priced;
use super::guard::HoldGuard;
use crate::catalog::Billable;
use crate::ledger::{JobItem, JobRecord};
use crate::pricing::{self, SettleMode};
use crate::state::AppState;

/// HeyGen accepted the request: record its jobs, or capture now what has no
/// job to settle by.
pub(super) async fn record_accepted(
    state: &AppState,
    hold: HoldGuard,
    priced: &Priced,
    request: &[u8],
    body: &[u8],
) {
    let q = &priced.quote;
    match q.settle {
        SettleMode::PerJob => {
            let found = pricing::jobs_from_response(&priced.billable, q, body);
            let mut projected: Vec<(String, i64)> = found
                .iter()
                .map(|j| (j.id.clone(), millis(j.projected_ms)))
                .collect();
            let mut jobs = job_records(&found);
            if jobs.is_empty() {
                (jobs, projected) = placeholders(priced, request, body, hold.id());
            }
            if jobs.is_empty() {
                // Accepted but no job id to settle by: never undercount.
                tracing::warn!(hold_id = %hold.id(), "No job id in HeyGen's answer; capturing the projection.");
                hold.capture(q.credits).await;
            } else {
                hold.submit(&jobs).await;
                // For calibration only: a failure costs no money, just a sample.
                if let Err(e) = state.ledger.record_projections(&projected).await {
                    state.note_ledger_error("calibration", &e);
                }
            }
        }
        SettleMode::OnSuccess => hold.capture(q.credits).await,
        SettleMode::Free => hold.capture(0).await,
    }
}

/// Placeholder jobs (and their projected lengths) for an answer that names
/// no job but whose videos HeyGen names later: one per contact of an
/// `add_contact`, bound by its webhook; one per Video Agent create or
/// revision, bound from its session's video list. Empty for anything else.
fn placeholders(
    priced: &Priced,
    request: &[u8],
    answer: &[u8],
    hold_id: &str,
) -> (Vec<JobRecord>, Vec<(String, i64)>) {
    let q = &priced.quote;
    let jobs = match &priced.billable {
        Billable::PersonalizedVideo => {
            crate::settlement::contacts::placeholders(q, request, hold_id)
        }
        b @ (Billable::V3VideoAgent | Billable::V3VideoAgentMessage { .. }) => {
            match crate::settlement::agents::session_of(b, answer) {
                Some(session) => {
                    let job = crate::settlement::agents::placeholder(q, &session, hold_id);
                    let projected = q.jobs.iter().map(|j| millis(j.projected_ms)).sum();
                    return (vec![job.clone()], vec![(job.job_id, projected)]);
                }
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    let projected = jobs
        .iter()
        .zip(&q.jobs)
        .map(|(j, p)| (j.job_id.clone(), millis(p.projected_ms)))
        .collect();
    (jobs, projected)
}

fn millis(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// Each job carries the share of the hold the quote assigned it (the shares
/// sum to the quote, so the hold is split exactly).
fn job_records(jobs: &[pricing::Job]) -> Vec<JobRecord> {
    jobs.iter()
        .map(|j| JobRecord {
            job_id: j.id.clone(),
            feature: j.feature.clone(),
            status_path: j.status_path.clone(),
            held: j.quoted,
            items: j
                .items
                .iter()
                .map(|q| JobItem {
                    feature: q.feature.clone(),
                    credits: q.credits,
                })
                .collect(),
        })
        .collect()
}
