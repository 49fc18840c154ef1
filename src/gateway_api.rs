//! The gateway's own tenant-listener endpoints under `/gateway/v1/`.

use std::sync::Arc;

use http::{Request, Response};
use hyper::body::Incoming;

use crate::error::GatewayError;
use crate::proxy::client::Body;
use crate::proxy::handler::Ctx;
use crate::state::{AppState, Runtime};

pub(crate) async fn handle(
    _state: &Arc<AppState>,
    _rt: &Runtime,
    _rest: String,
    _req: Request<Incoming>,
    _ctx: &mut Ctx,
) -> Result<Response<Body>, GatewayError> {
    Err(GatewayError::NotFound)
}
