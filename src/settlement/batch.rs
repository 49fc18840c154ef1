//! Settling a finished v3 batch item by item. The batch's own status has no
//! lengths; it names each item's job once the item exists. Each completed
//! item is read on its own (status, then its file) and priced at its real
//! length; failed items cost nothing; an item whose length cannot be learned
//! (no id on the page, status unreadable) costs its share of the hold, and
//! the batch counts as captured at the estimate. Each learned item id is
//! recorded as the batch owner's, so the tenant can read its items.

use super::length;
use crate::ledger::{JobInfo, ResourceRecord};
use crate::money::Micros;
use crate::pricing::{self, BatchItems, Generation, PriceBook};
use crate::state::AppState;

/// The batch's cost and the settlement source label for it.
pub(super) async fn cost(
    state: &AppState,
    job: &JobInfo,
    book: &PriceBook,
    items: &BatchItems,
    caller: &str,
) -> (Micros, &'static str) {
    if items.total == 0 {
        return (job.held, "estimate");
    }
    record_items(state, job, items).await;
    let share = job.held / i64::try_from(items.total).unwrap_or(i64::MAX).max(1);
    let listed = items.completed.len() as u64 + items.failed;
    let mut unknown = items.total.saturating_sub(listed);
    let mut cost: Micros = 0;
    for path in &items.completed {
        let len = length::follow(state, &job.job_id, path, caller).await;
        let priced = len.ms.and_then(|ms| {
            let ms = ms.min(super::MAX_JOB_DURATION_MS);
            pricing::settle_cost_in(book, &job.feature, Generation::V3, ms)
        });
        match priced {
            Some(c) => cost = cost.saturating_add(c),
            None => unknown += 1,
        }
    }
    let unknown_cost = share.saturating_mul(i64::try_from(unknown).unwrap_or(i64::MAX));
    cost = cost.saturating_add(unknown_cost);
    tracing::info!(job_id = %job.job_id, items = items.total, completed = items.completed.len(),
        failed = items.failed, unknown, "Batch settled item by item.");
    (cost, if unknown == 0 { "status" } else { "estimate" })
}

async fn record_items(state: &AppState, job: &JobInfo, items: &BatchItems) {
    let records: Vec<ResourceRecord> = items
        .completed
        .iter()
        .filter_map(|path| path.rsplit('/').next())
        .map(|id| ResourceRecord::new(id, "batch_item"))
        .collect();
    if records.is_empty() {
        return;
    }
    if let Err(e) = state.ledger.record_resources(&job.tenant, &records).await {
        state.note_ledger_error("record_resources", &e);
    }
}
