//! Forwards whose bookkeeping must outlive the client's connection. hyper
//! drops a connection's request futures when the client hangs up; once
//! HeyGen may have acted on a call, what the gateway records about it (a
//! stop ending a session's metering, an upload's length, a creation's
//! owner) must still be recorded. Such a forward and its bookkeeping run
//! in the state's tracked task set (shutdown waits for them); the request
//! only awaits the outcome. (Billable admissions and deletes do the same
//! in their own branches.)

use std::future::Future;

use crate::error::GatewayError;
use crate::state::AppState;

/// Runs `fut` to its end whether or not its request is still awaited.
pub(super) async fn run<T, F>(state: &AppState, fut: F) -> Result<T, GatewayError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, GatewayError>> + Send + 'static,
{
    state.tasks.spawn(fut).await.map_err(|e| {
        tracing::error!(error = %e, "Forwarding task failed.");
        GatewayError::Internal
    })?
}
