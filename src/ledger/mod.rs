//! The durable credit ledger: holds against org and tenant budgets, their
//! settlement, the append-only journal and idempotency keys.
//!
//! Two backends implement [`Ledger`] with identical semantics: embedded
//! SQLite (one replica, the default) and PostgreSQL (replicas sharing
//! budgets). What they share lives here once: window math ([`window`]), the
//! budget decision (`decide`), lifecycle arithmetic (`lifecycle`: pure
//! plans for submit, release, capture, job settlement, expiry), row shapes
//! (`rows`), and the order of every write's steps (`ops`, generic over the
//! backend's transaction primitives). A backend supplies only those
//! primitives, its reads, its idempotency SQL and its transactions.
//!
//! Every hold touches eight counter rows (tenant and org × daily, weekly,
//! monthly, total) in the periods current at hold time, whether or not a
//! budget is configured, so a budget added on reload sees real usage. A
//! settlement adjusts those same rows: a charge stays in the period where
//! it was held.

mod agent_videos;
mod alert_outbox;
mod asset_media;
pub mod audit;
mod books;
mod decide;
mod lifecycle;
mod open;
mod ops;
mod parked_events;
pub(crate) use open::store_password;
pub use open::{open_ledger, open_ledger_in, open_ledger_with_clock};
pub mod postgres;
mod redeliveries;
mod registry;
mod resources;
mod retry;
mod rows;
mod schema;
mod schema_version;
mod session_types;
pub mod sqlite;
mod types;
mod unconfirmed_stops;
pub mod window;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub use agent_videos::{AgentVideos, OpenSession, PlaceholderBind};
pub use alert_outbox::*;
pub use asset_media::{AssetLengths, AssetMedia, MAX_ASSET_LOOKUP};
pub use books::{BookRecord, PriceBookHistory};
pub use ops::contacts::{placeholder_id, CONTACT_PREFIX};
pub use ops::placeholders::{agent_placeholder_id, placeholder_key, AGENT_PREFIX};
pub use parked_events::{NewParkedEvent, OpenBatch, ParkOutcome, ParkedEvent, ParkedEvents};
pub use postgres::PostgresLedger;
pub use redeliveries::*;
pub use registry::Registry;
pub use resources::*;
pub use retry::{RetryHolds, Takeover, RETRY_LOOKBACK};
pub use schema_version::{SchemaVersion, SchemaVersions};
pub use session_types::*;
pub use sqlite::SqliteLedger;
pub use types::*;
pub use unconfirmed_stops::UnconfirmedStops;
pub use window::{Periods, Window};

use crate::config::Budgets;
use crate::money::Micros;

/// How long an idempotency key is remembered.
pub const IDEMPOTENCY_TTL: chrono::Duration = chrono::Duration::hours(24);

/// Storage of holds, settlements, journal and idempotency keys; also a
/// [`Registry`] (resource owners, webhook endpoints, outbox), an
/// [`AlertOutbox`] (ops alerts), [`AssetLengths`] (uploads' lengths),
/// [`RetryHolds`] (the hold a retried idempotent request takes over),
/// [`AgentVideos`] (Video Agent sessions' placeholders),
/// [`SchemaVersions`] (whether a newer build migrated it since),
/// [`UnconfirmedStops`] (session stops HeyGen did not confirm),
/// [`ParkedEvents`] (webhooks waiting for their job's owner),
/// [`Redeliveries`] (dead webhook deliveries sent again) and
/// [`PriceBookHistory`] (every price book run with, by version).
/// Object-safe: the proxy holds an `Arc<dyn Ledger>`.
#[async_trait]
pub trait Ledger:
    Registry
    + AlertOutbox
    + AssetLengths
    + RetryHolds
    + AgentVideos
    + SchemaVersions
    + UnconfirmedStops
    + ParkedEvents
    + Redeliveries
    + PriceBookHistory
    + Send
    + Sync
    + 'static
{
    /// Checks every configured window of the tenant and the org and takes the
    /// hold in all eight counter rows, in one transaction, all or nothing.
    /// When this returns `Held`, the hold is durable.
    async fn hold(&self, req: HoldRequest) -> Result<HoldDecision, LedgerError>;

    /// Records the upstream job(s) created under a hold: `held` → `submitted`.
    /// Each job id is also recorded as owned by the hold's tenant (see
    /// [`Registry::submit_with_resources`]).
    async fn submit(&self, hold_id: &str, jobs: &[JobRecord]) -> Result<(), LedgerError>;

    /// Frees a `held` hold (upstream refused, transport failure). Idempotent.
    async fn release(&self, hold_id: &str, reason: &str) -> Result<(), LedgerError>;

    /// Captures a `held` hold of a per-call feature at `amount`.
    async fn capture_hold(&self, hold_id: &str, amount: Micros) -> Result<Settlement, LedgerError>;

    /// Settles one upstream job; idempotent. `source` is `status`, `webhook` or `poller`.
    async fn settle_job(
        &self,
        job_id: &str,
        outcome: JobSettlement,
        source: &str,
    ) -> Result<SettleResult, LedgerError>;

    /// Captures open holds whose `expires_at <= now` at their held amount.
    async fn expire_holds(&self, now: DateTime<Utc>) -> Result<Vec<ExpiredHold>, LedgerError>;

    /// Grants (`amount > 0`, raises the period's effective limit) or debits
    /// credits in the current period of one window, or all four; journaled
    /// with the actor. Spend is never touched.
    /// An adjustment with a `key` is applied once per key.
    async fn adjust(&self, adj: Adjustment) -> Result<AdjustOutcome, LedgerError>;

    /// Claims an idempotency key atomically: of concurrent duplicates exactly
    /// one gets `New`. Entries older than [`IDEMPOTENCY_TTL`] count as absent.
    /// A claim of this same request still pending `lease` after it was made
    /// is stale (its request is gone, see `UpstreamConfig::request_lease`) and
    /// is taken over as `New`, again by exactly one of concurrent callers.
    /// `body_hash` is the request's digest (method, target and body; see
    /// `proxy::claim`): the name is the column's, from when only the body
    /// counted.
    async fn idem_begin(
        &self,
        tenant: &str,
        key: &str,
        body_hash: [u8; 32],
        now: DateTime<Utc>,
        lease: std::time::Duration,
    ) -> Result<IdemBegin, LedgerError>;

    /// Stores the response of a claimed key for replay.
    async fn idem_complete(
        &self,
        tenant: &str,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), LedgerError>;

    /// Forgets an unfinished claim so a retry may proceed.
    async fn idem_abandon(&self, tenant: &str, key: &str) -> Result<(), LedgerError>;

    /// Current-period usage of all four windows of each scope.
    async fn usage(
        &self,
        scopes: &[(Scope, Budgets)],
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<Vec<ScopeUsage>, LedgerError>;

    /// One hold by id.
    async fn get_hold(&self, hold_id: &str) -> Result<Option<HoldInfo>, LedgerError>;

    /// One upstream job by HeyGen's id (settlement needs its feature and share).
    async fn get_job(&self, job_id: &str) -> Result<Option<JobInfo>, LedgerError>;

    /// Holds, newest first.
    async fn list_holds(&self, filter: HoldFilter) -> Result<Vec<HoldInfo>, LedgerError>;

    /// Journal entries with `from <= at < to` and `seq > after_seq`, in
    /// sequence order: page with the last `seq` seen.
    async fn journal(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<JournalEntry>, LedgerError>;

    /// The newest `limit` journal entries with `from <= at < to`, newest
    /// first (what a page of recent activity shows).
    async fn journal_newest(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<JournalEntry>, LedgerError>;

    /// Number of open holds and the creation time of the oldest.
    async fn open_holds(&self) -> Result<(u64, Option<DateTime<Utc>>), LedgerError>;

    /// Renders in flight of a scope, as the render caps count them: open
    /// render holds with a job recorded, and those without one created at
    /// or after `held_since` (see [`HoldRequest::render_lease`]).
    async fn renders_in_flight(
        &self,
        scope: &Scope,
        held_since: DateTime<Utc>,
    ) -> Result<u32, LedgerError>;

    /// Unsettled jobs submitted before `submitted_before`, oldest first:
    /// pending ones, and expired ones submitted less than
    /// [`rows::LATE_POLL_US`] before it (their outcome corrects what expiry
    /// captured; one HeyGen never finishes is not polled forever).
    async fn jobs_to_poll(
        &self,
        submitted_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PendingJob>, LedgerError>;

    /// Readiness: the store answers.
    async fn ping(&self) -> Result<(), LedgerError>;
}

/// Counter rows a usage report reads: every window of every scope, in the
/// current periods.
pub(crate) fn usage_keys(
    scopes: &[(Scope, Budgets)],
    tz: Tz,
    now: DateTime<Utc>,
) -> Vec<rows::CounterKey> {
    let mut keys = Vec::with_capacity(scopes.len() * 4);
    for (scope, _) in scopes {
        for w in Window::ALL {
            keys.push(rows::CounterKey {
                scope: scope.key(),
                window: w,
                period: window::period_key(w, now, tz),
            });
        }
    }
    keys
}

/// Builds the usage report from the rows read for [`usage_keys`]; a
/// missing row means nothing was held or spent in that period.
pub(crate) fn usage_report(
    scopes: &[(Scope, Budgets)],
    tz: Tz,
    now: DateTime<Utc>,
    counters: &std::collections::HashMap<rows::CounterKey, decide::Counter>,
) -> Vec<ScopeUsage> {
    scopes
        .iter()
        .map(|(scope, budgets)| {
            let windows = Window::ALL
                .into_iter()
                .map(|w| {
                    let key = rows::CounterKey {
                        scope: scope.key(),
                        window: w,
                        period: window::period_key(w, now, tz),
                    };
                    let c = counters.get(&key).copied().unwrap_or_default();
                    let limit = w.limit(budgets);
                    WindowUsage {
                        window: w,
                        limit,
                        granted: c.granted,
                        held: c.held,
                        spent: c.spent,
                        remaining: limit.map(|l| c.room(l)),
                        resets_at: window::resets_at(w, now, tz),
                        period: key.period,
                    }
                })
                .collect();
            ScopeUsage {
                scope: scope.clone(),
                windows,
            }
        })
        .collect()
}
