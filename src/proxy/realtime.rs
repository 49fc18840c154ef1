//! A call on v3 realtime sessions (`/v3/avatar-realtime/{id}…`): a stop
//! HeyGen answered ends their metering even if the client has gone by
//! then, so the forward and `sessions::after_call` run in a task of their
//! own (`detached`), holding the stop's in-flight guard until the answer
//! was acted on (`stopping_sessions`).

use std::sync::Arc;

use http::{Request, Response};

use super::delete;
use super::forward::{pass_through, UpPath};
use crate::conn::ReqBody;
use crate::error::GatewayError;
use crate::http::Body;
use crate::state::AppState;
use crate::stopping_sessions::StopInFlight;

/// A call on the v3 realtime sessions `ids`, forwarded and metered in a
/// task of its own (see `detached`).
pub(super) async fn call(
    state: &Arc<AppState>,
    to: delete::Delete,
    req: Request<ReqBody>,
    owed: Vec<crate::settlement::DeleteCapture>,
    (method, ids, stopping): (http::Method, Vec<String>, Option<StopInFlight>),
) -> Result<Response<Body>, GatewayError> {
    let st = state.clone();
    super::detached::run(state, async move {
        let _stopping = stopping; // until `after_call` acted on the answer
        let path = to.path.clone();
        let resp = if owed.is_empty() {
            let up = UpPath {
                path: &to.path,
                path_and_query: &to.path_and_query,
                parsed: None,
            };
            pass_through(&st, &to.origin, req, up, to.limit).await?
        } else {
            delete::forward(&st, to, req, owed).await?
        };
        crate::sessions::after_call(&st, &method, &path, &ids, resp.status()).await;
        Ok(resp)
    })
    .await
}
