//! The delete branch (issue 10): a `DELETE` naming jobs the ledger still
//! has pending. Reached only once route policy allowed the request, so a
//! delete the gateway refuses never touches the jobs it names. Each job is
//! settled from its status before the delete is forwarded (afterwards the
//! status is gone); one whose length is still unknown is captured at the
//! estimate only if HeyGen confirms the delete with a 2xx
//! (`settlement::before_delete` / `after_delete`).

use std::sync::Arc;

use http::{Request, Response};

use super::forward::{pass_through, Origin, UpPath};
use crate::conn::ReqBody;
use crate::error::GatewayError;
use crate::http::Body;
use crate::ownership::Access;
use crate::settlement::{self, DeleteCapture};
use crate::state::AppState;

/// Before a delete is forwarded: settles every pending job it names from
/// its status, and returns the captures owed if HeyGen deletes them. Empty
/// for a request that is no delete or names no pending job. A ledger that
/// cannot say whether a named job is pending refuses the delete (503):
/// forwarded blind, the job's status would be lost unread.
pub(super) async fn prepare(
    state: &AppState,
    method: &http::Method,
    rules: &Access,
) -> Result<Vec<DeleteCapture>, GatewayError> {
    // Org-wide tenants too: `rules`, not the isolation decision.
    let Access::Named(named) = rules else {
        return Ok(Vec::new());
    };
    if method != http::Method::DELETE {
        return Ok(Vec::new());
    }
    let mut owed = Vec::new();
    for id in &named.ids {
        if let Some(c) = Box::pin(settlement::before_delete(state, id)).await? {
            owed.push(c);
        }
    }
    Ok(owed)
}

/// Where a delete goes, owned: the forward runs in its own task.
pub(super) struct Delete {
    pub origin: Origin,
    pub path: String,
    pub path_and_query: String,
    pub limit: u64,
}

/// Forwards the delete and, once HeyGen answers 2xx, makes the captures.
/// Both run in their own task, so a client hanging up while HeyGen deletes
/// cannot drop the capture (a process crash there leaves it to the hold's
/// TTL). Any other answer, or none, leaves the jobs pending.
pub(super) async fn forward(
    state: &Arc<AppState>,
    to: Delete,
    req: Request<ReqBody>,
    owed: Vec<DeleteCapture>,
) -> Result<Response<Body>, GatewayError> {
    let task_state = state.clone();
    let run = async move {
        let state = task_state;
        let Delete {
            origin,
            path,
            path_and_query,
            limit,
        } = to;
        let to = UpPath {
            path: &path,
            path_and_query: &path_and_query,
            parsed: None,
        };
        let resp = pass_through(&state, &origin, req, to, limit).await?;
        if resp.status().is_success() {
            for capture in owed {
                settlement::after_delete(&state, capture).await;
            }
        } else {
            tracing::info!(
                path,
                status = resp.status().as_u16(),
                "Delete not confirmed by HeyGen; the jobs it names stay pending."
            );
        }
        Ok(resp)
    };
    state.tasks.spawn(run).await.map_err(|e| {
        tracing::error!(error = %e, "Delete task failed.");
        GatewayError::Internal
    })?
}
