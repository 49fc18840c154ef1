//! [`Redeliveries`]: sending a `dead` webhook delivery again.
//!
//! A delivery is given up (`dead`) after `MAX_DELIVERY_ATTEMPTS` failed
//! attempts, e.g. when the tenant's receiver was down longer than the
//! retries last. Redelivery puts such a row back to `pending` with a fresh
//! attempt budget (attempts 0, due now), so the fan-out worker claims it
//! and sends the stored payload exactly as a first delivery: there is no
//! second sending path to keep in step with the first.
//!
//! Each call is one conditional `UPDATE` (state `dead`, the caller's
//! tenant, the endpoint still the tenant's), so of concurrent calls on one
//! row exactly one re-queues it; the others find it `pending`. The last
//! attempt's `last_status` and `last_error` are kept until the first new
//! attempt overwrites them: they still say why the row had died.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::resources::{DeliveryLogEntry, DeliveryState};
use super::types::LedgerError;

type R<T> = Result<T, LedgerError>;

/// Most rows one [`Redeliveries::redeliver_dead`] call re-queues, so one
/// ops call stays one bounded transaction (the caller repeats it for more).
pub const MAX_BULK_REDELIVERIES: u32 = 10_000;

/// What [`Redeliveries::redeliver`] did with one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redelivery {
    /// Back to `pending`: the row as the delivery log now shows it.
    Requeued(DeliveryLogEntry),
    /// No delivery with this id is the tenant's (unknown, another
    /// tenant's, or purged past its retention).
    NotFound,
    /// Left alone: only a `dead` delivery is redelivered (a `pending` one
    /// is still being tried; a `delivered` one was acknowledged).
    NotDead(DeliveryState),
    /// Dead, but its endpoint was deleted: there is nothing to send it to.
    EndpointDeleted,
}

/// What one [`Redeliveries::redeliver_dead`] call re-queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkRedelivery {
    /// Rows put back to `pending`.
    pub requeued: u64,
    /// Matching dead rows remain (the call stopped at its limit).
    pub more: bool,
}

/// Which dead deliveries an ops redelivery re-queues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadFilter<'a> {
    pub tenant: &'a str,
    /// Queued at or after this time.
    pub since: DateTime<Utc>,
    /// Only this endpoint's.
    pub endpoint_id: Option<&'a str>,
}

/// Re-queueing dead deliveries; both backends.
#[async_trait]
pub trait Redeliveries: Send + Sync + 'static {
    /// Puts the tenant's dead delivery `id` back to `pending`, due now,
    /// with no attempts made; atomic, so of concurrent calls one re-queues.
    async fn redeliver(&self, tenant: &str, id: i64) -> R<Redelivery>;

    /// Re-queues, oldest first, up to `limit` of the tenant's dead
    /// deliveries matching `filter` whose endpoint still exists (rows of a
    /// deleted endpoint are skipped and not counted), in one transaction.
    async fn redeliver_dead(&self, filter: &DeadFilter<'_>, limit: u32) -> R<BulkRedelivery>;
}
