//! Reads over plain HTTP/1.1, exchanged in the request's own task.
//!
//! hyper's client runs each connection in a task of its own and hands it
//! every request and response over channels: two task wake-ups and about
//! 12,000 instructions per request, a quarter of a free read's
//! (`bench/RESULTS.md`). A bodiless `GET` or `HEAD` to a plain `http://`
//! host (a local HeyGen stand-in, a sidecar) is instead written and its
//! answer read here, by the task that wants it; the connection rides in
//! the response body and returns to the pool when the body ends
//! (`super::super::body`). Everything else (bodies, TLS) takes
//! `exchange`'s path (`h2conn` for HTTP/2). Only safe methods take this
//! path because of one race: an idle connection HeyGen closes as a
//! request is written to it answers nothing, and only a request that may
//! be repeated (RFC 9110 §9.2.2) can then be sent again without asking
//! whether HeyGen saw it. The retry runs within the first attempt's
//! request timeout.
//!
//! An idle connection is checked for a close (or stray bytes) only as far
//! as the runtime has seen its socket become readable, without a system
//! call per reuse; bytes a broken server sends after a complete answer,
//! arriving just as the connection is reused, could be read as the next
//! answer. hyper's client has the same window.

use std::mem::MaybeUninit;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use http::header::{HeaderName, HeaderValue, HOST};
use http::{Method, Request, Response, StatusCode, Version};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{Limits, Pool, SendError, Target};
use crate::http::{Body, BoxError};
use crate::upstream::body::UpBody;
use crate::upstream::framing::{framing, this_hop_only, Decoder, FramingError};

/// Headers a response head may have (hyper's limit too).
const MAX_HEADERS: usize = 100;
/// A response head larger than this is refused.
const MAX_HEAD: usize = 64 * 1024;

/// An idle or working plain connection and the bytes read from it that no
/// response has taken yet.
pub(in crate::upstream) struct PlainConn {
    pub(in crate::upstream) io: TcpStream,
    pub(in crate::upstream) buf: BytesMut,
}

impl PlainConn {
    /// Whether HeyGen may still answer on it: nothing arrived while it
    /// was idle, not even its close. Costs no system call unless the
    /// runtime saw the socket become readable.
    pub(super) fn is_open(&self) -> bool {
        let mut probe = [0u8; 1];
        matches!(self.io.try_read(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
    }
}

/// Whether `req` takes the plain path to `t` (see the module's comment).
pub(super) fn takes_plain(t: &Target, req: &Request<Body>) -> bool {
    t.plain
        && (req.method() == Method::GET || req.method() == Method::HEAD)
        && http_body::Body::is_end_stream(req.body())
}

/// Why one exchange got no response head.
enum Lost {
    /// The connection ended before any byte of an answer: a reused one
    /// was closed under the request.
    Closed,
    Failed(BoxError),
}

impl Pool {
    pub(super) async fn send_plain(
        self: &Arc<Self>,
        t: &Target,
        req: Request<Body>,
        limits: Limits,
    ) -> Result<Response<UpBody>, SendError> {
        let head_request = req.method() == Method::HEAD;
        let head = request_head(t, &req);
        // The request's map, written out, holds the answer's fields: it
        // has room for them (hyper's server built it in the previous
        // answer's map), and one allocation and free less a read.
        let mut spare = req.into_parts().0.headers;
        let mut deadline = None;
        if let Some(conn) = self.checkout_plain(t.slot) {
            let until = tokio::time::Instant::now() + limits.request;
            match self
                .exchange(t, conn, &head, head_request, until, &mut spare)
                .await
            {
                Err(Some(Lost::Closed)) => deadline = Some(until), // sent again below
                r => return r.map_err(lost),
            }
        }
        let conn = match Box::pin(self.connect_plain(t, limits.connect)).await {
            Ok(c) => c,
            // The first attempt was written: HeyGen may have seen it.
            Err(SendError::NotSent(e)) if deadline.is_some() => return Err(SendError::Failed(e)),
            Err(e) => return Err(e),
        };
        let until = deadline.unwrap_or_else(|| tokio::time::Instant::now() + limits.request);
        let r = self.exchange(t, conn, &head, head_request, until, &mut spare);
        r.await.map_err(lost)
    }

    async fn connect_plain(
        self: &Arc<Self>,
        t: &Target,
        limit: Duration,
    ) -> Result<PlainConn, SendError> {
        let io = match tokio::time::timeout(limit, self.dial(t)).await {
            Ok(io) => io?,
            Err(_) => return Err(super::exchange::connect_timed_out(t)),
        };
        match io {
            hyper_rustls::MaybeHttpsStream::Http(io) => Ok(PlainConn {
                io: io.into_inner(),
                buf: BytesMut::new(),
            }),
            hyper_rustls::MaybeHttpsStream::Https(_) => Err(SendError::NotSent(
                format!("{} was dialled as HTTPS", t.base.authority).into(),
            )),
        }
    }

    /// Writes `head`, then reads the response head by `until` (`None`:
    /// that deadline passed).
    async fn exchange(
        self: &Arc<Self>,
        t: &Target,
        mut conn: PlainConn,
        head: &[u8],
        head_request: bool,
        until: tokio::time::Instant,
        spare: &mut http::HeaderMap,
    ) -> Result<Response<UpBody>, Option<Lost>> {
        let answered = async {
            conn.io.write_all(head).await.map_err(|_| Lost::Closed)?;
            let mut heard = false;
            loop {
                let next = final_head(&mut conn.buf, head_request, &mut heard, spare);
                if let Some(h) = next.map_err(Lost::Failed)? {
                    return Ok(h);
                }
                conn.buf.reserve(8192);
                match conn.io.read_buf(&mut conn.buf).await {
                    Ok(0) | Err(_) if !heard => return Err(Lost::Closed),
                    Ok(0) => return Err(Lost::Failed("HeyGen closed mid-answer".into())),
                    Ok(_) => {}
                    Err(e) => return Err(Lost::Failed(e.into())),
                }
            }
        };
        let h = match tokio::time::timeout_at(until, answered).await {
            Ok(h) => h.map_err(Some)?,
            Err(_) => return Err(None),
        };
        let (decoder, keep) = h.framing.map_err(|e| Some(Lost::Failed(e.into())))?;
        let mut resp = Response::new(UpBody::plain(conn, decoder, keep, self.clone(), t.slot));
        (*resp.status_mut(), *resp.version_mut()) = (h.status, h.version);
        *resp.headers_mut() = h.headers;
        Ok(resp)
    }
}

fn lost(e: Option<Lost>) -> SendError {
    match e {
        None => SendError::TimedOut,
        Some(Lost::Closed) => {
            SendError::Failed("HeyGen closed the connection without answering".into())
        }
        Some(Lost::Failed(e)) => SendError::Failed(e),
    }
}

/// The request line and headers, with `Host` the target's.
fn request_head(t: &Target, req: &Request<Body>) -> Vec<u8> {
    let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut out = Vec::with_capacity(192 + 48 * req.headers().len());
    for part in [req.method().as_str(), " ", target, " HTTP/1.1\r\nhost: "] {
        out.extend_from_slice(part.as_bytes());
    }
    out.extend_from_slice(t.host.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in req.headers() {
        if name != HOST {
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The final response head at the front of `buf` (informational ones
/// skipped), `None` until it is whole. `heard` records that some answer
/// has begun (a 1xx, or part of a head): the connection was not closed
/// unanswered. Refused: a head past [`MAX_HEAD`], and 101 (a read
/// switches no protocol).
pub(in crate::upstream) fn final_head(
    buf: &mut BytesMut,
    head_request: bool,
    heard: &mut bool,
    spare: &mut http::HeaderMap,
) -> Result<Option<Head>, BoxError> {
    loop {
        let Some(h) = take_head(buf, head_request, spare)? else {
            *heard |= !buf.is_empty();
            return match buf.len() > MAX_HEAD {
                true => Err("HeyGen's response head is too large".into()),
                false => Ok(None),
            };
        };
        *heard = true;
        match h.status {
            StatusCode::SWITCHING_PROTOCOLS => {
                return Err("HeyGen switched protocols on a read".into())
            }
            s if s.is_informational() => {}
            _ => return Ok(Some(h)),
        }
    }
}

pub(in crate::upstream) struct Head {
    pub(in crate::upstream) status: StatusCode,
    version: Version,
    headers: http::HeaderMap,
    /// How its body is delimited (see `framing`).
    pub(in crate::upstream) framing: Result<(Decoder, bool), FramingError>,
}

/// A whole response head taken from the front of `buf`, its header
/// values sharing the buffer's memory, its fields but this hop's in
/// `spare` (emptied first); `None` until it is whole.
fn take_head(
    buf: &mut BytesMut,
    head_request: bool,
    spare: &mut http::HeaderMap,
) -> Result<Option<Head>, BoxError> {
    if buf.is_empty() {
        return Ok(None);
    }
    // Uninitialised: zeroing room for a hundred headers cost more than
    // parsing the few an answer has.
    let mut raw = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut []);
    let config = httparse::ParserConfig::default();
    let len = match config.parse_response_with_uninit_headers(&mut parsed, buf, &mut raw)? {
        httparse::Status::Partial => return Ok(None),
        httparse::Status::Complete(len) => len,
    };
    let status = StatusCode::from_u16(parsed.code.unwrap_or(0))?;
    let version = match parsed.version {
        Some(1) => Version::HTTP_11,
        _ => Version::HTTP_10,
    };
    let raw_headers = parsed.headers.iter().map(|h| (h.name.as_bytes(), h.value));
    let framing = framing(head_request, status, version, raw_headers);
    // Where each name and value sits, so they can be cut from the frozen
    // head without copying.
    let base = buf.as_ptr() as usize;
    let at = |s: &[u8]| {
        (
            s.as_ptr() as usize - base,
            s.as_ptr() as usize - base + s.len(),
        )
    };
    let spans: Vec<_> = parsed
        .headers
        .iter()
        .filter(|h| !this_hop_only(h.name.as_bytes(), h.value))
        .map(|h| (at(h.name.as_bytes()), at(h.value)))
        .collect();
    let head = buf.split_to(len).freeze();
    let mut headers = std::mem::take(spare);
    headers.clear();
    headers.reserve(spans.len());
    for ((n0, n1), (v0, v1)) in spans {
        let name = HeaderName::from_bytes(&head[n0..n1])?;
        headers.append(name, HeaderValue::from_maybe_shared(head.slice(v0..v1))?);
    }
    Ok(Some(Head {
        status,
        version,
        headers,
        framing,
    }))
}

#[cfg(test)]
#[path = "plain_tests.rs"]
mod tests;
