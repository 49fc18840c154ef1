//! [`RetryHolds`] on SQLite: the shared lookup from `ledger::ops::retry`
//! run on the worker's connection.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::tx::SqliteTx;
use super::SqliteLedger;
use crate::ledger::ops::{retry, run_ready};
use crate::ledger::rows::to_us;
use crate::ledger::{HoldInfo, LedgerError, RetryHolds, Takeover, RETRY_LOOKBACK};

#[async_trait]
impl RetryHolds for SqliteLedger {
    async fn retry_hold(
        &self,
        tenant: &str,
        route: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        takeover: Takeover,
    ) -> Result<Option<HoldInfo>, LedgerError> {
        let (tenant, route, fingerprint) = (
            tenant.to_string(),
            route.to_string(),
            fingerprint.to_string(),
        );
        let since = to_us(now - RETRY_LOOKBACK);
        self.worker
            .call(move |c| {
                let tx = SqliteTx(c);
                let found = retry::find(&tx, &tenant, &route, &fingerprint, since, takeover);
                Ok(run_ready(found)?.map(|h| h.info()))
            })
            .await
    }
}
