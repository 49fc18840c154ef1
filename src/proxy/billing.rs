//! Billable requests: price → hold → forward → record. The hold is committed
//! durably before anything leaves; the forward-and-record step runs in its own
//! task so a client that disconnects cannot strand a hold half-way.

use std::sync::Arc;

use crate::conn::ReqBody;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use sha2::{Digest, Sha256};

use super::body::{collect_limited, BodyError};
use super::client::{full, Body};
use super::handler::{content_length, downstream_parts, forward, host_for, Ctx};
use super::headers::IDEMPOTENCY_KEY;
use crate::catalog::{Billable, Route};
use crate::config::{Config, TenantConfig};
use crate::error::{GatewayError, Shortfall};
use crate::ledger::{HoldDecision, HoldRequest, IdemBegin, JobRecord, StoredResponse};
use crate::metrics::CreditKind;
use crate::money::format_credits;
use crate::pricing::{self, PlanPolicy, Quote, SettleMode};
use crate::state::{AppState, Runtime};

pub const HEADER_PROJECTED: &str = "x-gateway-credits-projected";
pub const HEADER_REMAINING: &str = "x-gateway-credits-remaining";
pub const HEADER_HOLD_ID: &str = "x-gateway-hold-id";
pub const HEADER_REPLAYED: &str = "x-gateway-idempotent-replay";

/// Largest upstream answer to a creation call the gateway will buffer to find
/// job ids; HeyGen's are a few hundred bytes.
const MAX_CREATE_RESPONSE: usize = 4 << 20;

#[allow(clippy::too_many_arguments)]
pub(crate) async fn billable(
    state: &Arc<AppState>,
    rt: &Runtime,
    tenant: &TenantConfig,
    req: Request<ReqBody>,
    path: &str,
    path_and_query: &str,
    route: &Route,
    billable: &Billable,
    ctx: &mut Ctx,
) -> Result<Response<Body>, GatewayError> {
    let cfg = &rt.config;
    let limit = cfg.server.max_json_body_bytes;
    if content_length(req.headers()).is_some_and(|n| n > limit as u64) {
        return Err(GatewayError::PayloadTooLarge {
            limit: limit as u64,
        });
    }
    let (parts, incoming) = req.into_parts();
    let body = collect_limited(incoming, limit)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge(_) => GatewayError::PayloadTooLarge {
                limit: limit as u64,
            },
            other => other.into_gateway(),
        })?;
    let plan = PlanPolicy::from(&cfg.plan);
    let quote =
        pricing::quote(&cfg.pricing, &plan, billable, &body).map_err(GatewayError::Pricing)?;
    state.metrics.credits(
        CreditKind::Projected,
        &tenant.id,
        &quote.feature,
        quote.credits,
    );

    let idem_key = idempotency_key(&parts.headers)?;
    // Everything from the idempotency claim on runs in a task of its own: a
    // client that hangs up mid-request must not leave a key "in progress" or
    // a hold taken for a request that was never sent or never recorded.
    let admission = Admission {
        state: state.clone(),
        config: rt.config.clone(),
        tenant: tenant.clone(),
        route: route.template,
        method: parts.method.clone(),
        headers: parts.headers,
        host: host_for(&parts.method, path),
        path_and_query: path_and_query.to_string(),
        body,
        billable: billable.clone(),
        quote,
        idem_key,
        ctx: ctx.clone(),
    };
    let (resp, outcome) = state.tasks.spawn(admission.run()).await.map_err(|e| {
        tracing::error!(error = %e, "Billable request task failed.");
        GatewayError::Internal
    })??;
    ctx.outcome = outcome;
    Ok(resp)
}

/// A priced request on its way: claim the idempotency key, hold, forward, record.
struct Admission {
    state: Arc<AppState>,
    config: Arc<Config>,
    tenant: TenantConfig,
    route: &'static str,
    method: http::Method,
    headers: HeaderMap,
    host: super::client::Host,
    path_and_query: String,
    body: Bytes,
    billable: Billable,
    quote: Quote,
    idem_key: Option<String>,
    ctx: Ctx,
}

impl Admission {
    async fn run(self) -> Result<(Response<Body>, &'static str), GatewayError> {
        let state = &self.state;
        let (cfg, tenant, quote) = (&self.config, &self.tenant, &self.quote);
        let now = state.clock.now();
        if let Some(key) = &self.idem_key {
            let digest: [u8; 32] = Sha256::digest(&self.body).into();
            match state.ledger.idem_begin(&tenant.id, key, digest, now).await {
                Ok(IdemBegin::New) => {}
                Ok(IdemBegin::Replay(stored)) => return Ok((replay(stored), "replayed")),
                Ok(IdemBegin::InProgress) => return Err(GatewayError::IdempotencyInProgress),
                Ok(IdemBegin::Mismatch) => return Err(GatewayError::IdempotencyMismatch),
                Err(e) => return Err(state.ledger_down("idem_begin", &e)),
            }
        }
        let hold = HoldRequest {
            tenant: tenant.id.clone(),
            feature: quote.feature.clone(),
            route: self.route.to_string(),
            amount: quote.credits,
            price_version: quote.version.clone(),
            request_id: self.ctx.request_id.to_str().unwrap_or("-").to_string(),
            tz: cfg.plan.timezone,
            now,
            expires_at: now
                + chrono::Duration::from_std(cfg.settlement.hold_ttl)
                    .unwrap_or(chrono::Duration::days(2)),
            tenant_budgets: tenant.budgets,
            org_budgets: cfg.org.budgets,
            tenant_shadow: tenant.shadow,
            org_shadow: cfg.org.shadow,
            render: quote.settle == SettleMode::PerJob,
            tenant_render_cap: tenant.limits.renders_in_flight,
            org_render_cap: cfg.org.renders_in_flight,
        };
        let refused = match state.ledger.hold(hold).await {
            Err(e) => state.ledger_down("hold", &e),
            Ok(HoldDecision::Held {
                hold_id,
                remaining,
                shadow_shortfalls,
            }) => {
                for s in &shadow_shortfalls {
                    state
                        .metrics
                        .shadow_rejection(&s.scope.label(), "insufficient_credit");
                    tracing::warn!(tenant = %tenant.id, scope = %s.scope.label(), window = s.window.as_str(),
                        required = %format_credits(s.required), remaining = %format_credits(s.remaining),
                        "Shadow budget would have refused this request.");
                }
                state
                    .metrics
                    .credits(CreditKind::Held, &tenant.id, &quote.feature, quote.credits);
                let mut resp = self.forward(&hold_id).await?;
                let remaining = remaining
                    .map_or_else(|| "unlimited".to_string(), |(_, _, m)| format_credits(m));
                if let Ok(v) = HeaderValue::from_str(&remaining) {
                    resp.headers_mut().insert(HEADER_REMAINING, v);
                }
                return Ok((resp, "forwarded"));
            }
            Ok(HoldDecision::Insufficient(s)) => GatewayError::InsufficientCredit(Shortfall {
                scope: s.scope.label(),
                window: s.window.as_str().to_string(),
                required: s.required,
                remaining: s.remaining,
                resets_at: s.resets_at,
            }),
            Ok(HoldDecision::RenderCapReached { scope, cap }) => GatewayError::RenderCap {
                scope: scope.label(),
                cap,
            },
        };
        abandon(state, &tenant.id, self.idem_key.as_deref()).await;
        Err(refused)
    }
}

/// Validates an `Idempotency-Key` (HeyGen's rule: 1-255 of `[A-Za-z0-9_:.-]`).
fn idempotency_key(h: &HeaderMap) -> Result<Option<String>, GatewayError> {
    let Some(v) = h.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let b = v.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 255
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_:.-".contains(c));
    if !ok {
        return Err(GatewayError::IdempotencyKeyInvalid);
    }
    Ok(v.to_str().ok().map(str::to_string))
}

async fn abandon(state: &AppState, tenant: &str, key: Option<&str>) {
    if let Some(key) = key {
        if let Err(e) = state.ledger.idem_abandon(tenant, key).await {
            state.ledger_down("idem_abandon", &e);
        }
    }
}

fn replay(stored: StoredResponse) -> Response<Body> {
    let mut resp = Response::new(full(stored.body));
    *resp.status_mut() = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    for (k, v) in stored.headers {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            resp.headers_mut().append(k, v);
        }
    }
    resp.headers_mut()
        .insert(HEADER_REPLAYED, HeaderValue::from_static("true"));
    resp
}

impl Admission {
    async fn forward(&self, hold_id: &str) -> Result<Response<Body>, GatewayError> {
        let s = &self.state;
        let sent = forward(
            s,
            self.method.clone(),
            self.headers.clone(),
            self.host,
            &self.path_and_query,
            full(self.body.clone()),
            &self.ctx,
        )
        .await;
        let resp = match sent {
            Ok(r) => r,
            // Nothing reached HeyGen: the hold is freed. A timeout or a
            // connection lost after sending is ambiguous (HeyGen may have
            // created the job), so the hold stays and the TTL captures it in
            // full rather than risk undercounting.
            Err(e @ GatewayError::UpstreamUnreachable) => {
                self.release(hold_id, "upstream_unreachable").await;
                abandon(s, &self.tenant.id, self.idem_key.as_deref()).await;
                return Err(e);
            }
            Err(e) => {
                tracing::warn!(
                    hold_id,
                    reason = e.reason(),
                    "Outcome upstream unknown; hold kept for TTL settlement."
                );
                abandon(s, &self.tenant.id, self.idem_key.as_deref()).await;
                return Err(e);
            }
        };
        let (mut parts, incoming) = resp.into_parts();
        let body = match s.upstream.read_body(incoming, MAX_CREATE_RESPONSE).await {
            Ok(b) => b,
            Err(e) => {
                // HeyGen answered but the body was lost: the job may exist, so
                // keep the hold (the TTL captures it) rather than release it.
                tracing::warn!(hold_id = %hold_id, error = %e, "Upstream response body unreadable; hold kept for TTL settlement.");
                // Free the key anyway: a key stuck "in progress" would answer
                // 409 for a day; a retry's new hold is charged on its own.
                abandon(s, &self.tenant.id, self.idem_key.as_deref()).await;
                return Err(GatewayError::UpstreamFailed);
            }
        };
        downstream_parts(&mut parts, &self.ctx);
        if parts.status.is_success() {
            self.record_success(hold_id, &body).await;
        } else {
            self.release(
                hold_id,
                &format!("upstream_status_{}", parts.status.as_u16()),
            )
            .await;
        }
        let h = &mut parts.headers;
        if let Ok(v) = HeaderValue::from_str(&format_credits(self.quote.credits)) {
            h.insert(HEADER_PROJECTED, v);
        }
        if let Ok(v) = HeaderValue::from_str(hold_id) {
            h.insert(HEADER_HOLD_ID, v);
        }
        if let Some(key) = &self.idem_key {
            let status = parts.status.as_u16();
            // Retryable answers are not stored, so a retry can try again.
            if status == 429 || status >= 500 {
                abandon(s, &self.tenant.id, Some(key)).await;
            } else {
                let stored = StoredResponse {
                    status,
                    headers: parts
                        .headers
                        .iter()
                        .filter(|(k, _)| *k != http::header::CONTENT_LENGTH)
                        .filter_map(|(k, v)| {
                            Some((k.as_str().to_string(), v.to_str().ok()?.to_string()))
                        })
                        .collect(),
                    body: body.to_vec(),
                };
                if let Err(e) = s.ledger.idem_complete(&self.tenant.id, key, &stored).await {
                    s.ledger_down("idem_complete", &e);
                }
            }
        }
        Ok(Response::from_parts(parts, full(body)))
    }

    async fn release(&self, hold_id: &str, reason: &str) {
        let s = &self.state;
        match s.ledger.release(hold_id, reason).await {
            Ok(()) => s.metrics.credits(
                CreditKind::Released,
                &self.tenant.id,
                &self.quote.feature,
                self.quote.credits,
            ),
            Err(e) => {
                s.ledger_down("release", &e);
            }
        }
    }

    async fn record_success(&self, hold_id: &str, body: &[u8]) {
        let s = &self.state;
        let q = &self.quote;
        let result = match q.settle {
            SettleMode::PerJob => {
                let jobs = pricing::jobs_from_response(&self.billable, q, body);
                if jobs.is_empty() {
                    // Accepted but no job id to settle by: never undercount.
                    tracing::warn!(hold_id = %hold_id, "No job id in HeyGen's answer; capturing the projection.");
                    s.ledger
                        .capture_hold(hold_id, q.credits)
                        .await
                        .map(|_| q.credits)
                } else {
                    let records = job_records(&jobs);
                    s.ledger.submit(hold_id, &records).await.map(|_| 0)
                }
            }
            SettleMode::OnSuccess => s
                .ledger
                .capture_hold(hold_id, q.credits)
                .await
                .map(|_| q.credits),
            SettleMode::Free => s.ledger.capture_hold(hold_id, 0).await.map(|_| 0),
        };
        match result {
            Ok(captured) if q.settle != SettleMode::PerJob || captured > 0 => {
                s.metrics
                    .credits(CreditKind::Captured, &self.tenant.id, &q.feature, captured);
                s.metrics.credits(
                    CreditKind::Released,
                    &self.tenant.id,
                    &q.feature,
                    q.credits - captured,
                );
            }
            Ok(_) => {}
            Err(e) => {
                // The job exists upstream; the hold stays and the TTL captures it.
                tracing::error!(hold_id = %hold_id, error = %e, "Recording the upstream job failed; hold kept for TTL settlement.");
                s.metrics.ledger_error("submit");
            }
        }
    }
}

/// Each job carries the share of the hold the quote assigned it (the shares
/// sum to the quote, so the hold is split exactly).
fn job_records(jobs: &[pricing::Job]) -> Vec<JobRecord> {
    jobs.iter()
        .map(|j| JobRecord {
            job_id: j.id.clone(),
            feature: j.feature.clone(),
            status_path: j.status_path.clone(),
            held: j.quoted,
        })
        .collect()
}
