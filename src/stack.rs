//! The tenant listener's service, composed in one place. Layers run top to
//! bottom: the first listed sees the request first and the response last.

use std::convert::Infallible;
use std::sync::Arc;

use crate::conn::ReqBody;
use crate::http::Body;
use crate::proxy::admit::AdmitLayer;
use crate::proxy::catch_panic::CatchPanicLayer;
use crate::proxy::gateway::Gateway;
use crate::proxy::render::RenderErrorLayer;
use crate::proxy::request_log::RequestLogLayer;
use crate::state::AppState;
use http::{Request, Response};
use tower::{Service, ServiceBuilder};

/// Builds the tenant listener's service over `state`. Its concrete type is
/// kept (not boxed): each connection clones it once (`server::per_connection`)
/// and calls it in place, and a boxed service would add an allocation and a
/// virtual call to every request.
pub fn tenant_service(
    state: Arc<AppState>,
) -> impl Service<
    Request<ReqBody>,
    Response = Response<Body>,
    Error = Infallible,
    Future = impl std::future::Future<Output = Result<Response<Body>, Infallible>> + Send,
> + Clone
       + Send
       + Sync
       + 'static {
    ServiceBuilder::new()
        // Outermost: the request id exists before anything can log, and the
        // access line and request metrics see every response — admitted,
        // refused, failed or panicked — with its final status.
        // A refusal because the ledger failed also raises an ops alert.
        .layer(RequestLogLayer::new(state.metrics.clone()).with_alerts(state.alerts.clone()))
        // Below this, refusals are `Err(GatewayError)`; above it, responses
        // in the envelope of the path's API generation, marked for the log.
        .layer(RenderErrorLayer::new(state.clock.clone()))
        // A panic is a bug: it becomes `Err(Internal)`, rendered like any
        // other error, and the connection survives.
        .layer(CatchPanicLayer)
        // Head-only checks before any body is read: target, normalisation,
        // classification, tenant key, request rate. Refusals are ready
        // futures; admitted requests carry one config snapshot down.
        .layer(AdmitLayer::new(state.clone()))
        .service(Gateway::new(state))
}
