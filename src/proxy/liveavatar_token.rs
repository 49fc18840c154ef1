//! `POST /liveavatar/v1/sessions/token`: minting a LiveAvatar session token
//! is a session start. Priced by `mode` (FULL, LITE; `is_sandbox: true` is
//! free), the session cap checked, the first minute held durably, then the
//! request goes to LiveAvatar with the org's LiveAvatar key; its answer's
//! `session_id` and `session_token` register the session with its owner
//! (`sessions::liveavatar`). Like billable requests, everything after the
//! body is read runs in a task of its own, so a client hanging up cannot
//! strand the hold.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response};
use serde_json::Value;

use super::billable::{HEADER_HOLD_ID, HEADER_PROJECTED};
use super::context::{Admitted, RequestContext};
use super::guard::HoldGuard;
use crate::config::TenantConfig;
use crate::conn::ReqBody;
use crate::error::GatewayError;
use crate::http::{full, Body};
use crate::ledger::HoldRequest;
use crate::metrics::CreditKind;
use crate::money::{format_credits, Micros};
use crate::pricing::features::{LIVEAVATAR_FULL, LIVEAVATAR_LITE, LIVEAVATAR_SANDBOX};
use crate::sessions::liveavatar::{self, Minted};
use crate::sessions::Opened;
use crate::state::AppState;
use crate::upstream::LaAuth;

/// What the token body asks for.
#[derive(Debug, PartialEq, Eq)]
struct Ask {
    feature: &'static str,
    max_seconds: Option<i64>,
    /// Micro-credits per minute, from the price book (0 until priced).
    rate: Micros,
}

/// Reads `mode` (FULL by default: the dearer; LITE, or its old name
/// CUSTOM), `is_sandbox` and `max_session_duration` from the token body.
fn ask(body: &[u8]) -> Result<Ask, GatewayError> {
    let bad = GatewayError::bad_request;
    let v: Value =
        serde_json::from_slice(body).map_err(|_| bad("the body must be a JSON object"))?;
    let v = v
        .as_object()
        .ok_or_else(|| bad("the body must be a JSON object"))?;
    let sandbox = match v.get("is_sandbox") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("is_sandbox must be true or false")),
    };
    let mode = match v.get("mode") {
        None | Some(Value::Null) => LIVEAVATAR_FULL,
        Some(Value::String(m)) => match m.to_ascii_uppercase().as_str() {
            "FULL" => LIVEAVATAR_FULL,
            "LITE" | "CUSTOM" => LIVEAVATAR_LITE,
            _ => return Err(bad("mode must be FULL or LITE")),
        },
        Some(_) => return Err(bad("mode must be FULL or LITE")),
    };
    let max_seconds = match v.get("max_session_duration") {
        None | Some(Value::Null) => None,
        Some(n) => match n.as_i64() {
            Some(s) if s > 0 => Some(s),
            _ => {
                return Err(bad(
                    "max_session_duration must be a positive number of seconds",
                ))
            }
        },
    };
    Ok(Ask {
        feature: if sandbox { LIVEAVATAR_SANDBOX } else { mode },
        max_seconds,
        rate: 0,
    })
}

pub(super) async fn mint(
    state: &Arc<AppState>,
    admitted: &Admitted,
    ctx: &RequestContext,
    tenant: TenantConfig,
    req: Request<ReqBody>,
) -> Result<Response<Body>, GatewayError> {
    let (parts, body) = super::liveavatar::read_body(admitted, req).await?;
    let mut ask = ask(&body)?;
    let cfg = admitted.runtime.config.clone();
    ask.rate = cfg
        .pricing
        .price(ask.feature)
        .map(|p| p.micros)
        .ok_or_else(|| GatewayError::bad_request(format!("{} has no price", ask.feature)))?;
    let rate = ask.rate;
    state
        .metrics
        .credits(CreditKind::Projected, &tenant.id, ask.feature, rate);
    ctx.tag(|t| t.credits = Some(rate));
    let hold_req = HoldRequest {
        route: "POST /liveavatar/v1/sessions/token".to_string(),
        request_id: ctx.id_str().to_string(),
        session_cap: crate::sessions::cap_for(&cfg, &tenant),
        ..HoldRequest::for_tenant(&cfg, &tenant, ask.feature, rate, state.clock.now())
    };
    let (state2, ctx2) = (state.clone(), ctx.clone());
    let run = async move {
        let hold = hold(&state2, &tenant, ask.feature, rate, hold_req).await?;
        forward(&state2, &ctx2, &tenant.id, hold, (parts.headers, body), ask).await
    };
    let resp = state.tasks.spawn(run).await.map_err(|e| {
        tracing::error!(error = %e, "LiveAvatar token task failed.");
        GatewayError::Internal
    })??;
    let hold_id = super::billable::hold_id_of(&resp);
    ctx.tag(|t| t.hold_id = hold_id);
    Ok(resp)
}

/// Holds the first minute in every window of tenant and org.
async fn hold(
    state: &Arc<AppState>,
    tenant: &TenantConfig,
    feature: &str,
    rate: Micros,
    req: HoldRequest,
) -> Result<HoldGuard, GatewayError> {
    state.schema.admit().map_err(GatewayError::ledger("hold"))?;
    let decision = state
        .ledger
        .hold(req)
        .await
        .map_err(GatewayError::ledger("hold"))?;
    let granted = super::hold::granted(decision)?;
    state
        .metrics
        .credits(CreditKind::Held, &tenant.id, feature, rate);
    Ok(HoldGuard::new(
        state.clone(),
        granted.hold_id,
        tenant.id.clone(),
        feature.to_string(),
        rate,
    ))
}

/// Sends the token request with the org's LiveAvatar key and ends the
/// hold by the answer: a session to meter, a refusal to release, or an
/// unknown outcome kept for the TTL.
async fn forward(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    tenant: &str,
    mut hold: HoldGuard,
    (headers, body): (HeaderMap, Bytes),
    ask: Ask,
) -> Result<Response<Body>, GatewayError> {
    hold.mark_sent();
    let path = "/v1/sessions/token";
    let sent = super::liveavatar::send(state, ctx, path, headers, LaAuth::OrgKey, full(body)).await;
    let (hold, resp) = hold.after_send(sent).await?;
    let (mut parts, incoming) = resp.into_parts();
    let Ok(answer) = state.upstream.read_body(incoming, 1 << 20).await else {
        hold.keep("response body unreadable");
        return Err(GatewayError::UpstreamFailed);
    };
    super::headers::prepare_downstream(&mut parts.headers);
    let rate = ask.rate;
    if let Ok(v) = HeaderValue::from_str(&format_credits(rate)) {
        parts.headers.insert(HEADER_PROJECTED, v);
    }
    if let Ok(v) = HeaderValue::from_str(hold.id()) {
        parts.headers.insert(HEADER_HOLD_ID, v);
    }
    if !parts.status.is_success() {
        super::refusal::end_hold(hold, parts.status, &answer).await;
        return Ok(Response::from_parts(parts, full(answer)));
    }
    let opened = match session_in(&answer) {
        Some((session_id, token)) => {
            let m = Minted {
                tenant,
                feature: ask.feature,
                rate,
                hold_id: hold.id(),
                session_id: &session_id,
                session_token: &token,
                max_seconds: ask.max_seconds,
            };
            liveavatar::open(state, m).await
        }
        None => {
            crate::sessions::no_session(state, tenant, hold.id(), liveavatar::KIND);
            Opened::NoSession
        }
    };
    match opened {
        Opened::Metered => hold.into_session(),
        // Accepted, but no session to meter: never undercount, and leave
        // the hold to its TTL as for any start of unknown outcome.
        Opened::NoSession => hold.keep("session start names no session"),
        // Stopped at LiveAvatar: its token must not reach the client.
        Opened::Unmetered { owed, error } => {
            hold.settle_unmetered(owed).await;
            return Err(error);
        }
    }
    Ok(Response::from_parts(parts, full(answer)))
}

/// `data.session_id` and `data.session_token` (or top-level) of LiveAvatar's answer.
fn session_in(answer: &[u8]) -> Option<(String, String)> {
    let v: Value = serde_json::from_slice(answer).ok()?;
    let d = v.get("data").filter(|d| d.is_object()).unwrap_or(&v);
    let id = d.get("session_id")?.as_str()?;
    let token = d.get("session_token")?.as_str()?;
    (crate::pricing::jobs::safe_id(id) && !token.is_empty())
        .then(|| (id.to_string(), token.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_decides_the_price_and_sandbox_is_free() {
        let f = |b: &str| ask(b.as_bytes()).map(|a| a.feature);
        assert_eq!(f(r#"{"mode":"FULL"}"#).ok(), Some(LIVEAVATAR_FULL));
        assert_eq!(f(r#"{"mode":"lite"}"#).ok(), Some(LIVEAVATAR_LITE));
        assert_eq!(f(r#"{}"#).ok(), Some(LIVEAVATAR_FULL), "dearer by default");
        assert_eq!(
            f(r#"{"mode":"FULL","is_sandbox":true}"#).ok(),
            Some(LIVEAVATAR_SANDBOX)
        );
        for bad in [
            r#"{"mode":"TURBO"}"#,
            "[1]",
            "nope",
            r#"{"is_sandbox":"yes"}"#,
        ] {
            assert!(
                matches!(ask(bad.as_bytes()), Err(GatewayError::BadRequest { .. })),
                "{bad}"
            );
        }
        let a = ask(br#"{"max_session_duration": 300}"#).ok();
        assert_eq!(a.and_then(|a| a.max_seconds), Some(300));
        assert!(ask(br#"{"max_session_duration": -1}"#).is_err());
    }

    #[test]
    fn the_session_comes_from_the_answer() {
        let ok = br#"{"code":1000,"data":{"session_id":"s-1","session_token":"t"},"message":"ok"}"#;
        assert_eq!(session_in(ok), Some(("s-1".into(), "t".into())));
        assert_eq!(session_in(br#"{"data":{"session_id":"s-1"}}"#), None);
    }
}
