//! Route-specific handling after authentication.
//! (Pass-through for now; pricing and the ledger hook in here.)

use std::sync::Arc;

use http::{Request, Response};
use hyper::body::Incoming;

use super::client::Body;
use super::handler::{pass_through, Ctx};
use crate::error::GatewayError;
use crate::state::{AppState, Runtime};

pub(crate) async fn route(
    state: &Arc<AppState>,
    rt: &Runtime,
    _tenant_idx: usize,
    req: Request<Incoming>,
    path: String,
    path_and_query: String,
    ctx: &mut Ctx,
) -> Result<Response<Body>, GatewayError> {
    pass_through(state, rt, req, &path, &path_and_query, ctx).await
}
