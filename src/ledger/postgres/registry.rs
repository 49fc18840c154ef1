//! [`Registry`] on PostgreSQL: each call is one shared operation from
//! `ledger::ops` in its own transaction (retried on deadlock).
//!
//! The session calls are in `sessions`; this impl delegates to them.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::tx::PgTx;
use super::{Fail, PostgresLedger, MAX_ATTEMPTS};
use crate::ledger::ops::{self, calibration, contacts, outbox, registry, report};
use crate::ledger::rows::to_us;
use crate::ledger::{Registry, *};

type R<T> = Result<T, LedgerError>;

#[async_trait]
impl Registry for PostgresLedger {
    async fn submit_with_resources(
        &self,
        hold_id: &str,
        jobs: &[JobRecord],
        resources: &[ResourceRecord],
    ) -> R<()> {
        let now = self.now_us();
        in_tx!(self, |tx| ops::submit(
            &PgTx(&tx),
            hold_id,
            jobs,
            resources,
            now
        ))
    }

    async fn record_resources(
        &self,
        tenant: &str,
        resources: &[ResourceRecord],
    ) -> R<Vec<ResourceConflict>> {
        let now = self.now_us();
        in_tx!(self, |tx| registry::record(
            &PgTx(&tx),
            tenant,
            None,
            resources,
            now
        ))
    }

    async fn owner_of(&self, resource_id: &str) -> R<Option<Owner>> {
        in_tx!(self, |tx| registry::owner_of(&PgTx(&tx), resource_id))
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
        in_tx!(self, |tx| report::spend(&PgTx(&tx), f, t))
    }

    async fn record_projections(&self, jobs: &[(String, i64)]) -> R<()> {
        in_tx!(self, |tx| calibration::record_projections(&PgTx(&tx), jobs))
    }

    async fn record_job_length(&self, job_id: &str, actual_ms: i64) -> R<Option<(String, i64)>> {
        in_tx!(self, |tx| calibration::record_length(
            &PgTx(&tx),
            job_id,
            actual_ms
        ))
    }

    async fn calibration_samples(&self, since: DateTime<Utc>) -> R<Vec<CalibrationSample>> {
        let since = to_us(since);
        in_tx!(self, |tx| calibration::samples(&PgTx(&tx), since))
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
        let now = self.now_us();
        in_tx!(self, |tx| contacts::bind(
            &PgTx(&tx),
            project_id,
            video_id,
            status_path,
            now
        ))
    }

    async fn owners_of(&self, resource_ids: &[String]) -> R<HashMap<String, String>> {
        in_tx!(self, |tx| registry::owners_of(&PgTx(&tx), resource_ids))
    }

    async fn assign(
        &self,
        resource_ids: &[String],
        tenant: &str,
        kind: &str,
        actor: &str,
    ) -> R<()> {
        let now = self.now_us();
        in_tx!(self, |tx| registry::assign(
            &PgTx(&tx),
            resource_ids,
            tenant,
            kind,
            actor,
            now
        ))
    }

    async fn list_resources(
        &self,
        tenant: &str,
        kind: Option<&str>,
        limit: u32,
    ) -> R<Vec<ResourceInfo>> {
        in_tx!(self, |tx| registry::list(&PgTx(&tx), tenant, kind, limit))
    }

    async fn add_endpoint(
        &self,
        tenant: &str,
        url: &str,
        events: &[String],
        secret: &str,
        max: u32,
    ) -> R<Option<EndpointInfo>> {
        let now = self.now_us();
        in_tx!(self, |tx| registry::add_endpoint(
            &PgTx(&tx),
            tenant,
            url,
            events,
            secret,
            max,
            now
        ))
    }

    async fn list_endpoints(&self, tenant: &str) -> R<Vec<EndpointInfo>> {
        let all = in_tx!(self, |tx| registry::endpoints(&PgTx(&tx), tenant))?;
        Ok(all.into_iter().map(|e| e.info).collect())
    }

    async fn delete_endpoint(&self, tenant: &str, endpoint_id: &str) -> R<bool> {
        in_tx!(self, |tx| registry::delete_endpoint(
            &PgTx(&tx),
            tenant,
            endpoint_id
        ))
    }

    async fn endpoints_for(&self, tenant: &str, event: &str) -> R<Vec<Endpoint>> {
        let all = in_tx!(self, |tx| registry::endpoints(&PgTx(&tx), tenant))?;
        Ok(registry::subscribed(all, event))
    }

    async fn enqueue_deliveries(
        &self,
        event_id: &str,
        tenant: &str,
        payload: &str,
        endpoint_ids: &[String],
    ) -> R<u32> {
        let now = self.now_us();
        in_tx!(self, |tx| outbox::enqueue(
            &PgTx(&tx),
            event_id,
            tenant,
            payload,
            endpoint_ids,
            now
        ))
    }

    async fn due_deliveries(&self, now: DateTime<Utc>, limit: u32) -> R<Vec<Delivery>> {
        let now = to_us(now);
        in_tx!(self, |tx| outbox::claim(&PgTx(&tx), now, limit))
    }

    async fn delivery_result(
        &self,
        id: i64,
        ok: bool,
        status: Option<u16>,
        error: Option<&str>,
        next_attempt_at: DateTime<Utc>,
    ) -> R<DeliveryState> {
        let (next, now) = (to_us(next_attempt_at), self.now_us());
        in_tx!(self, |tx| outbox::finish(
            &PgTx(&tx),
            id,
            ok,
            status,
            error,
            next,
            now
        ))
    }

    async fn abandon_delivery(&self, id: i64, reason: &str) -> R<bool> {
        in_tx!(self, |tx| outbox::abandon(&PgTx(&tx), id, reason))
    }

    async fn delivery_log(
        &self,
        tenant: &str,
        endpoint_id: Option<&str>,
        limit: u32,
    ) -> R<Vec<DeliveryLogEntry>> {
        in_tx!(self, |tx| outbox::log(
            &PgTx(&tx),
            tenant,
            endpoint_id,
            limit
        ))
    }

    async fn purge_deliveries(&self, before: DateTime<Utc>, limit: u32) -> R<u64> {
        let cutoff = to_us(before);
        in_tx!(self, |tx| outbox::purge(&PgTx(&tx), cutoff, limit))
    }

    async fn outbox_depth(&self) -> R<u64> {
        in_tx!(self, |tx| outbox::depth(&PgTx(&tx)))
    }
}
