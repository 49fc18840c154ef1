//! Body types and small response builders shared by every listener and
//! branch. A leaf: it imports nothing from the rest of the crate, so the
//! proxy, the admin listener and the server can all depend on it.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Limited};

/// Errors a body can carry.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The one body type the gateway sends and returns.
pub type Body = BoxBody<Bytes, BoxError>;

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

/// An empty body.
pub fn empty() -> Body {
    http_body_util::Empty::<Bytes>::new()
        .map_err(|e| match e {})
        .boxed()
}

/// A body of known bytes.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    http_body_util::Full::new(bytes.into())
        .map_err(|e| match e {})
        .boxed()
}

/// Boxes any body into the gateway's body type.
pub fn boxed<B>(body: B) -> Body
where
    B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed()
}

/// A JSON response.
pub fn json_response(status: StatusCode, v: serde_json::Value) -> Response<Body> {
    let mut resp = Response::new(full(v.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
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

/// The declared `Content-Length`, when present and well-formed.
pub fn content_length(h: &http::HeaderMap) -> Option<u64> {
    h.get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}
