//! The items of v3 batches (`POST /v3/videos/batches`,
//! `/v3/video-translations/batches`, `/v3/lipsyncs/batches`) as their
//! batch owner's resources, from the moment HeyGen's batch status names
//! them rather than from the batch's settlement.
//!
//! A batch is created under one id, and each item becomes a job of its own
//! (a video, a translation) whose id only the batch's status tells; HeyGen's
//! per-item webhooks and the tenant's own reads of an item name that id
//! alone. So every batch status the gateway sees — the settlement poller's
//! and webhook's re-reads, a tenant's read passing through the proxy, and
//! [`discover`]'s reads for events still waiting for an owner — records
//! each item that has an id, whatever its status, as the batch owner's
//! (first owner wins, as everywhere in the registry), and makes parked
//! events naming those ids due at once.

pub(crate) mod discover;

pub(crate) use discover::Discovery;

use crate::catalog::StatusRead;
use crate::ledger::{Ledger, LedgerError, ResourceRecord};
use crate::state::AppState;

/// The registry kind of a batch item.
pub(crate) const ITEM_KIND: &str = "batch_item";

/// Whether `read` is a v3 batch's status read.
pub(crate) fn is_batch(read: &StatusRead) -> bool {
    matches!(
        read,
        StatusRead::V3VideoBatch | StatusRead::V3TranslationBatch | StatusRead::V3LipsyncBatch
    )
}

/// Records the items a successful batch status answer for `path` (the
/// batch's status path, without query) names as the batch owner's.
/// Failures are logged: the next read of the batch tries again.
pub(crate) async fn learn(state: &AppState, path: &str, body: &[u8]) {
    let Some(page) = crate::pricing::batch_page(body) else {
        return;
    };
    let Some(batch_id) = path.trim_end_matches('/').rsplit('/').next() else {
        return;
    };
    let owner = match owner(state.ledger.as_ref(), batch_id).await {
        Ok(Some(tenant)) => tenant,
        // A batch the gateway did not create: its items are nobody's.
        Ok(None) => return,
        Err(e) => return state.note_ledger_error("get_job", &e),
    };
    record(state, &owner, batch_id, &page.item_ids).await;
}

/// The tenant owning a batch: the registry's, else its job's hold's.
async fn owner(ledger: &dyn Ledger, batch_id: &str) -> Result<Option<String>, LedgerError> {
    if let Some(o) = ledger.owner_of(batch_id).await? {
        return Ok(Some(o.tenant));
    }
    Ok(ledger.get_job(batch_id).await?.map(|j| j.tenant))
}

/// Records those of `ids` nobody owns yet as `tenant`'s and wakes the
/// events parked for them; returns how many were new (`None`: the ledger
/// failed, logged). Ids recorded already cost one read and no write, so a
/// tenant polling its batch writes nothing.
pub(crate) async fn record(
    state: &AppState,
    tenant: &str,
    batch_id: &str,
    ids: &[String],
) -> Option<usize> {
    if ids.is_empty() {
        return Some(0);
    }
    let known = match state.ledger.owners_of(ids).await {
        Ok(k) => k,
        Err(e) => {
            state.note_ledger_error("owners_of", &e);
            return None;
        }
    };
    let new: Vec<String> = ids
        .iter()
        .filter(|id| !known.contains_key(*id))
        .cloned()
        .collect();
    if new.is_empty() {
        return Some(0);
    }
    let records: Vec<ResourceRecord> = new
        .iter()
        .map(|id| ResourceRecord::new(id, ITEM_KIND))
        .collect();
    match state.ledger.record_resources(tenant, &records).await {
        Ok(conflicts) => {
            for c in conflicts {
                tracing::warn!(batch_id, tenant, item = %c.resource_id, owner = %c.owner,
                    "A batch item is another tenant's already; left with it.");
            }
        }
        Err(e) => {
            state.note_ledger_error("record_resources", &e);
            return None;
        }
    }
    tracing::debug!(
        batch_id,
        tenant,
        items = new.len(),
        "Batch items recorded as the batch owner's."
    );
    if let Err(e) = state
        .ledger
        .wake_parked_events(&new, state.clock.now())
        .await
    {
        // They are checked again on their own schedule.
        state.note_ledger_error("wake_parked_events", &e);
    }
    Some(new.len())
}
