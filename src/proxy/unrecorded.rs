//! Jobs HeyGen created whose record the ledger did not take (PostgreSQL
//! down or failing between HeyGen's answer and the write). The tenant has
//! its answer already; without the record the job is nobody's (the tenant
//! cannot read it), it is settled at its projection when the hold expires,
//! and it takes a render slot meanwhile. The write is idempotent (a repeat
//! changes nothing), so it is retried in the background until it lands or
//! [`RETRY_FOR`] has passed; each failure names the hold, the tenant and
//! the job ids, so ops can `assign` the job if every retry fails.

use std::sync::Arc;
use std::time::Duration;

use crate::ledger::JobRecord;
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
    error: &crate::ledger::LedgerError,
) {
    let ids = job_ids(jobs);
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
        // A shutdown ends the retries (a drain waits for this task): the
        // hold stays, and the log line below says what ops can do.
        while waited < RETRY_FOR && !st.is_draining() {
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
                Err(e) => st.note_ledger_error("submit", &e),
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
