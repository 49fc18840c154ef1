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

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use http::{Method, Request, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::plain_head::{final_head, request_head};
use super::{Limits, Pool, SendError, Target};
use crate::http::{Body, BoxError};
use crate::upstream::body::UpBody;

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
    /// The exchange of `req` (see [`takes_plain`]). The request is written
    /// out before the future is made, which so holds neither it nor a
    /// second copy of it (an `async fn` keeps its arguments twice): this
    /// future is allocated for every read (`exchange::PoolFuture`).
    pub(super) fn send_plain<'a>(
        self: &'a Arc<Self>,
        t: &'a Target,
        req: Request<Body>,
        limits: Limits,
    ) -> impl Future<Output = Result<Response<UpBody>, SendError>> + Send + 'a {
        let head_request = req.method() == Method::HEAD;
        let head = request_head(t, &req);
        // The request's map, written out, holds the answer's fields: it
        // has room for them (hyper's server built it in the previous
        // answer's map), and one allocation and free less a read.
        let spare = req.into_parts().0.headers;
        self.send_plain_head(t, head, head_request, spare, limits, false)
    }

    /// The exchange of a bodiless read whose head is written already
    /// (`head`, for `t`); the answer's fields go into `spare`, or with
    /// `raw` into a `RawFields` extension where they can (the lane's:
    /// `crate::http::raw_fields`).
    pub(super) async fn send_plain_head(
        self: &Arc<Self>,
        t: &Target,
        head: Vec<u8>,
        head_request: bool,
        mut spare: http::HeaderMap,
        limits: Limits,
        raw: bool,
    ) -> Result<Response<UpBody>, SendError> {
        let mut deadline = None;
        if let Some(conn) = self.checkout_plain(t.slot) {
            let until = tokio::time::Instant::now() + limits.request;
            match self
                .exchange(t, conn, &head, (head_request, raw), until, &mut spare)
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
        let r = self.exchange(t, conn, &head, (head_request, raw), until, &mut spare);
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
    /// that deadline passed); `(head_request, raw)` as `final_head` takes them.
    async fn exchange(
        self: &Arc<Self>,
        t: &Target,
        mut conn: PlainConn,
        head: &[u8],
        (head_request, raw): (bool, bool),
        until: tokio::time::Instant,
        spare: &mut http::HeaderMap,
    ) -> Result<Response<UpBody>, Option<Lost>> {
        let answered = async {
            conn.io.write_all(head).await.map_err(|_| Lost::Closed)?;
            let mut heard = false;
            loop {
                let next = final_head(&mut conn.buf, head_request, &mut heard, spare, raw);
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
        if let Some(fields) = h.raw {
            resp.extensions_mut().insert(fields);
        }
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

#[cfg(test)]
#[path = "plain_tests.rs"]
mod tests;
