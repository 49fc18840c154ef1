//! [`AlertOutbox`] on PostgreSQL: each call is one shared operation from
//! `ledger::ops::alerts` in its own transaction (retried on deadlock).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::tx::PgTx;
use super::{Fail, PostgresLedger, MAX_ATTEMPTS};
use crate::ledger::ops::alerts;
use crate::ledger::rows::to_us;
use crate::ledger::{AlertInfo, AlertOutbox, AlertState, DueAlert, LedgerError, NewAlert};

type R<T> = Result<T, LedgerError>;

#[async_trait]
impl AlertOutbox for PostgresLedger {
    async fn enqueue_alerts(&self, list: &[NewAlert]) -> R<u32> {
        let now = self.now_us();
        in_tx!(self, |tx| alerts::enqueue(&PgTx(&tx), list, now))
    }

    async fn due_alerts(&self, now: DateTime<Utc>, limit: u32) -> R<Vec<DueAlert>> {
        let now = to_us(now);
        in_tx!(self, |tx| alerts::claim(&PgTx(&tx), now, limit))
    }

    async fn alert_result(
        &self,
        id: i64,
        ok: bool,
        status: Option<u16>,
        error: Option<&str>,
        next_attempt_at: DateTime<Utc>,
    ) -> R<AlertState> {
        let (next, now) = (to_us(next_attempt_at), self.now_us());
        in_tx!(self, |tx| alerts::finish(
            &PgTx(&tx),
            id,
            ok,
            status,
            error,
            next,
            now
        ))
    }

    async fn alert_log(&self, limit: u32) -> R<Vec<AlertInfo>> {
        in_tx!(self, |tx| alerts::log(&PgTx(&tx), limit))
    }

    async fn alert_depth(&self) -> R<u64> {
        in_tx!(self, |tx| alerts::depth(&PgTx(&tx)))
    }
}
