//! `/admin/v1/…`: tenants with usage, holds, the journal, the ledger audit,
//! credit adjustments, reload and webhook redelivery. Bearer token from the
//! environment; every write is an audit event in the log and (adjustments)
//! a journal row with the actor.
//!
//! Routing, the bearer check, the query helpers and the tenants list live
//! here; the read endpoints over the ledger are in `ledger_reads` and the
//! audited writes (adjustments, reload) in `writes`.

mod ledger_reads;
mod writes;

use std::sync::Arc;

use crate::conn::ReqBody;
use chrono::{DateTime, Utc};
use http::{header, HeaderMap, Method, Request, Response, StatusCode};
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::error::{GatewayError, Generation};
use crate::http::{collect_limited, full, json_response, Body};
use crate::ledger::Scope;
use crate::proxy::self_service::usage_json;
use crate::state::AppState;
use ledger_reads::{holds, ledger, spend_report, verify};
use writes::{adjust, reload};

/// Most rows one list or export returns.
const MAX_ROWS: u32 = 100_000;

pub(crate) async fn handle(
    state: Arc<AppState>,
    req: Request<ReqBody>,
    rest: &str,
) -> Response<Body> {
    if state.secrets.admin_token.is_none() {
        let env = &state.snapshot().config.server.admin_token_env;
        let message = format!("the admin API is off: ${env} was not set when the gateway started");
        return render(&state, GatewayError::NotConfigured { message });
    }
    if !authorized(&state, req.headers()) {
        return render(&state, GatewayError::AdminUnauthorized);
    }
    let query = req.uri().query().unwrap_or("").to_string();
    let result = match (req.method().clone(), rest) {
        (Method::GET, "tenants") => tenants(&state).await,
        (Method::GET, "holds") => holds(&state, &query).await,
        (Method::GET, "ledger") => ledger(&state, &query).await,
        (Method::GET, "ledger/verify") => verify(&state, &query).await,
        (Method::POST, "adjustments") => adjust(&state, req).await,
        (Method::POST, "resources") => {
            let headers = req.headers().clone();
            match collect_limited(req.into_body(), 1 << 20).await {
                Ok(body) => super::resources::assign(&state, &headers, body).await,
                Err(e) => Err(e.into()),
            }
        }
        (Method::GET, "resources") => match limit_param(&query, 1000, MAX_ROWS) {
            Ok(limit) => {
                let (tenant, kind) = (param(&query, "tenant"), param(&query, "kind"));
                super::resources::list(&state, tenant, kind, limit).await
            }
            Err(e) => Err(e),
        },
        (Method::POST, "reload") => reload(&state, req.headers()).await,
        (Method::POST, "webhooks/redeliver") => {
            let headers = req.headers().clone();
            match collect_limited(req.into_body(), 64 * 1024).await {
                Ok(body) => super::redeliver::handle(&state, &headers, body).await,
                Err(e) => Err(e.into()),
            }
        }
        (Method::GET, "reports/spend") => spend_report(&state, &query).await,
        (Method::GET, "sessions") => {
            crate::sessions::live_json(&state, param(&query, "tenant").as_deref())
                .await
                .map(|v| json_response(StatusCode::OK, json!({ "data": v })))
                .map_err(GatewayError::ledger("sessions"))
        }
        (_, "tenants" | "holds" | "ledger" | "ledger/verify" | "sessions" | "reports/spend") => {
            Err(GatewayError::not_allowed("GET"))
        }
        (_, "adjustments" | "reload" | "webhooks/redeliver") => {
            Err(GatewayError::not_allowed("POST"))
        }
        (_, "resources") => Err(GatewayError::not_allowed("GET, POST")),
        _ => Err(GatewayError::NotFound),
    };
    result.unwrap_or_else(|e| render(&state, e))
}

type AdminResult = Result<Response<Body>, GatewayError>;

/// Admin refusals use the same error type and envelope (v3's) as the
/// tenant listener; ledger failures are counted and logged here, at the edge.
fn render(state: &AppState, e: GatewayError) -> Response<Body> {
    if let GatewayError::Ledger { op, source } = &e {
        state.note_ledger_error(op, source);
    }
    e.to_response(Generation::V3, state.clock.now()).map(full)
}

fn authorized(state: &AppState, h: &HeaderMap) -> bool {
    let Some(token) = &state.secrets.admin_token else {
        return false;
    };
    let Some(given) = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // The scheme is case-insensitive (RFC 9110 §11.1), as on the tenant listener.
        .and_then(|v| {
            v.get(..7)
                .filter(|s| s.eq_ignore_ascii_case("bearer "))
                .map(|_| &v[7..])
        })
    else {
        return false;
    };
    given
        .trim()
        .as_bytes()
        .ct_eq(token.expose().as_bytes())
        .into()
}

/// A decoded query parameter; a malformed escape reads as absent.
pub(crate) fn param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .and_then(|(_, v)| crate::http::percent_decode(v))
}

/// `limit` (1 to `max`; `default` when absent): a value that is not one is
/// a 400, not silently the default.
fn limit_param(query: &str, default: u32, max: u32) -> Result<u32, GatewayError> {
    match param(query, "limit").as_deref() {
        None | Some("") => Ok(default.min(max)),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                GatewayError::bad_request(format!("`limit` must be a number from 1 to {max}"))
            }),
    }
}

fn time_param(query: &str, name: &str) -> Result<Option<DateTime<Utc>>, GatewayError> {
    match param(query, name).as_deref() {
        None | Some("") => Ok(None),
        Some(v) => DateTime::parse_from_rfc3339(v)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| {
                GatewayError::bad_request(format!(
                    "`{name}` must be an RFC 3339 time like 2026-11-01T00:00:00Z"
                ))
            }),
    }
}

async fn tenants(state: &AppState) -> AdminResult {
    let rt = state.snapshot();
    let cfg = &rt.config;
    let mut scopes = vec![(Scope::Org, cfg.org.budgets)];
    scopes.extend(
        cfg.tenants
            .iter()
            .map(|t| (Scope::Tenant(t.id.clone()), t.budgets)),
    );
    let usage = state
        .ledger
        .usage(&scopes, cfg.plan.timezone, state.clock.now())
        .await
        .map_err(GatewayError::ledger("usage"))?;
    let mut org =
        json!({"shadow": cfg.org.shadow, "renders_in_flight_cap": cfg.org.renders_in_flight});
    let mut tenants = Vec::new();
    for u in &usage {
        match &u.scope {
            Scope::Org => org["windows"] = usage_json(u),
            Scope::Tenant(id) => {
                let Some(t) = cfg.tenant(id) else { continue };
                tenants.push(json!({
                    "id": t.id, "name": t.name, "enabled": t.enabled, "shadow": t.shadow, "keys": t.key_hashes.len(),
                    "limits": {"requests_per_minute": t.limits.requests_per_minute.get(), "burst": t.limits.burst.get(),
                               "renders_in_flight": t.limits.renders_in_flight},
                    "routes": {"allow": t.allow.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
                               "deny": t.deny.iter().map(|f| f.as_str()).collect::<Vec<_>>()},
                    "windows": usage_json(u),
                }));
            }
        }
    }
    Ok(json_response(
        StatusCode::OK,
        json!({"data": {"org": org, "tenants": tenants, "price_book": cfg.pricing.version()}}),
    ))
}
