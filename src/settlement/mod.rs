//! Settlement: turning a job's real outcome into a capture or release.
//! Three sources feed the same function — status reads passing through the
//! proxy, HeyGen webhooks, and the background poller — and the ledger makes
//! each settlement idempotent, so whichever arrives first wins and repeats
//! change nothing. A completed job's length comes from `length`: the
//! status, else the finished output, else the hold is captured and counted.
//! Jobs HeyGen's answer could not name are placeholders until a video is
//! bound to them: personalized contacts by webhook (`contacts`), Video
//! Agent requests from their session's video list (`agents`).

pub(crate) mod agents;
mod batch;
mod batch_cost;
pub(crate) mod contacts;
mod delete;
mod length;

pub(crate) use delete::{after_delete, before_delete, DeleteCapture};

use crate::ledger::{JobSettlement, LedgerError, SettleResult, Settlement};
use crate::metrics::CreditKind;
use crate::pricing::{self, JobOutcome};
use crate::state::AppState;

/// Longest duration a settlement believes: far beyond any HeyGen render, it
/// keeps an absurd reported duration from pushing ledger counters toward
/// integer overflow (the overage above the hold is still recorded).
const MAX_JOB_DURATION_MS: u64 = 24 * 3600 * 1000;

/// Settles one job from an observed outcome. `None` when nothing was
/// decided: `Pending`, or a batch whose item pages could not all be read.
pub(crate) async fn settle(
    state: &AppState,
    job_id: &str,
    outcome: JobOutcome,
    source: &str,
) -> Result<Option<SettleResult>, LedgerError> {
    if matches!(outcome, JobOutcome::Pending) {
        return Ok(None);
    }
    // Clients keep reading a finished job's status; a read of the job row
    // keeps those repeats from costing a write transaction each.
    let Some(job) = state.ledger.get_job(job_id).await? else {
        return Ok(Some(SettleResult::UnknownJob));
    };
    if !job.pending {
        return Ok(Some(SettleResult::AlreadySettled));
    }
    let mut learned = None;
    // The real length, when one was learned (calibration).
    let mut calibrated = None;
    let settlement = match outcome {
        JobOutcome::Pending => return Ok(None),
        JobOutcome::Failed => JobSettlement::Failed,
        JobOutcome::Completed {
            batch: Some(items), ..
        } => {
            let book = book_of_hold(state, &job.hold_id).await?;
            // A page of its items unread: settled by a later read or poll.
            let Some((cost, from)) = batch::cost(state, &job, &book, items, source).await else {
                return Ok(None);
            };
            learned = Some(from);
            JobSettlement::Completed { cost }
        }
        JobOutcome::Completed {
            duration_ms,
            output_url,
            batch: None,
        } => {
            let book = book_of_hold(state, &job.hold_id).await?;
            let book = book.as_ref();
            let reported = length::Reported {
                duration_ms,
                output_url: output_url.as_deref(),
            };
            let len = length::learn(state, job_id, reported, source).await;
            let duration_ms = len.ms.map(|d| d.min(MAX_JOB_DURATION_MS));
            // v3 jobs (status path `/v3/...`) round per second, legacy ones to 30 s.
            let gen = pricing::Generation::of_path(&job.status_path);
            match duration_ms.and_then(|d| pricing::settle_cost_in(book, &job.feature, gen, d)) {
                Some(cost) => {
                    learned = Some(len.source);
                    calibrated = duration_ms;
                    JobSettlement::Completed { cost }
                }
                // Completed without a usable length (e.g. a batch): capture
                // what was held rather than guess low, and say so.
                None => {
                    learned = Some("estimate");
                    JobSettlement::Completed { cost: job.held }
                }
            }
        }
    };
    // `ledger verify` lists jobs whose source says they were captured blind.
    let source = match learned {
        Some("estimate") => format!("{source}{}", crate::ledger::audit::AT_ESTIMATE),
        _ => source.to_owned(),
    };
    crate::faultpoint::hit(crate::faultpoint::SETTLEMENT_BEFORE_CAPTURE);
    let result = state.ledger.settle_job(job_id, settlement, &source).await?;
    if let (SettleResult::Settled(s), Some(from)) = (&result, learned) {
        state.metrics.settled_from(from, &s.feature);
        if from == "estimate" {
            tracing::warn!(job_id, feature = %s.feature, held = %crate::money::format_credits(job.held),
                "Job completed without a length HeyGen or its output could tell; captured at the hold.");
        }
    }
    if let (SettleResult::Settled(_), Some(ms)) = (&result, calibrated) {
        record_length(state, job_id, ms).await;
    }
    if let SettleResult::Settled(s) = &result {
        count_credits(state, s);
        tracing::info!(job_id, hold_id = %s.hold_id, tenant = %s.tenant, source,
            captured = %crate::money::format_credits(s.captured),
            overage = %crate::money::format_credits(s.overage), "Job settled.");
    }
    Ok(Some(result))
}

/// Records a settled job's real length beside its projection and observes
/// the ratio (`heygen_gateway_projection_ratio`).
async fn record_length(state: &AppState, job_id: &str, actual_ms: u64) {
    let actual = i64::try_from(actual_ms).unwrap_or(i64::MAX);
    match state.ledger.record_job_length(job_id, actual).await {
        Ok(Some((feature, projected))) if projected > 0 => {
            state
                .metrics
                .projection_ratio(&feature, actual as f64 / projected as f64);
        }
        Ok(_) => {}
        Err(e) => state.note_ledger_error("calibration", &e),
    }
}

/// Counts a settlement's captured and released credits.
fn count_credits(state: &AppState, s: &Settlement) {
    let m = &state.metrics;
    m.credits(CreditKind::Captured, &s.tenant, &s.feature, s.captured);
    m.credits(CreditKind::Released, &s.tenant, &s.feature, s.released);
    // A job that finished after its hold expired, shorter than the hold:
    // the spend expiry captured is corrected down. Counters only go up, so
    // the credits given back are counted as released.
    if s.captured < 0 {
        let back = s.captured.saturating_neg();
        m.credits(CreditKind::Released, &s.tenant, &s.feature, back);
    }
}

/// The price book the job's hold was admitted under (settlement never
/// re-prices admitted work): this process's, else the ledger's record of
/// it (a book of an earlier run or another replica), else the current one,
/// logged (a hold older than the ledger's record of books, or one the
/// ledger no longer has). An error reading the hold or the ledger's record
/// is returned, so the job is settled by a later read or poll rather than
/// at a price it was not admitted under (the caller counts it, once, as
/// its own operation's failure).
pub(crate) async fn book_of_hold(
    state: &AppState,
    hold_id: &str,
) -> Result<std::sync::Arc<crate::pricing::PriceBook>, LedgerError> {
    let current = || std::sync::Arc::new(state.snapshot().config.pricing.clone());
    let version = match state.ledger.get_hold(hold_id).await? {
        Some(h) => h.price_version,
        None => {
            tracing::warn!(
                hold_id,
                "Hold of the job not in the ledger; settling with the current price book."
            );
            return Ok(current());
        }
    };
    let found = state.price_books.load(state.ledger.as_ref(), &version);
    Ok(found.await?.unwrap_or_else(|| {
        tracing::warn!(hold_id, version = %version, "Price book of the hold unknown to this process and the ledger; settling with the current one.");
        current()
    }))
}

/// Re-reads a job's status from HeyGen and settles it (webhooks and poller).
pub(crate) async fn refresh(
    state: &AppState,
    job_id: &str,
    status_path: &str,
    source: &str,
) -> Result<bool, LedgerError> {
    if status_path.is_empty() {
        // A placeholder has no status to read until a video is bound to
        // it; a Video Agent session's are bound from its video list.
        if let Some(session) = agents::session_of_placeholder(job_id) {
            agents::bind_session(state, session).await?;
        }
        return Ok(false);
    }
    let (status, body) = match state.upstream.get_json(status_path).await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(job_id, error = %e, "Status re-read failed; will retry.");
            return Ok(false);
        }
    };
    if !(200..300).contains(&status) {
        tracing::debug!(job_id, status, "Status re-read refused; will retry.");
        return Ok(false);
    }
    let (path, query) = match status_path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (status_path, None),
    };
    let route = crate::catalog::classify(&http::Method::GET, path);
    let crate::catalog::RouteKind::Status(read) = &route.kind else {
        tracing::warn!(
            job_id,
            status_path,
            "Stored status path is not a known status read."
        );
        return Ok(false);
    };
    if crate::batch_items::is_batch(read) {
        // A running batch's items are the owner's as soon as they exist,
        // so their own webhooks find the owner before the batch settles.
        crate::batch_items::learn(state, path, &body).await;
    }
    match pricing::status_outcome(read, path, query, &body) {
        Some((id, outcome)) if id == job_id => {
            let terminal = !matches!(outcome, JobOutcome::Pending);
            // `None`: pending, or a batch whose pages could not all be read.
            let done = settle(state, job_id, outcome, source).await?.is_some();
            Ok(terminal && done)
        }
        _ => Ok(false),
    }
}
