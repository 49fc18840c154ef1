//! How a send failed, as the proxy decides by it: never sent (the hold is
//! released), failed or timed out after sending (it may have been acted on).

use super::pool::SendError;

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No connection was made: HeyGen never saw the request.
    #[error("upstream unreachable: {0}")]
    Unreachable(String),
    /// Connected, then failed: HeyGen may have acted on the request.
    #[error("upstream failed after connecting: {0}")]
    Failed(String),
    #[error("upstream timed out")]
    Timeout,
    #[error("request body exceeded the limit")]
    BodyTooLarge,
    /// The tenant stalled while its body was streamed to HeyGen.
    #[error("the client's request body stalled")]
    ClientBodyTimeout,
}

pub(super) fn send_error(e: SendError) -> UpstreamError {
    match e {
        SendError::TimedOut => UpstreamError::Timeout,
        SendError::NotSent(e) => UpstreamError::Unreachable(e.to_string()),
        SendError::Failed(e) => classify(&*e),
    }
}

/// Finds why the client failed by walking the error's sources.
fn classify(err: &(dyn std::error::Error + 'static)) -> UpstreamError {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if e.is::<http_body_util::LengthLimitError>() {
            return UpstreamError::BodyTooLarge;
        }
        if e.is::<crate::http::BodyReadTimeout>() {
            return UpstreamError::ClientBodyTimeout;
        }
        cur = e.source();
    }
    UpstreamError::Failed(err.to_string())
}
