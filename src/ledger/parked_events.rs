//! [`ParkedEvents`]: HeyGen webhooks whose job has no known owner yet,
//! kept until it has one or the wait runs out.
//!
//! An item of a v3 batch has its own id (its video's), and HeyGen's events
//! for the item name only that id; the gateway learns which batch, and so
//! which tenant, the id belongs to only from the batch's status. An event
//! that arrives first is parked here (durably, before HeyGen gets its 2xx)
//! instead of dropped; the fan-out worker checks parked events again until
//! the owner is known, then queues them for the owner's endpoints in the
//! same transaction that removes them, so each is passed on once. Rows are
//! claimed under a lease, as deliveries are, so replicas do not check one
//! event at once; checking it twice would be harmless anyway (queueing is
//! idempotent per event and endpoint).
//!
//! The open batches whose statuses may name a parked event's id are read
//! from here too ([`ParkedEvents::open_batches`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::types::LedgerError;

type R<T> = Result<T, LedgerError>;

/// An event to park: its dedupe key, the job id it names, its type and
/// HeyGen's exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewParkedEvent {
    pub event_id: String,
    pub resource_id: String,
    pub event_type: String,
    pub payload: String,
}

/// What [`ParkedEvents::park_event`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParkOutcome {
    /// Parked now.
    Parked,
    /// Its event id was parked already (HeyGen's redelivery): nothing new.
    AlreadyParked,
    /// Not parked: the cap's worth of events wait already.
    Full,
}

/// A parked event as the worker claims it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedEvent {
    pub event_id: String,
    pub resource_id: String,
    pub event_type: String,
    pub parked_at: DateTime<Utc>,
    /// Checks made before this one.
    pub checks: u32,
}

/// A v3 batch job still open (or expired recently), whose status may name
/// items nobody owns yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenBatch {
    pub batch_id: String,
    pub status_path: String,
    pub tenant: String,
}

/// Events waiting for their owner; both backends.
#[async_trait]
pub trait ParkedEvents: Send + Sync + 'static {
    /// Parks `event`, first due at `check_at`, unless `max` events are
    /// parked already (then it is [`ParkOutcome::Full`]; with `max` 0,
    /// always). Exact under concurrency, replicas included: parks count
    /// and insert one at a time. A repeat of its event id (HeyGen's
    /// redelivery) is a no-op.
    async fn park_event(
        &self,
        event: &NewParkedEvent,
        check_at: DateTime<Utc>,
        max: u32,
    ) -> R<ParkOutcome>;

    /// Claims up to `limit` parked events due at `now` for
    /// [`super::DELIVERY_LEASE`]: no other caller gets them until the lease
    /// ends or the event is deferred or removed.
    async fn due_parked_events(&self, now: DateTime<Utc>, limit: u32) -> R<Vec<ParkedEvent>>;

    /// Removes a parked event; with `deliver` (the owner and its endpoints
    /// subscribed to the event), queues its payload for them first, as
    /// [`super::Registry::enqueue_deliveries`] does, in the same
    /// transaction. Returns how many deliveries were new (0 when another
    /// caller removed it first).
    async fn unpark_event(&self, event_id: &str, deliver: Option<(&str, &[String])>) -> R<u32>;

    /// Checks the event again at `check_at` (lease ended, one more check
    /// counted).
    async fn defer_parked_event(&self, event_id: &str, check_at: DateTime<Utc>) -> R<()>;

    /// Makes parked events naming any of `resource_ids` due at `now`: their
    /// owner was just recorded. Returns how many.
    async fn wake_parked_events(&self, resource_ids: &[String], now: DateTime<Utc>) -> R<u64>;

    /// Parked events (due or not).
    async fn parked_event_count(&self) -> R<u64>;

    /// Unsettled v3 batch jobs as the poller reads them at `now` (pending,
    /// or expired less than a day after submission), newest first, at most
    /// `limit`, with their owners.
    async fn open_batches(&self, now: DateTime<Utc>, limit: u32) -> R<Vec<OpenBatch>>;
}
