//! LiveAvatar through the gateway, under the path prefix `/liveavatar`:
//! `POST /liveavatar/v1/sessions/token` (a tenant key, minted with the
//! org's LiveAvatar key: see [`super::liveavatar_token`]), then
//! `/start`, `/keep-alive` and `/stop` with the browser's
//! `Authorization: Bearer <session_token>` (forwarded unchanged) or a
//! tenant key plus `session_id` (forwarded with the org's LiveAvatar key).
//! So `@heygen/liveavatar-web-sdk`'s `apiUrl` and a server's base URL are
//! `http://gateway/liveavatar`. Other LiveAvatar paths are not proxied.

use std::sync::Arc;

use http::header::{AUTHORIZATION, HOST};
use http::{HeaderMap, HeaderValue, Method, Request, Response};
use serde_json::Value;

use super::context::{Admitted, RequestContext};
use super::headers::{self, X_API_KEY, X_REQUEST_ID};
use crate::auth::AuthOutcome;
use crate::catalog::Family;
use crate::config::TenantConfig;
use crate::conn::ReqBody;
use crate::error::GatewayError;
use crate::http::{boxed, collect_or_drain, full, Body, BodyError};
use crate::ledger::TokenKey;
use crate::sessions::{self, liveavatar};
use crate::state::{AppState, Runtime};
use crate::upstream::{LaAuth, UpstreamError};

/// The tenant listener's path prefix for LiveAvatar.
pub(crate) const PREFIX: &str = "/liveavatar";

const TOKEN: &str = "/v1/sessions/token";
const STOP: &str = "/v1/sessions/stop";
const SESSION_CALLS: [&str; 3] = ["/v1/sessions/start", "/v1/sessions/keep-alive", STOP];

/// The tenant of a `/liveavatar` request: a tenant key in `X-API-KEY` or
/// as a bearer. A bearer that is no tenant key may be a session token:
/// `Ok(None)`, resolved from the ledger by [`handle`].
pub(super) fn authenticate(rt: &Runtime, h: &HeaderMap) -> Result<Option<usize>, GatewayError> {
    let outcome = |token: &str| rt.keys.authenticate(&rt.config.tenants, token);
    if let Some(key) = h.get(X_API_KEY).and_then(|v| v.to_str().ok()) {
        return match outcome(key.trim()) {
            AuthOutcome::Tenant(i) => Ok(Some(i)),
            AuthOutcome::Disabled => Err(GatewayError::TenantDisabled),
            AuthOutcome::Unknown => Err(GatewayError::Unauthenticated),
        };
    }
    let token = bearer(h).ok_or(GatewayError::Unauthenticated)?;
    match outcome(token) {
        AuthOutcome::Tenant(i) => Ok(Some(i)),
        AuthOutcome::Disabled => Err(GatewayError::TenantDisabled),
        AuthOutcome::Unknown => Ok(None),
    }
}

fn bearer(h: &HeaderMap) -> Option<&str> {
    let auth = h.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = auth.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

pub(super) async fn handle(
    state: &Arc<AppState>,
    admitted: &Admitted,
    ctx: &RequestContext,
    path: &str,
    req: Request<ReqBody>,
) -> Result<Response<Body>, GatewayError> {
    if path != TOKEN && !SESSION_CALLS.contains(&path) {
        return Err(GatewayError::NotFound);
    }
    if req.method() != Method::POST {
        return Err(GatewayError::not_allowed("POST"));
    }
    if !state.upstream.liveavatar_configured() {
        return Err(GatewayError::LiveAvatarNotConfigured);
    }
    if path == TOKEN {
        let tenant = admitted
            .tenant()
            .cloned()
            .ok_or(GatewayError::Unauthenticated)?;
        allowed(&tenant)?;
        return super::liveavatar_token::mint(state, admitted, ctx, tenant, req).await;
    }
    session_call(state, admitted, ctx, path, req).await
}

fn allowed(tenant: &TenantConfig) -> Result<(), GatewayError> {
    if tenant.may_use(Family::Streaming) {
        Ok(())
    } else {
        Err(GatewayError::RouteForbidden {
            family: Family::Streaming.as_str(),
        })
    }
}

/// The JSON body of a LiveAvatar call, bounded like any priced body.
pub(super) async fn read_body(
    admitted: &Admitted,
    req: Request<ReqBody>,
) -> Result<(http::request::Parts, bytes::Bytes), GatewayError> {
    let limit = admitted.runtime.config.server.max_json_body_bytes;
    let (parts, incoming) = req.into_parts();
    let body = collect_or_drain(incoming, limit)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge(_) => GatewayError::PayloadTooLarge {
                limit: limit as u64,
            },
            other => other.into(),
        })?;
    Ok((parts, body))
}

/// `/start`, `/keep-alive`, `/stop` on one metered session.
async fn session_call(
    state: &Arc<AppState>,
    admitted: &Admitted,
    ctx: &RequestContext,
    path: &str,
    req: Request<ReqBody>,
) -> Result<Response<Body>, GatewayError> {
    let (parts, body) = read_body(admitted, req).await?;
    let ledger = GatewayError::ledger("sessions");
    let (session_id, auth) = match admitted.tenant() {
        // A tenant's server: its own session, named in the body.
        Some(tenant) => {
            let id = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("session_id")?.as_str().map(str::to_string))
                .ok_or_else(|| GatewayError::bad_request("session_id is required"))?;
            crate::ownership::check_ids(std::slice::from_ref(&id))?;
            let found = liveavatar::lookup(state, TokenKey::Session(&id))
                .await
                .map_err(ledger)?;
            if found.is_none_or(|t| t.tenant != tenant.id) {
                return Err(GatewayError::NotOwner);
            }
            (id, LaAuth::OrgKey)
        }
        // A browser: the session token is the credential for its session.
        None => {
            let raw = parts
                .headers
                .get(AUTHORIZATION)
                .cloned()
                .ok_or(GatewayError::Unauthenticated)?;
            let token = bearer(&parts.headers).ok_or(GatewayError::Unauthenticated)?;
            let digest = liveavatar::digest(token);
            let found = liveavatar::lookup(state, TokenKey::Digest(&digest))
                .await
                .map_err(ledger)?
                .ok_or(GatewayError::Unauthenticated)?;
            let tenant = admitted
                .runtime
                .config
                .tenant(&found.tenant)
                .ok_or(GatewayError::Unauthenticated)?;
            if !tenant.enabled {
                return Err(GatewayError::TenantDisabled);
            }
            allowed(tenant)?;
            ctx.tag(|t| t.tenant = Some(tenant.id.clone()));
            (found.session_id, LaAuth::Bearer(raw))
        }
    };
    // A session no longer live is refused (402 after a budget stop, else
    // 409) but for its stop; a live one notes the call as activity.
    let ids = std::slice::from_ref(&session_id);
    let stopping = sessions::before_call(state, ids, path == STOP).await?;
    let resp = if path == STOP {
        // A stop LiveAvatar confirmed ends the session's metering even if
        // the client has gone by then: detached. One it refused (a 4xx
        // too) may have left the session running, so it stays metered.
        let (st, ctx) = (state.clone(), ctx.clone());
        super::detached::run(state, async move {
            let _stopping = stopping;
            let resp = send(&st, &ctx, STOP, parts.headers, auth, full(body)).await?;
            if resp.status().is_success() {
                sessions::stop::end(&st, &session_id, "client").await;
            } else {
                tracing::info!(session_id = %session_id, status = resp.status().as_u16(),
                    "LiveAvatar did not confirm a client's stop of a session; it stays metered.");
            }
            Ok(resp)
        })
        .await?
    } else {
        send(state, ctx, path, parts.headers, auth, full(body)).await?
    };
    let (mut parts, incoming) = resp.into_parts();
    headers::prepare_downstream(&mut parts.headers);
    Ok(Response::from_parts(parts, boxed(incoming)))
}

/// Sends one call to LiveAvatar with header hygiene (no hop-by-hop, no
/// client credentials but `auth`'s) and transport errors as edge errors.
pub(super) async fn send(
    state: &AppState,
    ctx: &RequestContext,
    path: &str,
    mut h: HeaderMap,
    auth: LaAuth,
    body: Body,
) -> Result<Response<crate::upstream::UpBody>, GatewayError> {
    headers::strip_hop_by_hop(&mut h);
    headers::strip_method_overrides(&mut h);
    h.remove(HOST);
    h.remove(X_API_KEY);
    h.remove(AUTHORIZATION);
    h.remove(headers::IDEMPOTENCY_KEY);
    h.insert(X_REQUEST_ID, ctx.request_id.clone());
    if !h.contains_key(http::header::CONTENT_TYPE) {
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    let start = tokio::time::Instant::now();
    let sent = state
        .upstream
        .send_liveavatar(Method::POST, path, h, auth, body)
        .await;
    let took = start.elapsed();
    state.metrics.upstream(Family::Streaming.as_str(), took);
    match sent {
        Ok(resp) => {
            let status = resp.status().as_u16();
            ctx.tag(|t| t.upstream = Some((status, took)));
            Ok(resp)
        }
        Err(e) => {
            tracing::warn!(request_id = ctx.id_str(), error = %e, "LiveAvatar request failed.");
            Err(match e {
                UpstreamError::Timeout => GatewayError::UpstreamTimeout,
                UpstreamError::Unreachable(_) => GatewayError::UpstreamUnreachable,
                UpstreamError::BodyTooLarge | UpstreamError::ClientBodyTimeout => {
                    GatewayError::UpstreamFailed
                }
                UpstreamError::Failed(_) => GatewayError::UpstreamFailed,
            })
        }
    }
}
