//! [`Registry`] on SQLite: each call is one shared operation from
//! `ledger::ops` run in the worker's group-commit transaction.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::tx::SqliteTx;
use super::SqliteLedger;
use crate::ledger::ops::{self, calibration, contacts, outbox, registry, report, run_ready};
use crate::ledger::rows::to_us;
use crate::ledger::{Registry, *};

type R<T> = Result<T, LedgerError>;

fn owned(ids: &[String]) -> Vec<String> {
    ids.to_vec()
}

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
    ) -> R<Option<SessionRow>> {
        super::sessions::claim_token_session(self, session_id, started_us).await
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
    ) -> R<EndpointInfo> {
        let (t, u, e, s) = (
            tenant.to_string(),
            url.to_string(),
            owned(events),
            secret.to_string(),
        );
        let now = self.now_us();
        self.worker
            .call(move |c| run_ready(registry::add_endpoint(&SqliteTx(c), &t, &u, &e, &s, now)))
            .await
    }

    async fn list_endpoints(&self, tenant: &str) -> R<Vec<EndpointInfo>> {
        let t = tenant.to_string();
        let all = self
            .worker
            .call(move |c| run_ready(registry::endpoints(&SqliteTx(c), &t)))
            .await?;
        Ok(all.into_iter().map(|e| e.info).collect())
    }

    async fn delete_endpoint(&self, tenant: &str, endpoint_id: &str) -> R<bool> {
        let (t, id) = (tenant.to_string(), endpoint_id.to_string());
        self.worker
            .call(move |c| run_ready(registry::delete_endpoint(&SqliteTx(c), &t, &id)))
            .await
    }

    async fn endpoints_for(&self, tenant: &str, event: &str) -> R<Vec<Endpoint>> {
        let t = tenant.to_string();
        let all = self
            .worker
            .call(move |c| run_ready(registry::endpoints(&SqliteTx(c), &t)))
            .await?;
        Ok(registry::subscribed(all, event))
    }

    async fn enqueue_deliveries(
        &self,
        event_id: &str,
        tenant: &str,
        payload: &str,
        endpoint_ids: &[String],
    ) -> R<u32> {
        let (ev, t, p, ids) = (
            event_id.to_string(),
            tenant.to_string(),
            payload.to_string(),
            owned(endpoint_ids),
        );
        let now = self.now_us();
        self.worker
            .call(move |c| run_ready(outbox::enqueue(&SqliteTx(c), &ev, &t, &p, &ids, now)))
            .await
    }

    async fn due_deliveries(&self, now: DateTime<Utc>, limit: u32) -> R<Vec<Delivery>> {
        let now = to_us(now);
        self.worker
            .call(move |c| run_ready(outbox::claim(&SqliteTx(c), now, limit)))
            .await
    }

    async fn delivery_result(
        &self,
        id: i64,
        ok: bool,
        status: Option<u16>,
        error: Option<&str>,
        next_attempt_at: DateTime<Utc>,
    ) -> R<DeliveryState> {
        let (err, next, now) = (
            error.map(str::to_string),
            to_us(next_attempt_at),
            self.now_us(),
        );
        self.worker
            .call(move |c| {
                run_ready(outbox::finish(
                    &SqliteTx(c),
                    id,
                    ok,
                    status,
                    err.as_deref(),
                    next,
                    now,
                ))
            })
            .await
    }

    async fn delivery_log(
        &self,
        tenant: &str,
        endpoint_id: Option<&str>,
        limit: u32,
    ) -> R<Vec<DeliveryLogEntry>> {
        let (t, e) = (tenant.to_string(), endpoint_id.map(str::to_string));
        self.worker
            .call(move |c| run_ready(outbox::log(&SqliteTx(c), &t, e.as_deref(), limit)))
            .await
    }

    async fn outbox_depth(&self) -> R<u64> {
        self.worker
            .call(|c| run_ready(outbox::depth(&SqliteTx(c))))
            .await
    }
}
