//! The gateway's own tenant-listener endpoints under `/gateway/v1/`:
//! `GET usage` (the tenant's budgets), `POST quote` (price without sending),
//! `POST webhooks/heygen` (HeyGen's signed callbacks; no tenant key).

use std::sync::Arc;

use crate::conn::ReqBody;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use crate::catalog::{classify, RouteKind};
use crate::error::GatewayError;
use crate::ledger::{Scope, ScopeUsage};
use crate::money::format_credits;
use crate::pricing::{self, PlanPolicy, WebhookOutcome};
use crate::proxy::body::{collect_limited, BodyError};
use crate::proxy::client::{full, Body};
use crate::proxy::handler::{authenticate, Ctx};
use crate::state::{AppState, Runtime};

const MAX_WEBHOOK_BODY: usize = 1 << 20;

pub(crate) async fn handle(
    state: &Arc<AppState>,
    rt: &Runtime,
    rest: String,
    req: Request<ReqBody>,
    ctx: &mut Ctx,
) -> Result<Response<Body>, GatewayError> {
    match (req.method().clone(), rest.as_str()) {
        (Method::POST, "webhooks/heygen") => webhook(state, req).await,
        // HeyGen validates a new endpoint with an OPTIONS request.
        (Method::OPTIONS, "webhooks/heygen") => Ok(json_response(StatusCode::OK, json!({}))),
        (Method::GET, "usage") => {
            let i = authenticate(rt, req.headers())?;
            let tenant = &rt.config.tenants[i];
            ctx.tenant = Some(tenant.id.clone());
            let now = state.clock.now();
            let scopes = [(Scope::Tenant(tenant.id.clone()), tenant.budgets)];
            let usage = state
                .ledger
                .usage(&scopes, rt.config.plan.timezone, now)
                .await
                .map_err(|e| state.ledger_down("usage", &e))?;
            let windows = usage.first().map(usage_json).unwrap_or(Value::Null);
            Ok(json_response(
                StatusCode::OK,
                json!({"data": {"tenant": tenant.id, "name": tenant.name, "shadow": tenant.shadow, "windows": windows}}),
            ))
        }
        (Method::POST, "quote") => {
            let i = authenticate(rt, req.headers())?;
            let tenant = &rt.config.tenants[i];
            ctx.tenant = Some(tenant.id.clone());
            let body =
                collect_limited(req.into_body(), rt.config.server.max_json_body_bytes + 4096)
                    .await
                    .map_err(|e| match e {
                        BodyError::TimedOut => GatewayError::RequestTimeout,
                        e => GatewayError::bad_request(format!("quote body: {e}")),
                    })?;
            let q: QuoteRequest = serde_json::from_slice(&body).map_err(|e| {
                GatewayError::bad_request(format!(
                    "quote body must be {{\"method\", \"path\", \"body\"}}: {e}"
                ))
            })?;
            let value = quote_json(rt, Some(tenant), &q)?;
            Ok(json_response(StatusCode::OK, json!({ "data": value })))
        }
        (_, "webhooks/heygen" | "usage" | "quote") => Err(GatewayError::MethodNotAllowed),
        _ => Err(GatewayError::NotFound),
    }
}

/// A request to price: what the tenant would send to HeyGen.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    #[serde(default = "post")]
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub body: Value,
}

fn post() -> String {
    "POST".into()
}

/// Prices a request and states the policy verdict (shared by the endpoint and the CLI).
pub fn quote_json(
    rt: &Runtime,
    tenant: Option<&crate::config::TenantConfig>,
    q: &QuoteRequest,
) -> Result<Value, GatewayError> {
    let method = Method::from_bytes(q.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| GatewayError::bad_request(format!("{:?} is not an HTTP method", q.method)))?;
    let (raw_path, _) = q.path.split_once('?').unwrap_or((q.path.as_str(), ""));
    let path = crate::proxy::path::normalize(raw_path)
        .map_err(|e| GatewayError::bad_request(e.to_string()))?;
    let route = classify(&method, &path);
    let cfg = &rt.config;
    if let Some(t) = tenant {
        if !t.may_use(route.family) {
            return Ok(verdict(
                &path,
                route.template,
                None,
                GatewayError::RouteForbidden {
                    family: route.family.as_str(),
                },
            ));
        }
    }
    match &route.kind {
        RouteKind::Billable(b) => {
            let body = serde_json::to_vec(&q.body).unwrap_or_default();
            let plan = PlanPolicy::from(&cfg.plan);
            match pricing::quote(&cfg.pricing, &plan, b, &body) {
                Ok(quote) => Ok(json!({
                    "path": path, "route": route.template, "billable": true,
                    "quote": quote, "credits": format_credits(quote.credits),
                    "verdict": {"allowed": true},
                })),
                Err(e) => {
                    // Show what the request would cost without the plan's
                    // rules, so the caller sees why it was refused.
                    let unlimited = PlanPolicy {
                        tier: crate::config::Tier::Enterprise,
                        max_video_seconds: u32::MAX,
                    };
                    let projection = pricing::quote(&cfg.pricing, &unlimited, b, &body)
                        .ok()
                        .and_then(|q| serde_json::to_value(q).ok());
                    Ok(verdict(
                        &path,
                        route.template,
                        projection,
                        GatewayError::Pricing(e),
                    ))
                }
            }
        }
        RouteKind::UnknownWrite
            if cfg.routes.unknown_writes == crate::config::UnknownWrites::Deny =>
        {
            Ok(verdict(
                &path,
                route.template,
                None,
                GatewayError::UnknownWrite,
            ))
        }
        _ => Ok(json!({
            "path": path, "route": route.template, "billable": false, "credits": "0",
            "verdict": {"allowed": true},
        })),
    }
}

fn verdict(path: &str, template: &str, quote: Option<Value>, e: GatewayError) -> Value {
    json!({
        "path": path, "route": template, "quote": quote,
        "verdict": {"allowed": false, "status": e.status().as_u16(), "code": e.code(), "reason": e.reason(), "message": e.to_string()},
    })
}

/// Usage windows as JSON (credits as exact decimal strings).
pub fn usage_json(u: &ScopeUsage) -> Value {
    Value::Array(
        u.windows
            .iter()
            .map(|w| {
                json!({
                    "window": w.window.as_str(),
                    "period": w.period,
                    "limit": w.limit.map(format_credits),
                    "held": format_credits(w.held),
                    "spent": format_credits(w.spent),
                    "remaining": w.remaining.map(format_credits),
                    "resets_at": w.resets_at.map(|t| t.to_rfc3339()),
                })
            })
            .collect(),
    )
}

pub(crate) fn json_response(status: StatusCode, v: Value) -> Response<Body> {
    let mut resp = Response::new(full(v.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Verifies HeyGen's HMAC-SHA256 signature over the raw body: v3's
/// `Heygen-Signature` (with `Heygen-Timestamp` inside the tolerance) or the
/// legacy `Signature`. Comparison is constant-time.
pub fn verify_signature(
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
    now_unix: i64,
    tolerance_secs: u64,
) -> bool {
    let provided = headers
        .get("heygen-signature")
        .or_else(|| headers.get("signature"));
    let Some(provided) = provided.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if let Some(ts) = headers.get("heygen-timestamp") {
        let Some(ts) = ts.to_str().ok().and_then(|s| s.trim().parse::<i64>().ok()) else {
            return false;
        };
        if now_unix.abs_diff(ts) > tolerance_secs {
            return false;
        }
    }
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    let expected = hex::encode(mac.finalize().into_bytes());
    let provided = provided.trim().to_ascii_lowercase();
    expected.as_bytes().ct_eq(provided.as_bytes()).into()
}

async fn webhook(
    state: &Arc<AppState>,
    req: Request<ReqBody>,
) -> Result<Response<Body>, GatewayError> {
    // Unauthenticated until the signature checks out: refuse a declared
    // oversize body before reading a byte of it.
    crate::proxy::hygiene::declared_length_within(req.headers(), MAX_WEBHOOK_BODY as u64)?;
    let (parts, incoming) = req.into_parts();
    let body: Bytes = collect_limited(incoming, MAX_WEBHOOK_BODY)
        .await
        .map_err(|e| e.into_gateway())?;
    let Some(secret) = &state.webhook_secret else {
        return Err(GatewayError::WebhookSignature);
    };
    let rt = state.snapshot();
    let now = state.clock.now();
    if !verify_signature(
        secret.expose(),
        &parts.headers,
        &body,
        now.timestamp(),
        rt.config.webhooks.tolerance.as_secs(),
    ) {
        return Err(GatewayError::WebhookSignature);
    }
    let Some(event) = pricing::parse_webhook(&body) else {
        // Signed but not an event we settle on (gif, caption, …): acknowledge.
        return Ok(json_response(
            StatusCode::OK,
            json!({"data": {"handled": false}}),
        ));
    };
    // Answer fast (HeyGen wants 2xx within seconds); the status re-read and
    // the settlement happen in the background and are idempotent.
    let state = state.clone();
    state.clone().tasks.spawn(async move {
        let job = match state.ledger.get_job(&event.job_id).await {
            Ok(Some(job)) => job,
            Ok(None) => {
                tracing::info!(job_id = %event.job_id, event = %event.event_type, "Webhook for a job the gateway did not create; ignored.");
                return;
            }
            Err(e) => {
                state.ledger_down("get_job", &e);
                return;
            }
        };
        // The event only says "look now": HeyGen's status read decides. A
        // `.fail` event may be about a by-product (caption, gif) of a video
        // that rendered fine, and success events carry no duration.
        let result = match event.outcome {
            WebhookOutcome::Failed | WebhookOutcome::Success => {
                crate::settle::refresh(&state, &job.job_id, &job.status_path, "webhook").await
            }
            WebhookOutcome::Other => Ok(false),
        };
        if let Err(e) = result {
            state.ledger_down("settle", &e);
        }
    });
    Ok(json_response(
        StatusCode::OK,
        json!({"data": {"handled": true}}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn verifies_v3_and_legacy_signatures() {
        let body = br#"{"event_type":"avatar_video.success"}"#;
        let mut h = HeaderMap::new();
        h.insert("signature", sign("s3cret", body).parse().unwrap());
        assert!(verify_signature("s3cret", &h, body, 1000, 300));
        assert!(!verify_signature("other", &h, body, 1000, 300));
        assert!(!verify_signature("s3cret", &h, b"tampered", 1000, 300));

        let mut h = HeaderMap::new();
        h.insert("heygen-signature", sign("s3cret", body).parse().unwrap());
        h.insert("heygen-timestamp", "1000".parse().unwrap());
        assert!(verify_signature("s3cret", &h, body, 1200, 300));
        assert!(
            !verify_signature("s3cret", &h, body, 2000, 300),
            "stale timestamp"
        );
        assert!(!verify_signature(
            "s3cret",
            &HeaderMap::new(),
            body,
            1000,
            300
        ));
    }
}
