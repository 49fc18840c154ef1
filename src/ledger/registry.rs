//! [`Registry`]: who owns which HeyGen resource, each tenant's webhook
//! endpoints, and the durable outbox of deliveries to them. Every
//! [`super::Ledger`] is a `Registry`, so the same handle serves both
//! (bring this trait into scope to call its methods on `dyn Ledger`).

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::resources::*;
use super::session_types::*;
use super::types::{HoldRequest, JobRecord, LedgerError, Settlement};
use crate::money::Micros;

type R<T> = Result<T, LedgerError>;

/// Ownership registry, webhook endpoints and outbox; both backends.
#[async_trait]
pub trait Registry: Send + Sync + 'static {
    /// [`super::Ledger::submit`], also recording `resources` and every job
    /// id (as [`JOB_KIND`] unless `resources` names it) as owned by the
    /// hold's tenant, in the same transaction as the jobs. An id another
    /// tenant already owns is logged and left with its owner.
    async fn submit_with_resources(
        &self,
        hold_id: &str,
        jobs: &[JobRecord],
        resources: &[ResourceRecord],
    ) -> R<()>;

    /// Records resources created without a hold. The first owner wins:
    /// re-recording by the same tenant is a no-op; ids another tenant owns
    /// are returned and not overwritten.
    async fn record_resources(
        &self,
        tenant: &str,
        resources: &[ResourceRecord],
    ) -> R<Vec<ResourceConflict>>;

    async fn owner_of(&self, resource_id: &str) -> R<Option<Owner>>;

    /// Registers a metered session (a repeat of its id is a no-op).
    async fn open_session(&self, session: &SessionRow) -> R<()>;

    /// Notes a call on a live session at the ledger's clock.
    async fn touch_session(&self, session_id: &str) -> R<()>;

    /// Atomically, for a session on `minute`: holds its next minute (`req`,
    /// from `slot_us`) unless it is held ahead already; once the current
    /// minute has ended by the meter's clock (`at_us >= slot_us`), also
    /// captures it whole and moves the session on to the next. Before
    /// then the current minute stays held, so a stop pays it to the second.
    async fn next_session_minute(
        &self,
        minute: SessionMinute<'_>,
        req: HoldRequest,
        slot_us: i64,
        at_us: i64,
    ) -> R<NextMinute>;

    /// Atomically: stops a session live on minute hold `from` at `end_us`
    /// and charges `cost` (what it owes beyond the minutes captured): the
    /// current minute up to its price, a minute held ahead the rest, each
    /// hold's remainder released (all of the one ahead when the stop came
    /// before the current minute's end). `None` when it was not live on
    /// that minute any more.
    async fn end_session(
        &self,
        session_id: &str,
        from: &str,
        reason: &str,
        end_us: i64,
        cost: Micros,
    ) -> R<Option<Settlement>>;

    /// The spend report: journal sums per tenant and feature for entries
    /// with `from <= at < to`.
    async fn spend_report(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> R<Vec<SpendRow>>;

    /// Records the projected length of submitted jobs (`(job_id, ms)`).
    async fn record_projections(&self, jobs: &[(String, i64)]) -> R<()>;

    /// Records a settled job's real length; returns its feature and
    /// projected length when one was recorded.
    async fn record_job_length(&self, job_id: &str, actual_ms: i64) -> R<Option<(String, i64)>>;

    /// Settled jobs since `since` with projected and real length.
    async fn calibration_samples(&self, since: DateTime<Utc>) -> R<Vec<CalibrationSample>>;

    /// Sessions by `filter`.
    async fn sessions(&self, filter: SessionFilter<'_>) -> R<Vec<SessionRow>>;

    /// Registers a metered session started with a session token (LiveAvatar)
    /// with the token's digest and owner, in one transaction.
    async fn open_token_session(&self, session: &SessionRow, token: &SessionToken) -> R<()>;

    /// A stored session token, by digest or by session.
    async fn session_token(&self, key: TokenKey<'_>) -> R<Option<SessionToken>>;

    /// Binds a session seen in HeyGen's list (created at `started_us`) to
    /// the oldest minted token (see [`SessionFilter::Tokens`]) when one
    /// tenant alone could have started it: never a session the ledger
    /// knows; not when tokens, or session starts of the tokens' feature
    /// taken since `starts_since_us` and not answered, are of several
    /// tenants (see [`TokenClaim`]).
    async fn claim_token_session(
        &self,
        session_id: &str,
        started_us: i64,
        starts_since_us: i64,
    ) -> R<TokenClaim>;

    /// Personalized videos: binds `video_id` (from a contact's
    /// `personalized_video` webhook) to the oldest open placeholder job of
    /// `project_id`, with `status_path` for its settlement, and records it
    /// as the hold tenant's. Returns that tenant; `None` when the project
    /// has no open placeholder. Idempotent for a video already bound.
    async fn bind_contact_video(
        &self,
        project_id: &str,
        video_id: &str,
        status_path: &str,
    ) -> R<Option<String>>;

    /// Owners of the recorded ids among `resource_ids` (unknown ids are
    /// absent), in one query per 512 ids: for filtering lists.
    async fn owners_of(&self, resource_ids: &[String]) -> R<HashMap<String, String>>;

    /// Ops adoption: makes `tenant` the owner of `resource_ids` (recorded or
    /// not) with `kind`; journaled with `actor`.
    async fn assign(&self, resource_ids: &[String], tenant: &str, kind: &str, actor: &str)
        -> R<()>;

    /// A tenant's resources, newest first, optionally of one kind.
    async fn list_resources(
        &self,
        tenant: &str,
        kind: Option<&str>,
        limit: u32,
    ) -> R<Vec<ResourceInfo>>;

    /// Adds a webhook endpoint (also recorded as the tenant's
    /// `webhook_endpoint` resource). `events` must be non-empty names
    /// without commas; `*` subscribes to all. `None` when the tenant has
    /// `max` endpoints already: counted in the same transaction as the
    /// insert, so concurrent adds never exceed it.
    async fn add_endpoint(
        &self,
        tenant: &str,
        url: &str,
        events: &[String],
        secret: &str,
        max: u32,
    ) -> R<Option<EndpointInfo>>;

    /// A tenant's endpoints, oldest first, without secrets.
    async fn list_endpoints(&self, tenant: &str) -> R<Vec<EndpointInfo>>;

    /// Deletes a tenant's endpoint; its pending deliveries become `dead`.
    /// `false` when the tenant has no such endpoint.
    async fn delete_endpoint(&self, tenant: &str, endpoint_id: &str) -> R<bool>;

    /// The tenant's endpoints subscribed to `event`, with their secrets.
    async fn endpoints_for(&self, tenant: &str, event: &str) -> R<Vec<Endpoint>>;

    /// Queues `payload` for each of the tenant's `endpoint_ids`; a pair
    /// (event_id, endpoint) already queued is not queued again, so a
    /// redelivered HeyGen webhook is sent once. Returns how many were new.
    async fn enqueue_deliveries(
        &self,
        event_id: &str,
        tenant: &str,
        payload: &str,
        endpoint_ids: &[String],
    ) -> R<u32>;

    /// Claims up to `limit` pending deliveries due at `now` for
    /// [`DELIVERY_LEASE`]: no other caller gets them until the lease ends
    /// or a result is recorded.
    async fn due_deliveries(&self, now: DateTime<Utc>, limit: u32) -> R<Vec<Delivery>>;

    /// Records one attempt. `ok` marks it delivered (never sent again);
    /// a failure schedules `next_attempt_at`, or gives up (`dead`) at
    /// [`MAX_DELIVERY_ATTEMPTS`]. A row no longer pending is left alone.
    /// Returns the row's state afterwards.
    async fn delivery_result(
        &self,
        id: i64,
        ok: bool,
        status: Option<u16>,
        error: Option<&str>,
        next_attempt_at: DateTime<Utc>,
    ) -> R<DeliveryState>;

    /// Gives up a pending delivery unsent, as `dead` with `reason` (the
    /// worker's verdict that its tenant may no longer receive webhooks).
    /// `false` when the row was no longer pending.
    async fn abandon_delivery(&self, id: i64, reason: &str) -> R<bool>;

    /// A tenant's deliveries, newest first, optionally of one endpoint.
    async fn delivery_log(
        &self,
        tenant: &str,
        endpoint_id: Option<&str>,
        limit: u32,
    ) -> R<Vec<DeliveryLogEntry>>;

    /// Deletes up to `limit` delivered or dead deliveries created before
    /// `before`, oldest first (pending ones are kept); returns how many.
    async fn purge_deliveries(&self, before: DateTime<Utc>, limit: u32) -> R<u64>;

    /// Pending deliveries (due or not).
    async fn outbox_depth(&self) -> R<u64>;
}
