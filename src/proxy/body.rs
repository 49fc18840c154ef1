//! Body helpers: bounded collection for bodies the gateway must read (priced
//! JSON, status responses), streaming with a limit for everything else.

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};

use super::client::{Body, BoxError};

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("body exceeds {0} bytes")]
    TooLarge(usize),
    #[error("error reading body: {0}")]
    Read(String),
    /// The client stalled (see `conn::TimedBody`).
    #[error("the body arrived too slowly")]
    TimedOut,
}

impl BodyError {
    /// The client's answer for a request body that could not be read.
    pub fn into_gateway(self) -> crate::error::GatewayError {
        use crate::error::GatewayError;
        match self {
            BodyError::TooLarge(limit) => GatewayError::PayloadTooLarge {
                limit: limit as u64,
            },
            BodyError::TimedOut => GatewayError::RequestTimeout,
            BodyError::Read(m) => {
                GatewayError::bad_request(format!("could not read the request body: {m}"))
            }
        }
    }
}

/// Reads a whole body, refusing more than `limit` bytes.
pub async fn collect_limited<B>(body: B, limit: usize) -> Result<Bytes, BodyError>
where
    B: http_body::Body<Data = Bytes> + Send,
    B::Error: Into<BoxError>,
{
    match Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge(limit)),
        Err(e) if e.is::<crate::conn::BodyReadTimeout>() => Err(BodyError::TimedOut),
        Err(e) => Err(BodyError::Read(e.to_string())),
    }
}

/// Streams a body through, failing the stream once it passes `limit` bytes
/// (the upstream request is then aborted and the client gets a 413).
pub fn stream_limited<B>(body: B, limit: u64) -> Body
where
    B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<BoxError>,
{
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    Limited::new(body, limit).boxed()
}

/// Boxes any body into the gateway's body type.
pub fn boxed<B>(body: B) -> Body
where
    B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed()
}
