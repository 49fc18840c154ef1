//! Batched admission: holds asked of one replica at the same time are
//! decided together in one transaction — one lock of each counter row, one
//! round trip of writes and one WAL flush per batch — instead of queueing
//! one by one behind the org's counter-row locks. The decision per hold is
//! [`ops::hold_batch`]'s, identical to a lone [`ops::hold`].
//!
//! One task per ledger drains the queue: while a batch commits, the next
//! one gathers, so the batch size follows the load by itself (one hold when
//! idle, up to [`MAX_BATCH`] under load) and adds no timer latency.
//!
//! A hold still waiting in the queue when its caller's patience runs out
//! (PostgreSQL hung, not down: a batch's commit never returns) is
//! withdrawn and reported unavailable, so billable requests are refused
//! with 503 instead of waiting for as long as the database does. One
//! already taken into a batch is not: it may commit, and a caller told
//! "unavailable" while its hold exists would be charged for it at expiry.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot};

use super::tx::PgTx;
use super::{pool_err, Fail, MAX_ATTEMPTS};
use crate::ledger::ops::{self, BatchItem};
use crate::ledger::types::{HoldDecision, HoldRequest, LedgerError};
use crate::ledger::window::Periods;

/// Holds per transaction at most; bounds the time a batch keeps the
/// counter rows locked (and so the wait of the other replicas).
const MAX_BATCH: usize = 128;

type Reply = oneshot::Sender<Result<HoldDecision, LedgerError>>;

struct Queued {
    item: BatchItem,
    reply: Reply,
    /// Who has the hold: [`QUEUED`], then [`TAKEN`] by a batch or
    /// [`WITHDRAWN`] by its caller, whichever comes first.
    claim: Arc<AtomicU8>,
}

const QUEUED: u8 = 0;
const TAKEN: u8 = 1;
const WITHDRAWN: u8 = 2;

/// The queue in front of the batching task.
pub(super) struct HoldQueue {
    tx: mpsc::UnboundedSender<Queued>,
    /// How long a hold may wait in the queue before it is withdrawn.
    patience: Duration,
}

impl HoldQueue {
    /// Starts the batching task on the current runtime.
    pub(super) fn start(pool: Pool, patience: Duration) -> HoldQueue {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(serve(pool, rx));
        HoldQueue { tx, patience }
    }

    /// Queues a hold and waits for its batch to commit.
    pub(super) async fn hold(
        &self,
        req: HoldRequest,
        hold_id: String,
    ) -> Result<HoldDecision, LedgerError> {
        let (reply, mut answer) = oneshot::channel();
        let claim = Arc::new(AtomicU8::new(QUEUED));
        let stopped = || LedgerError::Unavailable("ledger batching task stopped".into());
        self.tx
            .send(Queued {
                item: BatchItem { req, hold_id },
                reply,
                claim: claim.clone(),
            })
            .map_err(|_| stopped())?;
        if let Ok(answered) = tokio::time::timeout(self.patience, &mut answer).await {
            return answered.map_err(|_| stopped())?;
        }
        let withdrawn =
            claim.compare_exchange(QUEUED, WITHDRAWN, Ordering::AcqRel, Ordering::Acquire);
        if withdrawn.is_ok() {
            return Err(LedgerError::Unavailable(format!(
                "PostgreSQL took no hold for {} s (the batch before it has not committed); \
                 nothing was held",
                self.patience.as_secs()
            )));
        }
        // In a batch already: only its commit or failure can answer.
        answer.await.map_err(|_| stopped())?
    }
}

/// Ends when every [`HoldQueue`] handle is gone (the ledger was dropped).
async fn serve(pool: Pool, mut rx: mpsc::UnboundedReceiver<Queued>) {
    let mut queued = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut queued, MAX_BATCH).await > 0 {
        // Holds their callers withdrew are dropped unsent: nobody waits
        // for them, and nothing of them was written.
        queued.retain(|q| {
            q.claim
                .compare_exchange(QUEUED, TAKEN, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        });
        for group in by_periods(std::mem::take(&mut queued)) {
            run_group(&pool, group).await;
        }
    }
}

/// Splits a drain at period boundaries (rare: a batch spanning midnight),
/// keeping arrival order, because one decision reads one period's rows.
fn by_periods(queued: Vec<Queued>) -> Vec<Vec<Queued>> {
    let mut groups: Vec<(Periods, Vec<Queued>)> = Vec::new();
    for q in queued {
        let periods = Periods::at(q.item.req.now, q.item.req.tz);
        match groups.iter_mut().find(|(p, _)| *p == periods) {
            Some((_, g)) => g.push(q),
            None => groups.push((periods, vec![q])),
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

/// Decides one group in one transaction, retried whole on deadlock or
/// serialization failure (nobody has been answered yet), then answers
/// every caller — only after the commit, so "held" is always durable.
async fn run_group(pool: &Pool, group: Vec<Queued>) {
    let (items, replies): (Vec<BatchItem>, Vec<Reply>) =
        group.into_iter().map(|q| (q.item, q.reply)).unzip();
    let mut attempt = 0;
    let outcome = loop {
        attempt += 1;
        match attempt_group(pool, &items).await {
            Err(e) if e.retryable() && attempt < MAX_ATTEMPTS => {
                tracing::warn!(attempt, error = ?e, "ledger hold batch retried");
            }
            other => break other.map_err(Fail::into_ledger),
        }
    };
    match outcome {
        Ok(decisions) => {
            for (reply, d) in replies.into_iter().zip(decisions) {
                // A caller that went away still has its hold; admission
                // runs in a task that outlives the request, so this is rare.
                let _ = reply.send(d);
            }
        }
        Err(e) => {
            for reply in replies {
                let _ = reply.send(Err(e.clone()));
            }
        }
    }
}

async fn attempt_group(
    pool: &Pool,
    items: &[BatchItem],
) -> Result<Vec<Result<HoldDecision, LedgerError>>, Fail> {
    let mut client = pool.get().await.map_err(|e| Fail::Ledger(pool_err(e)))?;
    let tx = client.transaction().await?;
    let decisions = ops::hold_batch(&PgTx(&tx), items).await?;
    tx.commit().await?;
    Ok(decisions)
}
