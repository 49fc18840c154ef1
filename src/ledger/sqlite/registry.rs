//! [`Registry`] on SQLite: each call is one shared operation from
//! `ledger::ops` run in the worker's group-commit transaction.
//!
//! The session calls are in `sessions` and the webhook endpoint and outbox
//! calls in `webhooks`; this impl delegates to them.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::tx::SqliteTx;
use super::webhooks::owned;
use super::SqliteLedger;
use crate::ledger::ops::{self, calibration, contacts, registry, report, run_ready};
use crate::ledger::rows::to_us;
use crate::ledger::{Registry, *};

type R<T> = Result<T, LedgerError>;

#[async_trait]
impl Registry for SqliteLedger {
    async fn submit_with_resources(
        &self,
        hold_id: &str,
        jobs: &[JobRecord],
        resources: &[ResourceRecord],
    ) -> R<()> {
        let (id, jobs, res, now) = (
            hold_id.to_string(),
            jobs.to_vec(),
            resources.to_vec(),
            self.now_us(),
        );
        self.worker
            .call(move |c| run_ready(ops::submit(&SqliteTx(c), &id, &jobs, &res, now)))
            .await
    }

    async fn record_resources(
        &self,
        tenant: &str,
        resources: &[ResourceRecord],
    ) -> R<Vec<ResourceConflict>> {
        let (t, res, now) = (tenant.to_string(), resources.to_vec(), self.now_us());
        self.worker
            .call(move |c| run_ready(registry::record(&SqliteTx(c), &t, None, &res, now)))
            .await
    }

    async fn owner_of(&self, resource_id: &str) -> R<Option<Owner>> {
        let id = resource_id.to_string();
        self.worker
            .call(move |c| run_ready(registry::owner_of(&SqliteTx(c), &id)))
            .await
    }

    async fn open_session(&self, session: &SessionRow) -> R<()> {
        super::sessions::open_session(self, session).await
    }

    async fn touch_session(&self, session_id: &str) -> R<()> {
        super::sessions::touch_session(self, session_id).await
    }

    async fn next_session_minute(
        &self,
        minute: SessionMinute<'_>,
        req: HoldRequest,
        slot_us: i64,
        at_us: i64,
    ) -> R<NextMinute> {
        super::sessions::next_session_minute(self, minute, req, slot_us, at_us).await
    }

    async fn end_session(
        &self,
        session_id: &str,
        from: &str,
        reason: &str,
        end_us: i64,
        cost: Micros,
    ) -> R<Option<Settlement>> {
        super::sessions::end_session(self, session_id, from, reason, end_us, cost).await
    }

    async fn sessions(&self, filter: SessionFilter<'_>) -> R<Vec<SessionRow>> {
        super::sessions::sessions(self, filter).await
    }

    async fn spend_report(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> R<Vec<SpendRow>> {
        let (f, t) = (to_us(from), to_us(to));
        self.worker
            .call(move |c| run_ready(report::spend(&SqliteTx(c), f, t)))
            .await
    }

    async fn record_projections(&self, jobs: &[(String, i64)]) -> R<()> {
        let jobs = jobs.to_vec();
        self.worker
            .call(move |c| run_ready(calibration::record_projections(&SqliteTx(c), &jobs)))
            .await
    }

    async fn record_job_length(&self, job_id: &str, actual_ms: i64) -> R<Option<(String, i64)>> {
        let id = job_id.to_string();
        self.worker
            .call(move |c| run_ready(calibration::record_length(&SqliteTx(c), &id, actual_ms)))
            .await
    }

    async fn calibration_samples(&self, since: DateTime<Utc>) -> R<Vec<CalibrationSample>> {
        let since = to_us(since);
        self.worker
            .call(move |c| run_ready(calibration::samples(&SqliteTx(c), since)))
            .await
    }

    async fn open_token_session(&self, session: &SessionRow, token: &SessionToken) -> R<()> {
        super::sessions::open_token_session(self, session, token).await
    }

    async fn session_token(&self, key: TokenKey<'_>) -> R<Option<SessionToken>> {
        super::sessions::session_token(self, key).await
    }

    async fn claim_token_session(
        &self,
        session_id: &str,
        started_us: i64,
        starts_since_us: i64,
    ) -> R<TokenClaim> {
        super::sessions::claim_token_session(self, session_id, started_us, starts_since_us).await
    }

    async fn bind_contact_video(
        &self,
        project_id: &str,
        video_id: &str,
        status_path: &str,
    ) -> R<Option<String>> {
        let (p, v, s, now) = (
            project_id.to_string(),
            video_id.to_string(),
            status_path.to_string(),
            self.now_us(),
        );
        self.worker
            .call(move |c| run_ready(contacts::bind(&SqliteTx(c), &p, &v, &s, now)))
            .await
    }

    async fn owners_of(&self, resource_ids: &[String]) -> R<HashMap<String, String>> {
        let ids = owned(resource_ids);
        self.worker
            .call(move |c| run_ready(registry::owners_of(&SqliteTx(c), &ids)))
            .await
    }

    async fn assign(
        &self,
        resource_ids: &[String],
        tenant: &str,
        kind: &str,
        actor: &str,
    ) -> R<()> {
        let (ids, t, k, a) = (
            owned(resource_ids),
            tenant.to_string(),
            kind.to_string(),
            actor.to_string(),
        );
        let now = self.now_us();
        self.worker
            .call(move |c| run_ready(registry::assign(&SqliteTx(c), &ids, &t, &k, &a, now)))
            .await
    }

    async fn list_resources(
        &self,
        tenant: &str,
        kind: Option<&str>,
        limit: u32,
    ) -> R<Vec<ResourceInfo>> {
        let (t, k) = (tenant.to_string(), kind.map(str::to_string));
        self.worker
            .call(move |c| run_ready(registry::list(&SqliteTx(c), &t, k.as_deref(), limit)))
            .await
    }

    async fn add_endpoint(
        &self,
        tenant: &str,
        url: &str,
        events: &[String],
        secret: &str,
        max: u32,
    ) -> R<Option<EndpointInfo>> {
        super::webhooks::add_endpoint(self, tenant, url, events, secret, max).await
    }

    async fn list_endpoints(&self, tenant: &str) -> R<Vec<EndpointInfo>> {
        super::webhooks::list_endpoints(self, tenant).await
    }

    async fn delete_endpoint(&self, tenant: &str, endpoint_id: &str) -> R<bool> {
        super::webhooks::delete_endpoint(self, tenant, endpoint_id).await
    }

    async fn endpoints_for(&self, tenant: &str, event: &str) -> R<Vec<Endpoint>> {
        super::webhooks::endpoints_for(self, tenant, event).await
    }

    async fn enqueue_deliveries(
        &self,
        event_id: &str,
        tenant: &str,
        payload: &str,
        endpoint_ids: &[String],
    ) -> R<u32> {
        super::webhooks::enqueue_deliveries(self, event_id, tenant, payload, endpoint_ids).await
    }

    async fn due_deliveries(&self, now: DateTime<Utc>, limit: u32) -> R<Vec<Delivery>> {
        super::webhooks::due_deliveries(self, now, limit).await
    }

    async fn delivery_result(
        &self,
        id: i64,
        ok: bool,
        status: Option<u16>,
        error: Option<&str>,
        next_attempt_at: DateTime<Utc>,
    ) -> R<DeliveryState> {
        super::webhooks::delivery_result(self, id, ok, status, error, next_attempt_at).await
    }

    async fn abandon_delivery(&self, id: i64, reason: &str) -> R<bool> {
        super::webhooks::abandon_delivery(self, id, reason).await
    }

    async fn delivery_log(
        &self,
        tenant: &str,
        endpoint_id: Option<&str>,
        limit: u32,
    ) -> R<Vec<DeliveryLogEntry>> {
        super::webhooks::delivery_log(self, tenant, endpoint_id, limit).await
    }

    async fn purge_deliveries(&self, before: DateTime<Utc>, limit: u32) -> R<u64> {
        super::webhooks::purge_deliveries(self, before, limit).await
    }

    async fn outbox_depth(&self) -> R<u64> {
        super::webhooks::outbox_depth(self).await
    }
}
