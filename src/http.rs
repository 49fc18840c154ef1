//! Body types and small response builders shared by every listener and
//! branch. A leaf: it imports nothing from the rest of the crate, so the
//! proxy, the admin listener and the server can all depend on it.

pub mod raw_fields;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Limited};

/// Errors a body can carry.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The one body type the gateway sends and returns.
pub type Body = BoxBody<Bytes, BoxError>;

/// A request body read failed because the client sent it too slowly (see
/// `conn::TimedBody`); defined here so body readers can recognise it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the client sent the request body too slowly")]
pub struct BodyReadTimeout;

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
        Err(e) if e.is::<BodyReadTimeout>() => Err(BodyError::TimedOut),
        Err(e) => Err(BodyError::Read(e.to_string())),
    }
}

/// How much of a refused request body [`collect_or_drain`] still reads
/// (and drops) before the refusal, and for how long at most.
const DRAIN_BYTES: u64 = 1 << 20;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(2);

/// [`collect_limited`] for a tenant's request body: past `limit`, up to
/// [`DRAIN_BYTES`] more are read and dropped (for at most [`DRAIN_TIME`])
/// before the refusal is returned. The connection is closed on a body
/// left unread, and a client still sending it then gets a broken pipe or
/// a reset instead of the 413 that says why; nginx discards a refused
/// body the same way. A larger or slower one is still cut off.
pub async fn collect_or_drain<B>(body: B, limit: usize) -> Result<Bytes, BodyError>
where
    B: http_body::Body<Data = Bytes> + Send,
    B::Error: Into<BoxError>,
{
    let mut body = std::pin::pin!(body);
    let read = collect_limited(body.as_mut(), limit).await;
    if let Err(BodyError::TooLarge(_)) = read {
        let mut left = DRAIN_BYTES;
        let drain = async {
            while left > 0 {
                match body.frame().await {
                    Some(Ok(frame)) => {
                        let n = frame.data_ref().map_or(0, |d| d.len());
                        left = left.saturating_sub(n as u64);
                    }
                    _ => break,
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
    }
    read
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

/// An error and its sources, as one line (`a: b: c`): hyper's and the
/// connectors' errors say what failed only in their sources.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
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

/// Decodes every `%XX` escape of a query value (no `+` → space: admin
/// queries carry RFC 3339 offsets like `+01:00`). `None` on a bad escape or
/// a result that is not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = b.get(i + 1).copied().and_then(hex_val)?;
            let l = b.get(i + 2).copied().and_then(hex_val)?;
            out.push(h * 16 + l);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes every byte but RFC 3986's unreserved ones, so the result
/// is one path segment or query value whatever `s` holds (ids and filters
/// that came from users).
pub fn percent_encode(s: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The value of one hex digit.
pub fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
