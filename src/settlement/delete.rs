//! Settling a job around its tenant's delete. Once HeyGen has deleted a
//! video its status is gone, so a job still pending in the ledger could
//! only be captured at the TTL, at its hold. So before the proxy forwards a
//! delete that names a job, [`before_delete`] re-reads the status with the
//! org key (probing the output where the status has no length) and settles
//! a finished or failed job from it: a real outcome, right whatever HeyGen
//! then answers the delete.
//!
//! A job whose cost still cannot be learned — still rendering, or the
//! status unreadable — is owed the larger of its hold and the plan's
//! longest video for its feature. That capture is only *decided* before
//! forwarding; [`after_delete`] makes it once HeyGen confirmed the delete
//! (2xx). A delete refused or failed — by the gateway's own route policy,
//! by HeyGen, or lost in transit — deleted nothing the gateway knows of,
//! and capturing the maximum then would stick for good (every later status
//! read, webhook or poll finds the job settled): the job stays pending and
//! settles from its status as any other. A process that dies between
//! HeyGen's 2xx and the capture leaves the job pending with no status to
//! read: its hold's TTL captures it at the held amount, never nothing.

use crate::ledger::{JobSettlement, LedgerError, SettleResult};
use crate::money::Micros;
use crate::pricing;
use crate::state::AppState;

/// A capture at the estimate, decided before a delete was forwarded, made
/// only if HeyGen confirms it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeleteCapture {
    job_id: String,
    cost: Micros,
}

/// Before a delete naming `job_id` is forwarded: settles the job from its
/// status if that tells its outcome; otherwise returns the capture owed if
/// the delete goes through. `None` when there is nothing more to do: not a
/// job, already settled, or settled just now.
pub(crate) async fn before_delete(
    state: &AppState,
    job_id: &str,
) -> Result<Option<DeleteCapture>, LedgerError> {
    let Some(job) = state.ledger.get_job(job_id).await? else {
        return Ok(None);
    };
    if !job.pending {
        return Ok(None);
    }
    if super::refresh(state, job_id, &job.status_path, "delete").await? {
        return Ok(None);
    }
    let book = super::book_of_hold(state, &job.hold_id).await?;
    let max_ms = u64::from(state.snapshot().config.plan.max_video_seconds) * 1000;
    let gen = pricing::Generation::of_path(&job.status_path);
    let longest = pricing::settle_cost_in(&book, &job.feature, gen, max_ms).unwrap_or(0);
    Ok(Some(DeleteCapture {
        job_id: job_id.to_string(),
        cost: job.held.max(longest),
    }))
}

/// After HeyGen confirmed the delete (2xx): makes the capture
/// [`before_delete`] decided. A job settled meanwhile (a webhook, the
/// poller) stays as it was; a ledger failure is logged and leaves the job
/// to its TTL, as a crash here would.
pub(crate) async fn after_delete(state: &AppState, capture: DeleteCapture) {
    crate::faultpoint::hit(crate::faultpoint::DELETE_BEFORE_CAPTURE);
    let DeleteCapture { job_id, cost } = capture;
    let source = format!("delete{}", crate::ledger::audit::AT_ESTIMATE);
    let result = state
        .ledger
        .settle_job(&job_id, JobSettlement::Completed { cost }, &source)
        .await;
    match result {
        Ok(SettleResult::Settled(s)) => {
            super::count_credits(state, &s);
            state.metrics.settled_from("estimate", &s.feature);
            tracing::warn!(job_id = %job_id, hold_id = %s.hold_id, tenant = %s.tenant,
                captured = %crate::money::format_credits(s.captured),
                "Job deleted before HeyGen reported its length; captured at the plan's longest video.");
        }
        Ok(_) => {}
        Err(e) => {
            state.note_ledger_error("settle", &e);
            tracing::error!(job_id = %job_id, error = %e,
                "Capture of a deleted job failed; its hold's TTL captures it at the held amount.");
        }
    }
}
