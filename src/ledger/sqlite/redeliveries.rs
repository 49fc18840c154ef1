//! [`Redeliveries`] on SQLite: each call is one shared operation from
//! `ledger::ops::redeliver` in the worker's transaction (one writer at a
//! time, so a conditional update cannot race). The worker's closures are
//! 'static, so borrowed arguments travel as owned parts.

use async_trait::async_trait;

use super::tx::SqliteTx;
use super::SqliteLedger;
use crate::ledger::ops::{redeliver, run_ready};
use crate::ledger::{BulkRedelivery, DeadFilter, LedgerError, Redeliveries, Redelivery};

type R<T> = Result<T, LedgerError>;

#[async_trait]
impl Redeliveries for SqliteLedger {
    async fn redeliver(&self, tenant: &str, id: i64) -> R<Redelivery> {
        let (t, now) = (tenant.to_string(), self.now_us());
        self.worker
            .call(move |c| run_ready(redeliver::one(&SqliteTx(c), &t, id, now)))
            .await
    }

    async fn redeliver_dead(&self, filter: &DeadFilter<'_>, limit: u32) -> R<BulkRedelivery> {
        let (t, e) = (
            filter.tenant.to_string(),
            filter.endpoint_id.map(str::to_string),
        );
        let (since, now) = (filter.since, self.now_us());
        self.worker
            .call(move |c| {
                let f = DeadFilter {
                    tenant: &t,
                    since,
                    endpoint_id: e.as_deref(),
                };
                run_ready(redeliver::bulk(&SqliteTx(c), &f, limit, now))
            })
            .await
    }
}
