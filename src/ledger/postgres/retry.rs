//! [`RetryHolds`] on PostgreSQL: the shared lookup from `ledger::ops::retry`
//! in its own transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::tx::PgTx;
use super::{Fail, PostgresLedger, MAX_ATTEMPTS};
use crate::ledger::ops::retry;
use crate::ledger::rows::to_us;
use crate::ledger::{HoldInfo, LedgerError, RetryHolds, Takeover, RETRY_LOOKBACK};

#[async_trait]
impl RetryHolds for PostgresLedger {
    async fn retry_hold(
        &self,
        tenant: &str,
        route: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        takeover: Takeover,
    ) -> Result<Option<HoldInfo>, LedgerError> {
        let since = to_us(now - RETRY_LOOKBACK);
        let hold = in_tx!(self, |tx| retry::find(
            &PgTx(&tx),
            tenant,
            route,
            fingerprint,
            since,
            takeover
        ))?;
        Ok(hold.map(|h| h.info()))
    }
}
