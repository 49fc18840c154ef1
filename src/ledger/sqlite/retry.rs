//! [`RetryHolds`] on SQLite: the shared lookup from `ledger::ops::retry`
//! run on the worker's connection.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::tx::SqliteTx;
use super::SqliteLedger;
use crate::ledger::ops::{retry, run_ready};
use crate::ledger::rows::to_us;
use crate::ledger::{HoldInfo, LedgerError, RetryHolds, RETRY_LOOKBACK};

#[async_trait]
impl RetryHolds for SqliteLedger {
    async fn retry_hold(
        &self,
        tenant: &str,
        route: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<HoldInfo>, LedgerError> {
        let (tenant, route, fingerprint) = (
            tenant.to_string(),
            route.to_string(),
            fingerprint.to_string(),
        );
        let since = to_us(now - RETRY_LOOKBACK);
        self.worker
            .call(move |c| {
                let hold = run_ready(retry::find(
                    &SqliteTx(c),
                    &tenant,
                    &route,
                    &fingerprint,
                    since,
                ))?;
                Ok(hold.map(|h| h.info()))
            })
            .await
    }
}
