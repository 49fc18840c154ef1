//! Embedded SQLite backend: one file, WAL, `synchronous=FULL`, one
//! connection owned by a dedicated thread that group-commits (see `worker`).
//!
//! This file holds the ledger type, expiry and the `Ledger` impl; opening is
//! in `open`, error mapping and row access in `access`.

mod access;
mod agent_videos;
mod alerts;
mod asset_media;
mod books;
mod idem;
mod open;
mod parked;
mod read;
mod redeliveries;
mod registry;
mod retry;
mod schema;
pub(crate) use schema::user_version;
mod sessions;
mod tx;
mod webhooks;
mod worker;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rusqlite::Connection;

use super::decide::new_hold_id;
use super::ops::{self, run_ready, Tx};
use super::rows::{from_us, to_us, EXPIRE_DUE_SQL};
use super::{usage_keys, usage_report, Ledger, IDEMPOTENCY_TTL};
use crate::clock::Clock;
use crate::config::Budgets;
use crate::ledger::types::*;
use crate::money::Micros;
pub(super) use access::{query_rows, sql_err, SqlRow};
use tx::SqliteTx;
use worker::Worker;

/// Holds expired per `expire_holds` call; the caller loops on a timer.
const EXPIRE_BATCH: u32 = 1000;

/// The SQLite ledger.
pub struct SqliteLedger {
    worker: Worker,
    clock: Arc<dyn Clock>,
}

/// Expires up to [`EXPIRE_BATCH`] due holds in one transaction; also purges
/// stale idempotency keys.
fn expire(
    conn: &Connection,
    now_us: i64,
    idem_cutoff_us: i64,
) -> Result<Vec<ExpiredHold>, LedgerError> {
    idem::purge(conn, idem_cutoff_us)?;
    let ids = query_rows(
        conn,
        EXPIRE_DUE_SQL,
        rusqlite::params![now_us, EXPIRE_BATCH],
        |r| r.0.get::<_, String>(0).map_err(sql_err),
    )?;
    let tx = SqliteTx(conn);
    let mut out = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        out.extend(run_ready(ops::expire_one(&tx, id, now_us))?);
        if i == 0 {
            crate::faultpoint::hit(crate::faultpoint::EXPIRY_AFTER_FIRST_HOLD);
        }
    }
    Ok(out)
}

#[async_trait]
impl Ledger for SqliteLedger {
    async fn hold(&self, req: HoldRequest) -> Result<HoldDecision, LedgerError> {
        let id = new_hold_id();
        self.worker
            .call(move |c| run_ready(ops::hold(&SqliteTx(c), &req, &id)))
            .await
    }

    async fn submit(&self, hold_id: &str, jobs: &[JobRecord]) -> Result<(), LedgerError> {
        let (id, jobs, now) = (hold_id.to_string(), jobs.to_vec(), self.now_us());
        self.worker
            .call(move |c| run_ready(ops::submit(&SqliteTx(c), &id, &jobs, &[], now)))
            .await
    }

    async fn release(&self, hold_id: &str, reason: &str) -> Result<(), LedgerError> {
        let (id, reason, now) = (hold_id.to_string(), reason.to_string(), self.now_us());
        self.worker
            .call(move |c| run_ready(ops::release(&SqliteTx(c), &id, &reason, now)))
            .await
    }

    async fn capture_hold(&self, hold_id: &str, amount: Micros) -> Result<Settlement, LedgerError> {
        let (id, now) = (hold_id.to_string(), self.now_us());
        self.worker
            .call(move |c| run_ready(ops::capture(&SqliteTx(c), &id, amount, now)))
            .await
    }

    async fn settle_job(
        &self,
        job_id: &str,
        outcome: JobSettlement,
        source: &str,
    ) -> Result<SettleResult, LedgerError> {
        let (id, source, now) = (job_id.to_string(), source.to_string(), self.now_us());
        self.worker
            .call(move |c| run_ready(ops::settle_job(&SqliteTx(c), &id, outcome, &source, now)))
            .await
    }

    async fn expire_holds(&self, now: DateTime<Utc>) -> Result<Vec<ExpiredHold>, LedgerError> {
        let cutoff = to_us(now - IDEMPOTENCY_TTL);
        self.worker
            .call(move |c| expire(c, to_us(now), cutoff))
            .await
    }

    async fn adjust(&self, adj: Adjustment) -> Result<AdjustOutcome, LedgerError> {
        self.worker
            .call(move |c| run_ready(ops::adjust(&SqliteTx(c), &adj)))
            .await
    }

    async fn idem_begin(
        &self,
        tenant: &str,
        key: &str,
        body_hash: [u8; 32],
        now: DateTime<Utc>,
        lease: std::time::Duration,
    ) -> Result<IdemBegin, LedgerError> {
        let (tenant, key) = (tenant.to_string(), key.to_string());
        let at = IdemCutoffs::new(now, lease);
        self.worker
            .call(move |c| idem::begin(c, &tenant, &key, &body_hash, at))
            .await
    }

    async fn idem_complete(
        &self,
        tenant: &str,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), LedgerError> {
        let (tenant, key, resp) = (tenant.to_string(), key.to_string(), response.clone());
        self.worker
            .call(move |c| idem::complete(c, &tenant, &key, &resp))
            .await
    }

    async fn idem_abandon(&self, tenant: &str, key: &str) -> Result<(), LedgerError> {
        let (tenant, key) = (tenant.to_string(), key.to_string());
        self.worker
            .call(move |c| idem::abandon(c, &tenant, &key))
            .await
    }

    async fn usage(
        &self,
        scopes: &[(Scope, Budgets)],
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<Vec<ScopeUsage>, LedgerError> {
        let scopes = scopes.to_vec();
        self.worker
            .call(move |c| {
                let mut counters = HashMap::new();
                for key in usage_keys(&scopes, tz, now) {
                    let v = read::counter(c, &key)?;
                    counters.insert(key, v);
                }
                Ok(usage_report(&scopes, tz, now, &counters))
            })
            .await
    }

    async fn get_hold(&self, hold_id: &str) -> Result<Option<HoldInfo>, LedgerError> {
        let id = hold_id.to_string();
        self.worker
            .call(move |c| Ok(tx::load_hold(c, &id)?.map(|h| h.info())))
            .await
    }

    async fn get_job(&self, job_id: &str) -> Result<Option<JobInfo>, LedgerError> {
        let id = job_id.to_string();
        self.worker.call(move |c| read::get_job(c, &id)).await
    }

    async fn list_holds(&self, filter: HoldFilter) -> Result<Vec<HoldInfo>, LedgerError> {
        self.worker
            .call(move |c| read::list_holds(c, &filter))
            .await
    }

    async fn journal(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<JournalEntry>, LedgerError> {
        let (from, to) = (to_us(from), to_us(to));
        self.worker
            .call(move |c| read::journal(c, from, to, after_seq, limit))
            .await
    }

    async fn journal_newest(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<JournalEntry>, LedgerError> {
        let (from, to) = (to_us(from), to_us(to));
        self.worker
            .call(move |c| read::journal_newest(c, from, to, limit))
            .await
    }

    async fn open_holds(&self) -> Result<(u64, Option<DateTime<Utc>>), LedgerError> {
        let (n, oldest) = self.worker.call(read::open_holds).await?;
        Ok((n, oldest.map(from_us)))
    }

    async fn renders_in_flight(
        &self,
        scope: &Scope,
        held_since: DateTime<Utc>,
    ) -> Result<u32, LedgerError> {
        let tenant = scope.tenant().map(str::to_string);
        let since = to_us(held_since);
        self.worker
            .call(move |c| {
                let n = run_ready(SqliteTx(c).count_renders(tenant.as_deref(), since))?;
                Ok(u32::try_from(n).unwrap_or(u32::MAX))
            })
            .await
    }

    async fn jobs_to_poll(
        &self,
        submitted_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PendingJob>, LedgerError> {
        let before = to_us(submitted_before);
        self.worker
            .call(move |c| read::jobs_to_poll(c, before, limit))
            .await
    }

    async fn ping(&self) -> Result<(), LedgerError> {
        self.worker
            .call(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(sql_err))
            .await
    }
}
