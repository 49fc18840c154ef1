//! A tenant's own webhook endpoints (fan-out of HeyGen's callbacks):
//! `POST|GET webhooks/endpoints`, `DELETE webhooks/endpoints/{id}`,
//! `GET webhooks/deliveries?endpoint_id=&limit=`,
//! `POST webhooks/deliveries/{id}/redeliver` (in `redeliver`). Tenant key
//! required.
//! A URL must pass the egress guard at registration (and again at every
//! delivery, since DNS may change); the signing secret is shown once.
//! Creation counts against the tenant's request rate; the 20-endpoint cap
//! is counted in the insert's ledger transaction.
//!
//! This file holds routing, the handlers and the JSON they answer; event
//! names and the log query are checked in `input`.

mod input;
mod redeliver;

use std::sync::Arc;

use http::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::config::TenantConfig;
use crate::conn::ReqBody;
use crate::error::GatewayError;
use crate::http::{collect_limited, json_response, Body};
use crate::ledger::{DeliveryLogEntry, EndpointInfo};
use crate::state::{AppState, Runtime};
use input::{events, log_query};

/// Fan-out multiplies every event by the endpoint count; keep it small.
const MAX_ENDPOINTS_PER_TENANT: u32 = 20;
const MAX_EVENTS: usize = 64;
const MAX_URL_LEN: usize = 2048;
const MAX_BODY: usize = 64 * 1024;
const DEFAULT_LOG_LIMIT: u32 = 50;
const MAX_LOG_LIMIT: u32 = 500;

/// What a request under `webhooks/` asks for.
pub(super) enum Op {
    Add,
    List,
    Delete(String),
    Log,
    /// The delivery id as given (a non-number is no delivery: 404).
    Redeliver(String),
}

/// `None` when `rest` is not one of these endpoints; `Some(Err)` for a
/// known path with the wrong method.
pub(super) fn route(method: &Method, rest: &str) -> Option<Result<Op, GatewayError>> {
    let op = match rest {
        "webhooks/endpoints" => match *method {
            Method::POST => Ok(Op::Add),
            Method::GET => Ok(Op::List),
            _ => Err(GatewayError::not_allowed("GET, POST")),
        },
        "webhooks/deliveries" => match *method {
            Method::GET => Ok(Op::Log),
            _ => Err(GatewayError::not_allowed("GET")),
        },
        _ if rest.starts_with("webhooks/deliveries/") => {
            let id = rest
                .strip_prefix("webhooks/deliveries/")?
                .strip_suffix("/redeliver")?;
            if id.is_empty() || id.contains('/') {
                return None;
            }
            match *method {
                Method::POST => Ok(Op::Redeliver(id.to_owned())),
                _ => Err(GatewayError::not_allowed("POST")),
            }
        }
        _ => {
            let id = rest.strip_prefix("webhooks/endpoints/")?;
            if id.is_empty() || id.contains('/') {
                return None;
            }
            match *method {
                Method::DELETE => Ok(Op::Delete(id.to_owned())),
                _ => Err(GatewayError::not_allowed("DELETE")),
            }
        }
    };
    Some(op)
}

pub(super) async fn handle(
    state: &Arc<AppState>,
    rt: &Runtime,
    tenant: &TenantConfig,
    op: Op,
    req: Request<ReqBody>,
) -> Result<Response<Body>, GatewayError> {
    let ledger = state.ledger.as_ref();
    match op {
        Op::Add => add(state, rt, tenant, req).await,
        Op::List => {
            let list = ledger
                .list_endpoints(&tenant.id)
                .await
                .map_err(GatewayError::ledger("list_endpoints"))?;
            let list: Vec<Value> = list.iter().map(endpoint_json).collect();
            Ok(json_response(
                StatusCode::OK,
                json!({"data": {"endpoints": list}}),
            ))
        }
        Op::Delete(id) => {
            let deleted = ledger
                .delete_endpoint(&tenant.id, &id)
                .await
                .map_err(GatewayError::ledger("delete_endpoint"))?;
            if !deleted {
                let what = format!("webhook endpoint {id:?}");
                return Err(GatewayError::NoSuch { what });
            }
            Ok(json_response(
                StatusCode::OK,
                json!({"data": {"endpoint_id": id, "deleted": true}}),
            ))
        }
        Op::Redeliver(id) => redeliver::redeliver(state, rt, tenant, &id).await,
        Op::Log => {
            let (endpoint_id, limit) = log_query(req.uri().query().unwrap_or(""))?;
            let log = ledger
                .delivery_log(&tenant.id, endpoint_id.as_deref(), limit)
                .await
                .map_err(GatewayError::ledger("delivery_log"))?;
            let log: Vec<Value> = log.iter().map(log_json).collect();
            Ok(json_response(
                StatusCode::OK,
                json!({"data": {"deliveries": log}}),
            ))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddRequest {
    url: String,
    #[serde(default)]
    events: Option<Vec<String>>,
}

async fn add(
    state: &AppState,
    rt: &Runtime,
    tenant: &TenantConfig,
    req: Request<ReqBody>,
) -> Result<Response<Body>, GatewayError> {
    // Each creation resolves the URL's host through the egress guard, so
    // it counts against the tenant's request rate as the quote does
    // (listing and the log read only the gateway's own state).
    super::rate_limit(state, tenant).await?;
    let body = collect_limited(req.into_body(), MAX_BODY).await?;
    let add: AddRequest = serde_json::from_slice(&body).map_err(|e| {
        GatewayError::bad_request(format!(
            "body must be {{\"url\": \"https://…\", \"events\": [\"avatar_video.success\", …]}}: {e}"
        ))
    })?;
    let url = add.url.trim().to_owned();
    if url.len() > MAX_URL_LEN {
        return Err(GatewayError::bad_request(format!(
            "url: longer than {MAX_URL_LEN} characters"
        )));
    }
    let events = events(add.events)?;
    // Checked now so a tenant learns at once that a private or loopback
    // address is refused; checked again at each delivery.
    let guard = rt.egress.as_ref().ok_or(GatewayError::Internal)?;
    guard
        .check(&url)
        .await
        .map_err(|e| GatewayError::bad_request(format!("url: {e}")))?;
    let secret = crate::fanout::new_secret();
    // The cap is counted in the insert's transaction: a count read first
    // would let parallel POSTs all see room for one more.
    let info = state
        .ledger
        .add_endpoint(&tenant.id, &url, &events, &secret, MAX_ENDPOINTS_PER_TENANT)
        .await
        .map_err(GatewayError::ledger("add_endpoint"))?
        .ok_or_else(|| {
            GatewayError::bad_request(format!(
                "a tenant may register at most {MAX_ENDPOINTS_PER_TENANT} endpoints; delete one first"
            ))
        })?;
    let mut data = endpoint_json(&info);
    if let Some(obj) = data.as_object_mut() {
        // Shown once: the gateway never returns it again.
        obj.insert("secret".into(), Value::from(secret));
    }
    Ok(json_response(StatusCode::CREATED, json!({ "data": data })))
}

fn endpoint_json(e: &EndpointInfo) -> Value {
    json!({
        "endpoint_id": e.id,
        "url": e.url,
        "events": e.events,
        "status": "enabled",
        "created_at": e.created_at.to_rfc3339(),
    })
}

pub(super) fn log_json(d: &DeliveryLogEntry) -> Value {
    json!({
        "delivery_id": d.id,
        "event_id": d.event_id,
        "endpoint_id": d.endpoint_id,
        "state": d.state.as_str(),
        "attempts": d.attempts,
        "last_status": d.last_status,
        "last_error": d.last_error,
        "created_at": d.created_at.to_rfc3339(),
        "next_attempt_at": d.next_attempt_at.to_rfc3339(),
        "delivered_at": d.delivered_at.map(|t| t.to_rfc3339()),
    })
}

#[cfg(test)]
mod tests;
