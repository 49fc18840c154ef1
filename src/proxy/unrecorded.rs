//! Jobs HeyGen created whose record the ledger did not take (PostgreSQL
//! down or failing between HeyGen's answer and the write). The tenant has
//! its answer already; without the record the job is nobody's (the tenant
//! cannot read it) and it is settled at its projection when the hold
//! expires. The write is idempotent (a repeat changes nothing), so while
//! the ledger is unavailable it is retried in the background until it
//! lands or [`RETRY_FOR`] has passed; a refusal (the hold released by
//! hand, the job another hold's) is not retried. Each failure names the
//! hold, the tenant and the job ids, so ops can `assign` the job.

use std::sync::Arc;
use std::time::Duration;

use crate::ledger::{JobRecord, LedgerError};
use crate::state::AppState;

/// How long the record is retried: past it the hold's TTL settles it.
const RETRY_FOR: Duration = Duration::from_secs(600);
const FIRST_WAIT: Duration = Duration::from_secs(1);
/// Short enough that a shutdown's drain, which waits for these retries,
/// is not held up long by one.
const LONGEST_WAIT: Duration = Duration::from_secs(10);

/// Logs the failed record and starts its retries.
pub(super) fn retry_submit(
    state: &Arc<AppState>,
    hold_id: &str,
    tenant: &str,
    jobs: &[JobRecord],
    error: &LedgerError,
) {
    let ids = job_ids(jobs);
    if !matches!(error, LedgerError::Unavailable(_)) {
        tracing::error!(hold_id, tenant, job_ids = %ids, error = %error,
            "HeyGen created the job but the ledger refused its record; the tenant cannot read \
             it until ops run `heygen-gateway assign --tenant TENANT JOB_ID`.");
        return;
    }
    tracing::error!(hold_id, tenant, job_ids = %ids, error = %error,
        "HeyGen created the job but the ledger did not record it; retrying the record.");
    let (st, hold_id, tenant, jobs) = (
        state.clone(),
        hold_id.to_string(),
        tenant.to_string(),
        jobs.to_vec(),
    );
    let job_ids = ids;
    super::guard::spawn_cleanup(state, async move {
        let (mut wait, mut waited) = (FIRST_WAIT, Duration::ZERO);
        // A shutdown ends the retries once its drain waits for this task
        // (the tracker closes after the tenant listener's drain): the hold
        // stays, and the log line below says what ops can do.
        while waited < RETRY_FOR && !st.tasks.is_closed() {
            tokio::time::sleep(wait).await;
            waited += wait;
            match st.ledger.submit(&hold_id, &jobs).await {
                Ok(()) => {
                    tracing::info!(
                        hold_id,
                        tenant,
                        job_ids,
                        "Job recorded after the ledger recovered."
                    );
                    return;
                }
                Err(e @ LedgerError::Unavailable(_)) => st.note_ledger_error("submit", &e),
                Err(e) => {
                    tracing::error!(hold_id, tenant, job_ids, error = %e,
                        "The ledger refused the job's record; not retried. The tenant cannot \
                         read it until ops run `heygen-gateway assign --tenant TENANT JOB_ID`.");
                    return;
                }
            }
            wait = (wait * 2).min(LONGEST_WAIT);
        }
        tracing::error!(
            hold_id,
            tenant,
            job_ids,
            "Gave up recording the job: its hold is captured in full at expiry, and the \
             tenant cannot read it until ops run `heygen-gateway assign --tenant TENANT JOB_ID`."
        );
    });
}

fn job_ids(jobs: &[JobRecord]) -> String {
    jobs.iter()
        .map(|j| j.job_id.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::proxy::tests::{guard, state, take_hold};

    fn job() -> Vec<JobRecord> {
        vec![JobRecord {
            job_id: "vid-1".into(),
            feature: "avatar_iv".into(),
            status_path: String::new(),
            held: 1_000_000,
            items: Vec::new(),
        }]
    }

    /// A record the ledger refuses (here: the hold was released by hand)
    /// is not retried; one it could not take is.
    #[tokio::test]
    async fn only_an_unavailable_ledger_is_retried() {
        let dir = tempfile::tempdir().unwrap();
        let state = state(&dir).await;
        let id = take_hold(&state).await;
        state.ledger.release(&id, "by hand").await.unwrap();
        let mut g = guard(&state, &id);
        g.mark_sent();
        g.submit(&job()).await;
        assert_eq!(state.tasks.len(), 0, "a refusal started retries");
        let down = LedgerError::Unavailable("down".into());
        retry_submit(&state, &id, "marketing", &job(), &down);
        assert_eq!(state.tasks.len(), 1);
        // A closed tracker (the shutdown's drain) ends the retries.
        state.tasks.close();
        state.tasks.wait().await;
    }
}
