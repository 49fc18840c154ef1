//! The gateway's own tenant-listener endpoints under `/gateway/v1/`:
//! `GET usage` (the tenant's budgets), `POST quote` (price without sending),
//! `POST webhooks/heygen` (HeyGen's signed callbacks; no tenant key), and
//! the tenant's own webhook endpoints and delivery log ([`endpoints`]).

mod endpoints;
mod quote;
mod webhook;

use std::sync::Arc;

use crate::conn::ReqBody;
use http::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};

pub(crate) use quote::{quote_json, QuoteRequest};

use super::admit::authenticate;
use super::context::{Admitted, RequestContext};
use crate::config::TenantConfig;
use crate::error::GatewayError;
use crate::http::{collect_or_drain, json_response, Body, BodyError};
use crate::ledger::{Scope, ScopeUsage};
use crate::money::format_credits;
use crate::state::{AppState, Runtime};

pub(super) async fn handle(
    state: &Arc<AppState>,
    admitted: &Admitted,
    ctx: &RequestContext,
    rest: &str,
    req: Request<ReqBody>,
) -> Result<Response<Body>, GatewayError> {
    let rt = &admitted.runtime;
    if let Some(op) = endpoints::route(req.method(), rest) {
        let op = op?;
        let tenant = tenant_of(rt, ctx, req.headers())?;
        return endpoints::handle(state, rt, tenant, op, req).await;
    }
    match (req.method().clone(), rest) {
        (Method::POST, "webhooks/heygen") => webhook::receive(state, req).await,
        // HeyGen validates a new endpoint with an OPTIONS request.
        (Method::OPTIONS, "webhooks/heygen") => Ok(json_response(StatusCode::OK, json!({}))),
        (Method::GET, "usage") => {
            let tenant = tenant_of(rt, ctx, req.headers())?;
            let now = state.clock.now();
            let scopes = [(Scope::Tenant(tenant.id.clone()), tenant.budgets)];
            let usage = state
                .ledger
                .usage(&scopes, rt.config.plan.timezone, now)
                .await
                .map_err(GatewayError::ledger("usage"))?;
            let windows = usage.first().map(usage_json).unwrap_or(Value::Null);
            let sessions = crate::sessions::live_json(state, Some(&tenant.id))
                .await
                .map_err(GatewayError::ledger("sessions"))?;
            Ok(json_response(
                StatusCode::OK,
                json!({"data": {"tenant": tenant.id, "name": tenant.name, "shadow": tenant.shadow,
                    "windows": windows, "sessions": sessions}}),
            ))
        }
        (Method::POST, "quote") => {
            let tenant = tenant_of(rt, ctx, req.headers())?;
            // A quote reads HeyGen with the org key and probes media URLs,
            // so it counts against the tenant's request rate as a HeyGen
            // call does (the other endpoints read only the gateway's state).
            rate_limit(state, tenant).await?;
            // The priced body's limit plus room for the envelope around it.
            let limit = rt.config.server.max_json_body_bytes + 4096;
            crate::proxy::hygiene::declared_length_within(req.headers(), limit as u64)?;
            let body = collect_or_drain(req.into_body(), limit)
                .await
                .map_err(|e| match e {
                    BodyError::TimedOut => GatewayError::RequestTimeout,
                    BodyError::TooLarge(_) => GatewayError::PayloadTooLarge {
                        limit: limit as u64,
                    },
                    e => GatewayError::bad_request(format!("quote body: {e}")),
                })?;
            let q: QuoteRequest = serde_json::from_slice(&body).map_err(|e| {
                GatewayError::bad_request(format!(
                    "quote body must be {{\"method\", \"path\", \"body\"}}: {e}"
                ))
            })?;
            let facts = match quote::billable_of(&q, tenant) {
                Some((b, body)) => crate::proxy::media::facts(state, &b, &body, &tenant.id).await,
                None => crate::pricing::Facts::default(),
            };
            let value = quote_json(rt, Some(tenant), &q, &facts)?;
            Ok(json_response(StatusCode::OK, json!({ "data": value })))
        }
        (_, "webhooks/heygen" | "quote") => Err(GatewayError::not_allowed("POST")),
        (_, "usage") => Err(GatewayError::not_allowed("GET")),
        _ => Err(GatewayError::NotFound),
    }
}

/// Counts a call of `tenant` that reaches outside the gateway (a quote's
/// HeyGen reads and media probes, an endpoint's DNS check) against its
/// request rate, as a HeyGen call is.
pub(super) async fn rate_limit(
    state: &AppState,
    tenant: &TenantConfig,
) -> Result<(), GatewayError> {
    state
        .limiter
        .check(&tenant.id)
        .decide()
        .await
        .map_err(|retry_after| GatewayError::RateLimited { retry_after })
}

/// The tenant of a request to an endpoint that needs one.
fn tenant_of<'a>(
    rt: &'a Runtime,
    ctx: &RequestContext,
    headers: &http::HeaderMap,
) -> Result<&'a TenantConfig, GatewayError> {
    let t = &rt.config.tenants[authenticate(rt, headers)?];
    ctx.tag(|tags| tags.tenant = Some(t.id.clone()));
    Ok(t)
}

/// Usage windows as JSON (credits as exact decimal strings). `limit` is the
/// period's effective limit (`configured_limit + granted`), the number
/// `remaining` and the metrics are computed against.
pub(crate) fn usage_json(u: &ScopeUsage) -> Value {
    Value::Array(
        u.windows
            .iter()
            .map(|w| {
                json!({
                    "window": w.window.as_str(),
                    "period": w.period,
                    "limit": w.effective_limit().map(format_credits),
                    "configured_limit": w.limit.map(format_credits),
                    "granted": format_credits(w.granted),
                    "held": format_credits(w.held),
                    "spent": format_credits(w.spent),
                    "remaining": w.remaining.map(format_credits),
                    "resets_at": w.resets_at.map(|t| t.to_rfc3339()),
                })
            })
            .collect(),
    )
}
