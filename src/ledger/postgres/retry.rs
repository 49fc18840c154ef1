//! [`RetryHolds`] on PostgreSQL: the shared lookup from `ledger::ops::retry`
//! in its own transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::tx::PgTx;
use super::{Fail, PostgresLedger, MAX_ATTEMPTS};
use crate::ledger::ops::retry::{self, Takeover};
use crate::ledger::rows::to_us;
use crate::ledger::{HoldInfo, LedgerError, RetryHolds, RETRY_LOOKBACK};

impl PostgresLedger {
    async fn find_retry_hold(
        &self,
        (tenant, route, fingerprint): (&str, &str, &str),
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

#[async_trait]
impl RetryHolds for PostgresLedger {
    async fn retry_hold(
        &self,
        tenant: &str,
        route: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<HoldInfo>, LedgerError> {
        let request = (tenant, route, fingerprint);
        self.find_retry_hold(request, now, Takeover::Job).await
    }

    async fn retry_session_hold(
        &self,
        tenant: &str,
        route: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<HoldInfo>, LedgerError> {
        let takeover = Takeover::Session {
            until_us: to_us(until),
        };
        let request = (tenant, route, fingerprint);
        self.find_retry_hold(request, now, takeover).await
    }
}
