//! [`AlertOutbox`] on SQLite: each call is one shared operation from
//! `ledger::ops::alerts` run in the worker's group-commit transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::tx::SqliteTx;
use super::SqliteLedger;
use crate::ledger::ops::{alerts, run_ready};
use crate::ledger::rows::to_us;
use crate::ledger::{AlertInfo, AlertOutbox, AlertState, DueAlert, LedgerError, NewAlert};

type R<T> = Result<T, LedgerError>;

#[async_trait]
impl AlertOutbox for SqliteLedger {
    async fn enqueue_alerts(&self, list: &[NewAlert]) -> R<u32> {
        let (list, now) = (list.to_vec(), self.now_us());
        self.worker
            .call(move |c| run_ready(alerts::enqueue(&SqliteTx(c), &list, now)))
            .await
    }

    async fn due_alerts(&self, now: DateTime<Utc>, limit: u32) -> R<Vec<DueAlert>> {
        let now = to_us(now);
        self.worker
            .call(move |c| run_ready(alerts::claim(&SqliteTx(c), now, limit)))
            .await
    }

    async fn alert_result(
        &self,
        id: i64,
        ok: bool,
        status: Option<u16>,
        error: Option<&str>,
        next_attempt_at: DateTime<Utc>,
    ) -> R<AlertState> {
        let (err, next, now) = (
            error.map(str::to_string),
            to_us(next_attempt_at),
            self.now_us(),
        );
        self.worker
            .call(move |c| {
                run_ready(alerts::finish(
                    &SqliteTx(c),
                    id,
                    ok,
                    status,
                    err.as_deref(),
                    next,
                    now,
                ))
            })
            .await
    }

    async fn alert_log(&self, limit: u32) -> R<Vec<AlertInfo>> {
        self.worker
            .call(move |c| run_ready(alerts::log(&SqliteTx(c), limit)))
            .await
    }

    async fn alert_depth(&self) -> R<u64> {
        self.worker
            .call(|c| run_ready(alerts::depth(&SqliteTx(c))))
            .await
    }
}
