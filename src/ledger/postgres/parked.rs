//! [`ParkedEvents`] on PostgreSQL: each call is one shared operation from
//! `ledger::ops::parked` in its own transaction (retried on deadlock).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::tx::PgTx;
use super::{Fail, PostgresLedger, MAX_ATTEMPTS};
use crate::ledger::ops::parked;
use crate::ledger::rows::to_us;
use crate::ledger::{
    LedgerError, NewParkedEvent, OpenBatch, ParkOutcome, ParkedEvent, ParkedEvents,
};

type R<T> = Result<T, LedgerError>;

#[async_trait]
impl ParkedEvents for PostgresLedger {
    async fn park_event(
        &self,
        event: &NewParkedEvent,
        check_at: DateTime<Utc>,
        max: u32,
    ) -> R<ParkOutcome> {
        let (check, now) = (to_us(check_at), self.now_us());
        in_tx!(self, |tx| parked::park(&PgTx(&tx), event, max, check, now))
    }

    async fn due_parked_events(&self, now: DateTime<Utc>, limit: u32) -> R<Vec<ParkedEvent>> {
        let now = to_us(now);
        in_tx!(self, |tx| parked::claim(&PgTx(&tx), now, limit))
    }

    async fn unpark_event(&self, event_id: &str, deliver: Option<(&str, &[String])>) -> R<u32> {
        let now = self.now_us();
        in_tx!(self, |tx| parked::unpark(
            &PgTx(&tx),
            event_id,
            deliver,
            now
        ))
    }

    async fn defer_parked_event(&self, event_id: &str, check_at: DateTime<Utc>) -> R<()> {
        let check = to_us(check_at);
        in_tx!(self, |tx| parked::defer(&PgTx(&tx), event_id, check))
    }

    async fn wake_parked_events(&self, resource_ids: &[String], now: DateTime<Utc>) -> R<u64> {
        if resource_ids.is_empty() {
            return Ok(0);
        }
        let now = to_us(now);
        in_tx!(self, |tx| parked::wake(&PgTx(&tx), resource_ids, now))
    }

    async fn parked_event_count(&self) -> R<u64> {
        in_tx!(self, |tx| parked::total(&PgTx(&tx)))
    }

    async fn open_batches(&self, now: DateTime<Utc>, limit: u32) -> R<Vec<OpenBatch>> {
        let now = to_us(now);
        in_tx!(self, |tx| parked::open_batches(&PgTx(&tx), now, limit))
    }
}
