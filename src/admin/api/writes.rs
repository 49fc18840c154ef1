//! The admin write endpoints: `adjustments` (a grant or debit, journalled
//! with its actor) and `reload`. Each is an audit event in the log, which
//! is why they are kept together and apart from the reads.

use http::{HeaderMap, Request, StatusCode};
use serde_json::{json, Value};

use super::AdminResult;
use crate::conn::ReqBody;
use crate::error::GatewayError;
use crate::http::{collect_limited, json_response};
use crate::ledger::{AdjustOutcome, Adjustment, Scope, Window};
use crate::money::{credits_to_micros, format_credits};
use crate::state::AppState;

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

pub(super) async fn adjust(state: &AppState, req: Request<ReqBody>) -> AdminResult {
    // A retry of a call whose answer was lost must not grant twice.
    let key = crate::proxy::headers::idempotency_key(req.headers())?;
    let headers = req.headers().clone();
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
    let actor = crate::admin::actor(a.actor, &headers);
    let adj = Adjustment {
        scope: scope.clone(),
        window,
        amount,
        reason: a.reason.clone(),
        actor: actor.clone(),
        tz: rt.config.plan.timezone,
        now: state.clock.now(),
        key: key.clone(),
    };
    let outcome = state
        .ledger
        .adjust(adj)
        .await
        .map_err(GatewayError::ledger("adjust"))?;
    let replayed = match outcome {
        AdjustOutcome::Applied => false,
        AdjustOutcome::Replayed => true,
        AdjustOutcome::KeyReused => return Err(GatewayError::IdempotencyMismatch),
    };
    tracing::info!(audit = true, actor = %actor, action = "adjust", scope = %scope, window = window.map_or("all", |w| w.as_str()),
        credits = %format_credits(amount), reason = %a.reason, idempotency_key = key.as_deref().unwrap_or(""),
        replayed, "Admin adjusted credits.");
    Ok(json_response(
        StatusCode::OK,
        json!({"data": {"scope": scope.label(), "window": window.map(|w| w.as_str()), "credits": format_credits(amount), "actor": actor, "replayed": replayed}}),
    ))
}

pub(super) async fn reload(state: &AppState, h: &HeaderMap) -> AdminResult {
    let actor = crate::admin::actor(None, h);
    match state.reload().await {
        Ok(restart_required) => {
            tracing::info!(audit = true, actor = %actor, action = "reload", result = "success", "Admin reloaded the configuration.");
            // Keys read only at start-up: applied after a restart, not now.
            Ok(json_response(
                StatusCode::OK,
                json!({"data": {"reloaded": true, "restart_required": restart_required}}),
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
