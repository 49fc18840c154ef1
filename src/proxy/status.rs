//! The status-read branch: forward a job's status read, and when HeyGen's
//! answer is terminal, settle the job on the way back (off the response
//! path, idempotently, so it may race a webhook or the poller). A batch's
//! status also records its items as the batch owner's (`batch_items`).

use std::future::Future;
use std::sync::Arc;

use crate::conn::ReqBody;
use http::{Request, Response};

use super::forward::{forward, Origin, Outbound, UpPath};
use crate::catalog::StatusRead;
use crate::error::GatewayError;
use crate::http::{boxed, content_length, empty, full, Body};
use crate::pricing::{self, JobOutcome};
use crate::state::AppState;

/// Status answers larger than this are streamed without settlement (they are
/// small JSON in practice; this only bounds memory).
const MAX_STATUS_BODY: usize = 1 << 20;

/// A status read, settling the job it names once HeyGen says it ended. A
/// plain `fn`, the request taken apart before the future is made, as
/// `forward::pass_through` and for the same reason: this future is part
/// of every request's (`gateway::dispatch`).
pub(super) fn read<'a>(
    state: &'a Arc<AppState>,
    origin: &'a Origin,
    req: Request<ReqBody>,
    to: UpPath<'a>,
    read: &'a StatusRead,
) -> impl Future<Output = Result<Response<Body>, GatewayError>> + Send + 'a {
    let (path, path_and_query) = (to.path, to.path_and_query);
    let (parts, _body) = req.into_parts();
    let out = Outbound {
        method: parts.method,
        headers: parts.headers,
        path,
        path_and_query,
        parsed: to.parsed.cloned(),
    };
    async move {
        let resp = forward(state, origin, out, empty(), 0).await?;
        let (mut parts, incoming) = resp.into_parts();
        super::headers::prepare_downstream(&mut parts.headers);
        // Only small success answers are inspected; anything else streams through.
        let too_big = content_length(&parts.headers).is_some_and(|n| n > MAX_STATUS_BODY as u64);
        if !parts.status.is_success() || too_big {
            return Ok(Response::from_parts(parts, boxed(incoming)));
        }
        let body = state
            .upstream
            .read_body(incoming, MAX_STATUS_BODY)
            .await
            .map_err(|_| GatewayError::UpstreamFailed)?;
        let query = path_and_query.split_once('?').map(|(_, q)| q);
        if crate::batch_items::is_batch(read) {
            // The items a tenant's read of its batch names become its own (and
            // their parked webhooks due), off the response path.
            let (state, path, body) = (state.clone(), path.to_owned(), body.clone());
            state.clone().tasks.spawn(async move {
                crate::batch_items::learn(&state, &path, &body).await;
            });
        }
        if let Some((job_id, outcome)) = pricing::status_outcome(read, path, query, &body) {
            if !matches!(outcome, JobOutcome::Pending) {
                let state = state.clone();
                state.clone().tasks.spawn(async move {
                    if let Err(e) =
                        crate::settlement::settle(&state, &job_id, outcome, "status").await
                    {
                        state.note_ledger_error("settle", &e);
                    }
                });
            }
        }
        Ok(Response::from_parts(parts, full(body)))
    }
}
