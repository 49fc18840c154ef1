//! PostgreSQL backend for replicas sharing budgets: a deadpool pool,
//! migrations applied at connect, row locks for atomic holds (see `ops`).
//!
//! This file holds the ledger type, the transaction macros and the `Ledger`
//! impl; connecting is in `connect`, the error and row types in `fail`.

mod batch;
mod connect;
mod fail;
mod idem;
mod params;
mod read;
mod schema;
pub(crate) use schema::CURRENT as SCHEMA_VERSION;
mod tls;
mod tx;
mod verify;
pub(crate) use connect::pg_config;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use deadpool_postgres::Pool;

use super::decide::new_hold_id;
use super::ops;
use super::rows::{from_us, to_us};
use super::{usage_keys, usage_report, Ledger, IDEMPOTENCY_TTL};
use crate::clock::Clock;
use crate::config::Budgets;
use crate::ledger::types::*;
use crate::money::Micros;
use fail::{pg_err, pool_err};
pub(super) use fail::{Fail, PgRow};
use tx::PgTx;

/// Holds expired per `expire_holds` call; the caller loops on a timer.
const EXPIRE_BATCH: u32 = 1000;
/// Attempts of a transaction that hit a deadlock or serialization failure.
pub(super) const MAX_ATTEMPTS: u32 = 5;

/// The PostgreSQL ledger.
pub struct PostgresLedger {
    pool: Pool,
    clock: Arc<dyn Clock>,
    /// Holds go through the batching task (see `batch`).
    holds: batch::HoldQueue,
}

/// Runs `$body` (an expression using the transaction `$tx`) in a fresh
/// transaction, commits, and retries on deadlock or serialization failure.
macro_rules! in_tx {
    ($self:ident, |$tx:ident| $body:expr) => {{
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut client = $self.client().await?;
            let result: Result<_, Fail> = async {
                let $tx = client.transaction().await?;
                let out = $body.await?;
                $tx.commit().await?;
                Ok(out)
            }
            .await;
            match result {
                Err(e) if e.retryable() && attempt < MAX_ATTEMPTS => {
                    tracing::warn!(attempt, error = ?e, "ledger transaction retried");
                    continue;
                }
                other => break other.map_err(Fail::into_ledger),
            }
        }
    }};
}

/// Runs `$body` (using the pooled client `$c`) outside a transaction.
macro_rules! on_client {
    ($self:ident, |$c:ident| $body:expr) => {{
        let $c = $self.client().await?;
        $body.await.map_err(Fail::into_ledger)
    }};
}

mod agent_videos;
mod alerts;
mod asset_media;
mod books;
mod parked;
mod redeliveries;
mod registry;
mod retry;
mod sessions;

#[async_trait]
impl Ledger for PostgresLedger {
    async fn hold(&self, req: HoldRequest) -> Result<HoldDecision, LedgerError> {
        self.holds.hold(req, new_hold_id()).await
    }

    async fn submit(&self, hold_id: &str, jobs: &[JobRecord]) -> Result<(), LedgerError> {
        let now = self.now_us();
        in_tx!(self, |tx| ops::submit(&PgTx(&tx), hold_id, jobs, &[], now))
    }

    async fn release(&self, hold_id: &str, reason: &str) -> Result<(), LedgerError> {
        let now = self.now_us();
        in_tx!(self, |tx| ops::release(&PgTx(&tx), hold_id, reason, now))
    }

    async fn capture_hold(&self, hold_id: &str, amount: Micros) -> Result<Settlement, LedgerError> {
        let now = self.now_us();
        in_tx!(self, |tx| ops::capture(&PgTx(&tx), hold_id, amount, now))
    }

    async fn settle_job(
        &self,
        job_id: &str,
        outcome: JobSettlement,
        source: &str,
    ) -> Result<SettleResult, LedgerError> {
        let now = self.now_us();
        in_tx!(self, |tx| ops::settle_job(
            &PgTx(&tx),
            job_id,
            outcome,
            source,
            now
        ))
    }

    async fn expire_holds(&self, now: DateTime<Utc>) -> Result<Vec<ExpiredHold>, LedgerError> {
        let now_us = to_us(now);
        let cutoff = to_us(now - IDEMPOTENCY_TTL);
        on_client!(self, |c| idem::purge(&c, cutoff))?;
        let ids = on_client!(self, |c| read::expired_hold_ids(&c, now_us, EXPIRE_BATCH))?;
        let mut out = Vec::new();
        // One transaction per hold keeps each within the global lock order.
        for (i, id) in ids.iter().enumerate() {
            if let Some(x) = in_tx!(self, |tx| ops::expire_one(&PgTx(&tx), id, now_us))? {
                out.push(x);
            }
            if i == 0 {
                crate::faultpoint::hit(crate::faultpoint::EXPIRY_AFTER_FIRST_HOLD);
            }
        }
        Ok(out)
    }

    async fn adjust(&self, adj: Adjustment) -> Result<AdjustOutcome, LedgerError> {
        in_tx!(self, |tx| ops::adjust(&PgTx(&tx), &adj))
    }

    async fn idem_begin(
        &self,
        tenant: &str,
        key: &str,
        body_hash: [u8; 32],
        now: DateTime<Utc>,
        lease: std::time::Duration,
    ) -> Result<IdemBegin, LedgerError> {
        let at = IdemCutoffs::new(now, lease);
        in_tx!(self, |tx| idem::begin(&tx, tenant, key, &body_hash, at))
    }

    async fn idem_complete(
        &self,
        tenant: &str,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), LedgerError> {
        on_client!(self, |c| idem::complete(&c, tenant, key, response))
    }

    async fn idem_abandon(&self, tenant: &str, key: &str) -> Result<(), LedgerError> {
        on_client!(self, |c| idem::abandon(&c, tenant, key))
    }

    async fn usage(
        &self,
        scopes: &[(Scope, Budgets)],
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<Vec<ScopeUsage>, LedgerError> {
        let keys = usage_keys(scopes, tz, now);
        let counters = on_client!(self, |c| read::counters(&c, &keys))?;
        Ok(usage_report(scopes, tz, now, &counters))
    }

    async fn get_hold(&self, hold_id: &str) -> Result<Option<HoldInfo>, LedgerError> {
        let h = on_client!(self, |c| tx::load_hold(&c, hold_id, false))?;
        Ok(h.map(|h| h.info()))
    }

    async fn list_holds(&self, filter: HoldFilter) -> Result<Vec<HoldInfo>, LedgerError> {
        on_client!(self, |c| read::list_holds(&c, &filter))
    }

    async fn journal(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<JournalEntry>, LedgerError> {
        on_client!(self, |c| read::journal(
            &c,
            to_us(from),
            to_us(to),
            after_seq,
            limit
        ))
    }

    async fn journal_newest(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<JournalEntry>, LedgerError> {
        on_client!(self, |c| read::journal_newest(
            &c,
            to_us(from),
            to_us(to),
            limit
        ))
    }

    async fn open_holds(&self) -> Result<(u64, Option<DateTime<Utc>>), LedgerError> {
        let (n, oldest) = on_client!(self, |c| read::open_holds(&c))?;
        Ok((n, oldest.map(from_us)))
    }

    async fn renders_in_flight(
        &self,
        scope: &Scope,
        held_since: DateTime<Utc>,
    ) -> Result<u32, LedgerError> {
        let since = to_us(held_since);
        let n = on_client!(self, |c| tx::count_renders(&c, scope.tenant(), since))?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn get_job(&self, job_id: &str) -> Result<Option<JobInfo>, LedgerError> {
        let id = job_id.to_string();
        on_client!(self, |c| read::get_job(&c, &id))
    }

    async fn jobs_to_poll(
        &self,
        submitted_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PendingJob>, LedgerError> {
        let before = to_us(submitted_before);
        on_client!(self, |c| read::jobs_to_poll(&c, before, limit))
    }

    async fn ping(&self) -> Result<(), LedgerError> {
        let client = self.client().await?;
        client.simple_query("SELECT 1").await.map_err(pg_err)?;
        Ok(())
    }
}
