//! Reading open batches' statuses for their items' ids when an event waits
//! for an owner nobody has recorded yet (`fanout::parked` asks). HeyGen's
//! event for a batch item may arrive before anything else read the batch
//! (the poller backs off up to 30 minutes), so the batches the ledger still
//! has open are read here, few at a time:
//!
//! - at most [`READS_PER_PASS`] batches a pass, those read least recently
//!   first, so every open batch gets its turn;
//! - one batch at most every [`REREAD`];
//! - never again once a read named an id for every item (ids do not
//!   change), which is within minutes of the batch's creation.
//!
//! The memory is this process's: replicas may each read a batch once.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::time::Instant;

use crate::ledger::OpenBatch;
use crate::state::AppState;

/// Batches read per pass at most.
pub(crate) const READS_PER_PASS: usize = 4;
/// How soon one batch is read again at most.
pub(crate) const REREAD: Duration = Duration::from_secs(30);
/// Open batches looked at per pass (newest first).
const OPEN_SCAN: u32 = 1000;
/// Pages read of one batch (a batch holds at most 100 items, a page 100).
const MAX_PAGES: usize = 3;

/// What this process read of each open batch.
#[derive(Default)]
pub(crate) struct Discovery {
    /// When each batch was last read; `None` once every item had an id.
    read: HashMap<String, Option<Instant>>,
}

impl Discovery {
    /// Reads the open batches due a read; returns how many item ids were
    /// newly recorded.
    pub(crate) async fn pass(&mut self, state: &AppState) -> usize {
        let open = match state
            .ledger
            .open_batches(state.clock.now(), OPEN_SCAN)
            .await
        {
            Ok(o) => o,
            Err(e) => {
                state.note_ledger_error("open_batches", &e);
                return 0;
            }
        };
        let live: HashSet<&str> = open.iter().map(|b| b.batch_id.as_str()).collect();
        self.read.retain(|id, _| live.contains(id.as_str()));
        let now = Instant::now();
        let mut due: Vec<(Option<Instant>, &OpenBatch)> = open
            .iter()
            .filter_map(|b| match self.read.get(&b.batch_id) {
                None => Some((None, b)),
                Some(Some(at)) if now.duration_since(*at) >= REREAD => Some((Some(*at), b)),
                Some(_) => None,
            })
            .collect();
        // Never read first, then the longest ago (`None` sorts first).
        due.sort_by_key(|(at, _)| *at);
        let mut learned = 0;
        for (_, batch) in due.into_iter().take(READS_PER_PASS) {
            let (new, complete) = read_batch(state, batch).await;
            learned += new;
            let next = (!complete).then(Instant::now);
            self.read.insert(batch.batch_id.clone(), next);
        }
        learned
    }
}

/// Reads every page of one batch's status; returns the ids newly recorded
/// and whether every item had an id.
async fn read_batch(state: &AppState, batch: &OpenBatch) -> (usize, bool) {
    let mut token: Option<String> = None;
    let (mut learned, mut seen) = (0, 0u64);
    for _ in 0..MAX_PAGES {
        let target = crate::pricing::batch_status::page_path(&batch.status_path, token.as_deref());
        let body = match state.upstream.get_json(&target).await {
            Ok((status, body)) if (200..300).contains(&status) => body,
            Ok((status, _)) => {
                tracing::debug!(batch_id = %batch.batch_id, status, "Batch status read refused; read again later.");
                return (learned, false);
            }
            Err(e) => {
                tracing::debug!(batch_id = %batch.batch_id, error = %e, "Batch status read failed; read again later.");
                return (learned, false);
            }
        };
        let Some(page) = crate::pricing::batch_page(&body) else {
            return (learned, false);
        };
        seen += page.item_ids.len() as u64;
        match super::record(state, &batch.tenant, &batch.batch_id, &page.item_ids).await {
            Some(n) => learned += n,
            None => return (learned, false),
        }
        match page.next_token {
            Some(next) => token = Some(next),
            None => return (learned, page.total.is_some_and(|t| seen >= t)),
        }
    }
    (learned, false)
}
