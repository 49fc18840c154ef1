//! [`Redeliveries`] on PostgreSQL: each call is one shared operation from
//! `ledger::ops::redeliver` in its own transaction (retried on deadlock).

use async_trait::async_trait;

use super::tx::PgTx;
use super::{Fail, PostgresLedger, MAX_ATTEMPTS};
use crate::ledger::ops::redeliver;
use crate::ledger::{BulkRedelivery, DeadFilter, LedgerError, Redeliveries, Redelivery};

type R<T> = Result<T, LedgerError>;

#[async_trait]
impl Redeliveries for PostgresLedger {
    async fn redeliver(&self, tenant: &str, id: i64) -> R<Redelivery> {
        let now = self.now_us();
        in_tx!(self, |tx| redeliver::one(&PgTx(&tx), tenant, id, now))
    }

    async fn redeliver_dead(&self, filter: &DeadFilter<'_>, limit: u32) -> R<BulkRedelivery> {
        let now = self.now_us();
        in_tx!(self, |tx| redeliver::bulk(&PgTx(&tx), filter, limit, now))
    }
}
