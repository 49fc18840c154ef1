//! The request path, in order: refuse malformed targets → normalise the path
//! → gateway endpoints → authenticate → rate limit → classify and police the
//! route → (billable: price, hold, forward, record) / (status read: forward,
//! settle) / (anything else: stream through).

use std::net::SocketAddr;
use std::sync::Arc;

use crate::conn::ReqBody;
use http::{HeaderValue, Method, Request, Response, Version};
use http_body::Body as _;
use hyper::body::Incoming;
use tokio::time::Instant;

use super::body;
use super::client::{Body, Host, UpstreamError};
use super::headers;
use super::path;
use crate::auth::AuthOutcome;
use crate::error::{GatewayError, Generation};
use crate::state::{AppState, Runtime};

/// What the access log and metrics learn about a request as it goes.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub request_id: HeaderValue,
    pub remote: SocketAddr,
    pub family: &'static str,
    pub outcome: &'static str,
    pub tenant: Option<String>,
}

/// Entry point for every tenant-listener request; never fails: errors become
/// HeyGen-shaped responses here, once.
pub async fn handle(
    state: Arc<AppState>,
    req: Request<ReqBody>,
    remote: SocketAddr,
) -> Response<Body> {
    let start = Instant::now();
    let generation = Generation::of_path(req.uri().path());
    let method = req.method().clone();
    let raw_path = req.uri().path().to_string();
    let mut ctx = Ctx {
        request_id: headers::request_id(req.headers()),
        remote,
        family: "other",
        outcome: "forwarded",
        tenant: None,
    };
    let result = dispatch(&state, req, &mut ctx).await;
    let mut resp = match result {
        Ok(resp) => resp,
        Err(err) => {
            ctx.outcome = if err.status().is_server_error() {
                "error"
            } else {
                "rejected"
            };
            state.metrics.rejection(err.reason());
            let resp = err.to_response(generation, state.clock.now());
            resp.map(super::client::full)
        }
    };
    resp.headers_mut()
        .insert(headers::X_REQUEST_ID, ctx.request_id.clone());
    let status = resp.status().as_u16();
    state
        .metrics
        .request(ctx.family, status, ctx.outcome, start.elapsed());
    tracing::info!(
        request_id = ctx.request_id.to_str().unwrap_or("-"),
        tenant = ctx.tenant.as_deref().unwrap_or("-"),
        method = %method,
        path = %raw_path,
        status,
        outcome = ctx.outcome,
        elapsed_ms = start.elapsed().as_millis() as u64,
        "Request handled."
    );
    resp
}

async fn dispatch(
    state: &Arc<AppState>,
    req: Request<ReqBody>,
    ctx: &mut Ctx,
) -> Result<Response<Body>, GatewayError> {
    // Absolute-form targets and CONNECT are how proxies are abused to reach
    // other hosts; this gateway only ever talks to HeyGen. HTTP/2 always
    // carries an authority, so only HTTP/1 absolute-form is refused.
    if req.method() == Method::CONNECT {
        return Err(GatewayError::bad_request("CONNECT is not supported"));
    }
    if req.version() < Version::HTTP_2 && req.uri().authority().is_some() {
        return Err(GatewayError::bad_request(
            "absolute-form request targets are not supported; send the path only",
        ));
    }
    super::hygiene::check_request(req.method(), req.headers(), req.body().is_end_stream())?;
    let path =
        path::normalize(req.uri().path()).map_err(|e| GatewayError::bad_request(e.to_string()))?;
    let rt = state.snapshot();
    if let Some(rest) = path.strip_prefix("/gateway/v1/") {
        ctx.family = "gateway";
        return crate::gateway_api::handle(state, &rt, rest.to_string(), req, ctx).await;
    }
    if !(path.starts_with("/v1/") || path.starts_with("/v2/") || path.starts_with("/v3/")) {
        return Err(GatewayError::NotFound);
    }
    // Classified before anything can refuse, so every outcome (401, 429, …)
    // is counted under the route's family.
    let route = crate::catalog::classify(req.method(), &path);
    ctx.family = route.family.as_str();
    let tenant_idx = authenticate(&rt, req.headers())?;
    let tenant = &rt.config.tenants[tenant_idx];
    ctx.tenant = Some(tenant.id.clone());
    if let Err(wait) = state.limiter.check(&tenant.id) {
        return Err(GatewayError::RateLimited { retry_after: wait });
    }
    super::route::route(state, &rt, tenant_idx, req, &route, path, ctx).await
}

/// Resolves the tenant from `X-Api-Key` / `Authorization: Bearer`.
pub(crate) fn authenticate(rt: &Runtime, h: &http::HeaderMap) -> Result<usize, GatewayError> {
    let token = headers::tenant_token(h).ok_or(GatewayError::Unauthenticated)?;
    match rt.keys.authenticate(&rt.config.tenants, token) {
        AuthOutcome::Tenant(i) => Ok(i),
        AuthOutcome::Disabled => Err(GatewayError::TenantDisabled),
        AuthOutcome::Unknown => Err(GatewayError::Unauthenticated),
    }
}

/// Which host a normalised path belongs to: only the legacy raw upload goes
/// to the upload host.
pub(crate) fn host_for(method: &Method, path: &str) -> Host {
    if method == Method::POST && path == "/v1/asset" {
        Host::Upload
    } else {
        Host::Api
    }
}

/// Forwards a request whose body is already prepared, mapping transport failures.
pub(crate) async fn forward(
    state: &AppState,
    method: Method,
    mut headers: http::HeaderMap,
    host: Host,
    path_and_query: &str,
    body: Body,
    ctx: &Ctx,
) -> Result<Response<Incoming>, GatewayError> {
    if let Some(tenant) = &ctx.tenant {
        headers::scope_idempotency_key(&mut headers, tenant);
    }
    headers::prepare_upstream(
        &mut headers,
        state.upstream.org_key(),
        ctx.remote.ip(),
        &ctx.request_id,
    );
    let start = Instant::now();
    let result = state
        .upstream
        .send(host, method, path_and_query, headers, body)
        .await;
    state.metrics.upstream(ctx.family, start.elapsed());
    result.map_err(|e| {
        let err = upstream_error(&e, state.snapshot().config.server.max_body_bytes);
        tracing::warn!(request_id = ctx.request_id.to_str().unwrap_or("-"), error = %e, "Upstream request failed.");
        err
    })
}

pub(crate) fn upstream_error(e: &UpstreamError, limit: u64) -> GatewayError {
    match e {
        UpstreamError::Timeout => GatewayError::UpstreamTimeout,
        UpstreamError::Unreachable(_) => GatewayError::UpstreamUnreachable,
        UpstreamError::Failed(_) => GatewayError::UpstreamFailed,
        UpstreamError::BodyTooLarge => GatewayError::PayloadTooLarge { limit },
        UpstreamError::ClientBodyTimeout => GatewayError::RequestTimeout,
    }
}

/// Streams a request through unchanged (apart from header hygiene).
pub(crate) async fn pass_through(
    state: &AppState,
    rt: &Runtime,
    req: Request<ReqBody>,
    path: &str,
    path_and_query: &str,
    ctx: &Ctx,
) -> Result<Response<Body>, GatewayError> {
    let limit = rt.config.server.max_body_bytes;
    if content_length(req.headers()).is_some_and(|n| n > limit) {
        return Err(GatewayError::PayloadTooLarge { limit });
    }
    let (parts, incoming) = req.into_parts();
    let host = host_for(&parts.method, path);
    let resp = forward(
        state,
        parts.method,
        parts.headers,
        host,
        path_and_query,
        body::stream_limited(incoming, limit),
        ctx,
    )
    .await?;
    Ok(downstream(resp, ctx))
}

/// Turns an upstream response into the tenant's response.
pub(crate) fn downstream(resp: Response<Incoming>, ctx: &Ctx) -> Response<Body> {
    let (mut parts, incoming) = resp.into_parts();
    downstream_parts(&mut parts, ctx);
    Response::from_parts(parts, body::boxed(incoming))
}

/// Header hygiene on an upstream response head.
pub(crate) fn downstream_parts(parts: &mut http::response::Parts, ctx: &Ctx) {
    headers::prepare_downstream(&mut parts.headers, &ctx.request_id);
}

pub(crate) fn content_length(h: &http::HeaderMap) -> Option<u64> {
    h.get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}
