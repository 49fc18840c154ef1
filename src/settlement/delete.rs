//! Settling a job before its tenant deletes it. Once HeyGen has deleted a
//! video its status is gone, so a job still pending in the ledger would be
//! captured at the TTL at its estimate. The proxy calls this before it
//! forwards any delete that names a job: the status is re-read with the org
//! key (and the output probed where the status has no length); a job whose
//! cost still cannot be learned — still rendering, or the status unreadable —
//! is captured at the larger of its hold and the plan's longest video for
//! its feature, and counted as a capture at the estimate.

use crate::ledger::{JobSettlement, LedgerError, SettleResult};
use crate::pricing;
use crate::state::AppState;

/// Settles `job_id` if the ledger has it pending; a no-op otherwise (not a
/// job, or already settled).
pub(crate) async fn before_delete(state: &AppState, job_id: &str) -> Result<(), LedgerError> {
    let Some(job) = state.ledger.get_job(job_id).await? else {
        return Ok(());
    };
    if !job.pending {
        return Ok(());
    }
    if super::refresh(state, job_id, &job.status_path, "delete").await? {
        return Ok(());
    }
    let book = super::book_of_hold(state, &job.hold_id).await;
    let max_ms = u64::from(state.snapshot().config.plan.max_video_seconds) * 1000;
    let gen = pricing::Generation::of_path(&job.status_path);
    let longest = pricing::settle_cost_in(&book, &job.feature, gen, max_ms).unwrap_or(0);
    let cost = job.held.max(longest);
    let source = format!("delete{}", crate::ledger::audit::AT_ESTIMATE);
    let result = state
        .ledger
        .settle_job(job_id, JobSettlement::Completed { cost }, &source)
        .await?;
    if let SettleResult::Settled(s) = &result {
        super::count_credits(state, s);
        state.metrics.settled_from("estimate", &s.feature);
        tracing::warn!(job_id, hold_id = %s.hold_id, tenant = %s.tenant,
            captured = %crate::money::format_credits(s.captured),
            "Job deleted before HeyGen reported its length; captured at the plan's longest video.");
    }
    Ok(())
}
