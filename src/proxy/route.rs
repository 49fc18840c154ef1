//! Route-specific handling after authentication: police the route family,
//! then billable → `billing`, status read → forward and settle, anything else
//! → stream through.

use std::sync::Arc;

use crate::conn::ReqBody;
use http::{Request, Response};

use super::client::{full, Body};
use super::handler::{downstream_parts, forward, host_for, pass_through, Ctx};
use crate::catalog::{Route, RouteKind, StatusRead};
use crate::config::UnknownWrites;
use crate::error::GatewayError;
use crate::state::{AppState, Runtime};

/// Status answers larger than this are streamed without settlement (they are
/// small JSON in practice; this only bounds memory).
const MAX_STATUS_BODY: usize = 1 << 20;

pub(crate) async fn route(
    state: &Arc<AppState>,
    rt: &Runtime,
    tenant_idx: usize,
    req: Request<ReqBody>,
    route: &Route,
    path: String,
    ctx: &mut Ctx,
) -> Result<Response<Body>, GatewayError> {
    // The query goes upstream byte for byte; only the path was normalised.
    let path_and_query = match req.uri().query() {
        Some(q) => format!("{path}?{q}"),
        None => path.clone(),
    };
    let tenant = &rt.config.tenants[tenant_idx];
    if !tenant.may_use(route.family) {
        return Err(GatewayError::RouteForbidden {
            family: route.family.as_str(),
        });
    }
    match &route.kind {
        RouteKind::Billable(b) => {
            super::billing::billable(
                state,
                rt,
                tenant,
                req,
                &path,
                &path_and_query,
                route,
                b,
                ctx,
            )
            .await
        }
        RouteKind::Status(read) => status_read(state, req, &path, &path_and_query, read, ctx).await,
        RouteKind::UnknownWrite if rt.config.routes.unknown_writes == UnknownWrites::Deny => {
            Err(GatewayError::UnknownWrite)
        }
        RouteKind::Free | RouteKind::UnknownRead | RouteKind::UnknownWrite => {
            pass_through(state, rt, req, &path, &path_and_query, ctx).await
        }
    }
}

/// Forwards a status read; a terminal answer settles the job on the way back.
async fn status_read(
    state: &Arc<AppState>,
    req: Request<ReqBody>,
    path: &str,
    path_and_query: &str,
    read: &StatusRead,
    ctx: &Ctx,
) -> Result<Response<Body>, GatewayError> {
    let (parts, _body) = req.into_parts();
    let host = host_for(&parts.method, path);
    let resp = forward(
        state,
        parts.method,
        parts.headers,
        host,
        path_and_query,
        super::client::empty(),
        ctx,
    )
    .await?;
    let (mut parts, incoming) = resp.into_parts();
    downstream_parts(&mut parts, ctx);
    // Only small success answers are inspected; anything else streams through.
    let too_big =
        super::handler::content_length(&parts.headers).is_some_and(|n| n > MAX_STATUS_BODY as u64);
    if !parts.status.is_success() || too_big {
        return Ok(Response::from_parts(parts, super::body::boxed(incoming)));
    }
    let body = state
        .upstream
        .read_body(incoming, MAX_STATUS_BODY)
        .await
        .map_err(|_| GatewayError::UpstreamFailed)?;
    let query = path_and_query.split_once('?').map(|(_, q)| q);
    if let Some((job_id, outcome)) = crate::pricing::status_outcome(read, path, query, &body) {
        if !matches!(outcome, crate::pricing::JobOutcome::Pending) {
            // Settle off the response path: the tenant's read is not delayed
            // by the ledger, and settlement is idempotent if it races a webhook.
            let state = state.clone();
            state.clone().tasks.spawn(async move {
                if let Err(e) = crate::settle::settle(&state, &job_id, outcome, "status").await {
                    state.ledger_down("settle", &e);
                }
            });
        }
    }
    Ok(Response::from_parts(parts, full(body)))
}
