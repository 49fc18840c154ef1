//! [`ParkedEvents`] on SQLite: each call is one shared operation from
//! `ledger::ops::parked` run on the worker's connection. The worker's
//! closures are 'static, so borrowed arguments travel as owned parts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::tx::SqliteTx;
use super::SqliteLedger;
use crate::ledger::ops::{parked, run_ready};
use crate::ledger::rows::to_us;
use crate::ledger::{
    LedgerError, NewParkedEvent, OpenBatch, ParkOutcome, ParkedEvent, ParkedEvents,
};

type R<T> = Result<T, LedgerError>;

#[async_trait]
impl ParkedEvents for SqliteLedger {
    async fn park_event(
        &self,
        event: &NewParkedEvent,
        check_at: DateTime<Utc>,
        max: u32,
    ) -> R<ParkOutcome> {
        let (event, check, now) = (event.clone(), to_us(check_at), self.now_us());
        self.worker
            .call(move |c| run_ready(parked::park(&SqliteTx(c), &event, max, check, now)))
            .await
    }

    async fn due_parked_events(&self, now: DateTime<Utc>, limit: u32) -> R<Vec<ParkedEvent>> {
        let now = to_us(now);
        self.worker
            .call(move |c| run_ready(parked::claim(&SqliteTx(c), now, limit)))
            .await
    }

    async fn unpark_event(&self, event_id: &str, deliver: Option<(&str, &[String])>) -> R<u32> {
        let id = event_id.to_string();
        let deliver = deliver.map(|(t, e)| (t.to_string(), e.to_vec()));
        let now = self.now_us();
        self.worker
            .call(move |c| {
                let to = deliver.as_ref().map(|(t, e)| (t.as_str(), e.as_slice()));
                run_ready(parked::unpark(&SqliteTx(c), &id, to, now))
            })
            .await
    }

    async fn defer_parked_event(&self, event_id: &str, check_at: DateTime<Utc>) -> R<()> {
        let (id, check) = (event_id.to_string(), to_us(check_at));
        self.worker
            .call(move |c| run_ready(parked::defer(&SqliteTx(c), &id, check)))
            .await
    }

    async fn wake_parked_events(&self, resource_ids: &[String], now: DateTime<Utc>) -> R<u64> {
        if resource_ids.is_empty() {
            return Ok(0);
        }
        let (ids, now) = (resource_ids.to_vec(), to_us(now));
        self.worker
            .call(move |c| run_ready(parked::wake(&SqliteTx(c), &ids, now)))
            .await
    }

    async fn parked_event_count(&self) -> R<u64> {
        self.worker
            .call(|c| run_ready(parked::total(&SqliteTx(c))))
            .await
    }

    async fn open_batches(&self, now: DateTime<Utc>, limit: u32) -> R<Vec<OpenBatch>> {
        let now = to_us(now);
        self.worker
            .call(move |c| run_ready(parked::open_batches(&SqliteTx(c), now, limit)))
            .await
    }
}
