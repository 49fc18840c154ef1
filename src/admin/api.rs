//! `/admin/v1/…`: tenants with usage, holds, the journal, the ledger audit,
//! credit adjustments and reload. Bearer token from the environment; every write is an audit
//! event in the log and (adjustments) a journal row with the actor.

use std::sync::Arc;

use crate::conn::ReqBody;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use crate::error::{GatewayError, Generation};
use crate::http::{collect_limited, full, json_response, Body};
use crate::ledger::{Adjustment, HoldFilter, HoldInfo, HoldState, JournalEntry, Scope, Window};
use crate::money::{credits_to_micros, format_credits};
use crate::proxy::self_service::usage_json;
use crate::state::AppState;

/// Most rows one list or export returns.
const MAX_ROWS: u32 = 100_000;

pub(crate) async fn handle(
    state: Arc<AppState>,
    req: Request<ReqBody>,
    rest: &str,
) -> Response<Body> {
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
        (Method::GET, "resources") => {
            let limit = param(&query, "limit")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1000)
                .min(MAX_ROWS);
            super::resources::list(
                &state,
                param(&query, "tenant"),
                param(&query, "kind"),
                limit,
            )
            .await
        }
        (Method::POST, "reload") => reload(&state, req.headers()),
        (Method::GET, "reports/spend") => spend_report(&state, &query).await,
        (Method::GET, "sessions") => {
            crate::sessions::live_json(&state, param(&query, "tenant").as_deref())
                .await
                .map(|v| json_response(StatusCode::OK, json!({ "data": v })))
                .map_err(GatewayError::ledger("sessions"))
        }
        (
            _,
            "tenants" | "holds" | "ledger" | "ledger/verify" | "adjustments" | "reload"
            | "resources" | "sessions" | "reports/spend",
        ) => Err(GatewayError::MethodNotAllowed),
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
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
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

fn hold_json(h: &HoldInfo) -> Value {
    json!({
        "hold_id": h.hold_id, "tenant": h.tenant, "feature": h.feature, "route": h.route, "state": h.state.as_str(),
        "amount": format_credits(h.amount), "held": format_credits(h.held), "captured": format_credits(h.captured),
        "render": h.render, "price_version": h.price_version, "request_id": h.request_id,
        "created_at": h.created_at.to_rfc3339(), "expires_at": h.expires_at.to_rfc3339(),
        "settled_at": h.settled_at.map(|t| t.to_rfc3339()),
    })
}

async fn holds(state: &AppState, query: &str) -> AdminResult {
    let hold_state = match param(query, "state").as_deref() {
        None | Some("") => None,
        Some(s) => Some(HoldState::parse(s).ok_or_else(|| {
            GatewayError::bad_request(
                "`state` is one of held, submitted, captured, released, expired",
            )
        })?),
    };
    let limit = param(query, "limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
        .min(MAX_ROWS);
    let filter = HoldFilter {
        state: hold_state,
        tenant: param(query, "tenant"),
        limit,
    };
    let list = state
        .ledger
        .list_holds(filter)
        .await
        .map_err(GatewayError::ledger("list_holds"))?;
    Ok(json_response(
        StatusCode::OK,
        json!({"data": list.iter().map(hold_json).collect::<Vec<_>>()}),
    ))
}

fn entry_json(e: &JournalEntry) -> Value {
    json!({
        "seq": e.seq, "at": e.at.to_rfc3339(), "kind": e.kind.as_str(), "hold_id": e.hold_id, "scope": e.scope.label(),
        "tenant": e.tenant, "feature": e.feature, "amount": format_credits(e.amount), "price_version": e.price_version,
        "request_id": e.request_id, "upstream_ids": e.upstream_ids, "actor": e.actor, "reason": e.reason,
    })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `GET /admin/v1/reports/spend?period=2026-11 | from=…&to=…`, `group_by`,
/// `format=json|csv`.
async fn spend_report(state: &AppState, query: &str) -> AdminResult {
    use super::reports;
    let tz = state.snapshot().config.plan.timezone;
    let (from, to) =
        match param(query, "period") {
            Some(p) => reports::period(&p, tz).map_err(GatewayError::bad_request)?,
            None => match (time_param(query, "from")?, time_param(query, "to")?) {
                (Some(f), Some(t)) if f < t => (f, t),
                _ => return Err(GatewayError::bad_request(
                    "give `period` (2026-11) or both `from` and `to` (RFC 3339, from before to)",
                )),
            },
        };
    let by = reports::GroupBy::parse(param(query, "group_by").as_deref())
        .map_err(GatewayError::bad_request)?;
    let rows = state
        .ledger
        .spend_report(from, to)
        .await
        .map_err(GatewayError::ledger("report"))?;
    match param(query, "format").as_deref().unwrap_or("json") {
        "json" => Ok(json_response(
            StatusCode::OK,
            json!({ "data": reports::json(&rows, by, from, to) }),
        )),
        "csv" => {
            let mut resp = Response::new(full(Bytes::from(reports::csv(&rows, by))));
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv"));
            Ok(resp)
        }
        _ => Err(GatewayError::bad_request("`format` is json or csv")),
    }
}

async fn ledger(state: &AppState, query: &str) -> AdminResult {
    let from = time_param(query, "from")?.unwrap_or(DateTime::<Utc>::MIN_UTC);
    let to = time_param(query, "to")?.unwrap_or(DateTime::<Utc>::MAX_UTC);
    let limit = param(query, "limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(MAX_ROWS)
        .min(MAX_ROWS);
    // Cursor: the last `seq` of the previous page (`X-Next-After`).
    let after = match param(query, "after").as_deref() {
        None | Some("") => 0,
        Some(v) => v.parse().map_err(|_| {
            GatewayError::bad_request("`after` is the `seq` of the last entry read")
        })?,
    };
    let rows = state
        .ledger
        .journal(from, to, after, limit)
        .await
        .map_err(GatewayError::ledger("journal"))?;
    // A full page may have more after it: say where to go on.
    let next = (rows.len() as u64 == u64::from(limit))
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    let (body, ctype) = match param(query, "format").as_deref().unwrap_or("jsonl") {
        "jsonl" => {
            let mut out = String::new();
            for r in &rows {
                out.push_str(&entry_json(r).to_string());
                out.push('\n');
            }
            (out, "application/x-ndjson")
        }
        "csv" => {
            let mut out = String::from("seq,at,kind,hold_id,scope,tenant,feature,amount,price_version,request_id,upstream_ids,actor,reason\n");
            for r in &rows {
                let fields = [
                    r.seq.to_string(),
                    r.at.to_rfc3339(),
                    r.kind.as_str().to_string(),
                    r.hold_id.clone().unwrap_or_default(),
                    r.scope.label(),
                    r.tenant.clone().unwrap_or_default(),
                    r.feature.clone().unwrap_or_default(),
                    format_credits(r.amount),
                    r.price_version.clone().unwrap_or_default(),
                    r.request_id.clone().unwrap_or_default(),
                    r.upstream_ids.join(" "),
                    r.actor.clone().unwrap_or_default(),
                    r.reason.clone().unwrap_or_default(),
                ];
                out.push_str(
                    &fields
                        .iter()
                        .map(|f| csv_field(f))
                        .collect::<Vec<_>>()
                        .join(","),
                );
                out.push('\n');
            }
            (out, "text/csv")
        }
        _ => return Err(GatewayError::bad_request("`format` is jsonl or csv")),
    };
    let mut resp = Response::new(full(Bytes::from(body)));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    if let Some(seq) = next {
        resp.headers_mut()
            .insert("x-next-after", HeaderValue::from(seq));
    }
    Ok(resp)
}

/// `GET ledger/verify[?grace_seconds=N]`: the `ledger verify` report as
/// JSON, 200 whether it passes or not (`ok` says which). Reads its own
/// read-only snapshot of the configured store.
async fn verify(state: &AppState, query: &str) -> AdminResult {
    use crate::ledger::audit::{AuditOptions, DEFAULT_GRACE_SECONDS};
    let grace_seconds = match param(query, "grace_seconds").as_deref() {
        None | Some("") => DEFAULT_GRACE_SECONDS,
        Some(v) => v.parse().map_err(|_| {
            GatewayError::bad_request("`grace_seconds` must be a non-negative integer")
        })?,
    };
    let rt = state.snapshot();
    let opts = AuditOptions {
        tz: rt.config.plan.timezone,
        now: state.clock.now(),
        grace_seconds,
    };
    let report = crate::ledger::audit::verify(&rt.config.store, &opts)
        .await
        .map_err(GatewayError::ledger("verify"))?;
    if !report.ok {
        tracing::warn!(
            violations = report.violations.len(),
            "Ledger verification found violations."
        );
    }
    Ok(json_response(StatusCode::OK, report.to_json()))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AdjustRequest {
    /// Tenant id; absent or null for the org.
    tenant: Option<String>,
    /// Credits as a number or decimal string; positive grants, negative debits.
    credits: Value,
    /// One window, or all four when absent.
    window: Option<String>,
    reason: String,
    actor: Option<String>,
}

async fn adjust(state: &AppState, req: Request<ReqBody>) -> AdminResult {
    let actor_header = req
        .headers()
        .get("x-admin-actor")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = collect_limited(req.into_body(), 64 * 1024)
        .await
        .map_err(|e| GatewayError::bad_request(e.to_string()))?;
    let a: AdjustRequest =
        serde_json::from_slice(&body).map_err(|e| GatewayError::bad_request(e.to_string()))?;
    let rt = state.snapshot();
    let scope = match &a.tenant {
        None => Scope::Org,
        Some(id) if rt.config.tenant(id).is_some() => Scope::Tenant(id.clone()),
        Some(id) => return Err(GatewayError::UnknownTenant { id: id.clone() }),
    };
    let credits = match &a.credits {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let Some(amount) = credits.and_then(credits_to_micros).filter(|m| *m != 0) else {
        return Err(GatewayError::bad_request(
            "`credits` must be a non-zero number (positive grants, negative debits)",
        ));
    };
    let window = match a.window.as_deref() {
        None => None,
        Some(w) => Some(Window::parse(w).ok_or_else(|| {
            GatewayError::bad_request("`window` is one of daily, weekly, monthly, total")
        })?),
    };
    if a.reason.trim().is_empty() {
        return Err(GatewayError::bad_request("`reason` is required"));
    }
    let actor = a
        .actor
        .or(actor_header)
        .unwrap_or_else(|| "admin".to_string());
    let adj = Adjustment {
        scope: scope.clone(),
        window,
        amount,
        reason: a.reason.clone(),
        actor: actor.clone(),
        tz: rt.config.plan.timezone,
        now: state.clock.now(),
    };
    state
        .ledger
        .adjust(adj)
        .await
        .map_err(GatewayError::ledger("adjust"))?;
    tracing::info!(audit = true, actor = %actor, action = "adjust", scope = %scope, window = window.map_or("all", |w| w.as_str()),
        credits = %format_credits(amount), reason = %a.reason, "Admin adjusted credits.");
    Ok(json_response(
        StatusCode::OK,
        json!({"data": {"scope": scope.label(), "window": window.map(|w| w.as_str()), "credits": format_credits(amount), "actor": actor}}),
    ))
}

fn reload(state: &AppState, h: &HeaderMap) -> AdminResult {
    let actor = h
        .get("x-admin-actor")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("admin")
        .to_string();
    match state.reload() {
        Ok(()) => {
            tracing::info!(audit = true, actor = %actor, action = "reload", result = "success", "Admin reloaded the configuration.");
            Ok(json_response(
                StatusCode::OK,
                json!({"data": {"reloaded": true}}),
            ))
        }
        Err(errs) => {
            tracing::warn!(audit = true, actor = %actor, action = "reload", result = "failure", "Admin reload refused.");
            Err(GatewayError::InvalidConfig {
                problems: errs.0.iter().map(|e| e.to_string()).collect(),
            })
        }
    }
}
