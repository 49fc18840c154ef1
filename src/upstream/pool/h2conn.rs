//! HTTP/2 to HeyGen, driven with the `h2` crate from the request's own
//! task.
//!
//! hyper's HTTP/2 client hands every request over a channel to the
//! connection's task, which spawns a task per request to await the answer
//! and hand it back: a profile of a free read over HTTPS put that at about
//! 8,000 of its 72,000 instructions (`bench/RESULTS.md`). Here the request's task opens the stream, writes
//! the head and any body, and waits for the answer itself; only the
//! connection (frames in and out, flow control, pings) runs in a task of
//! its own, as under hyper. The settings are hyper's client defaults.
//!
//! A body is written by the request's task while it waits for the answer
//! (`super::h2pipe`), so a tenant's body failing (too large, too slow)
//! fails the request with that error, as over HTTP/1.1. An answer that
//! comes before the body is all sent (an early refusal) leaves the rest
//! to a task, for at most the request timeout.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, Uri};
use http_body::Body as _;
use hyper_util::rt::TokioIo;

use super::exchange::Dialled;
use super::h2pipe::Pipe;
use super::{SendError, Target};
use crate::http::{Body, BoxError};
use crate::upstream::body::UpBody;

/// hyper's client defaults: HTTP/2's own 64 KB windows are too small for
/// a video-sized answer, and HeyGen answers; the client pushes nothing.
const STREAM_WINDOW: u32 = 2 * 1024 * 1024;
const CONN_WINDOW: u32 = 5 * 1024 * 1024;
const MAX_FRAME: u32 = 16 * 1024;
const MAX_SEND_BUFFER: usize = 1024 * 1024;
const MAX_HEADER_LIST: u32 = 16 * 1024;
const MAX_LOCAL_ERROR_RESETS: usize = 1024;
/// Streams opened before HeyGen's SETTINGS name its limit (RFC 9113
/// §6.5.2 suggests 100); `h2`'s own default is unlimited, and the streams
/// past HeyGen's limit would be refused.
const INITIAL_MAX_SEND_STREAMS: usize = 100;

/// One HTTP/2 connection to a HeyGen host, shared by the requests on it.
#[derive(Clone)]
pub(in crate::upstream) struct H2Conn {
    tx: h2::client::SendRequest<Bytes>,
    /// Cleared when the connection ends or refuses new streams (a GOAWAY):
    /// the pool then makes a new one.
    open: Arc<AtomicBool>,
}

impl H2Conn {
    /// Speaks HTTP/2's preface and settings over `io` and starts the
    /// connection's task.
    pub(super) async fn handshake(io: Dialled) -> Result<H2Conn, h2::Error> {
        let (tx, conn) = h2::client::Builder::new()
            .initial_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONN_WINDOW)
            .max_frame_size(MAX_FRAME)
            .max_send_buffer_size(MAX_SEND_BUFFER)
            .max_header_list_size(MAX_HEADER_LIST)
            .max_local_error_reset_streams(Some(MAX_LOCAL_ERROR_RESETS))
            .initial_max_send_streams(INITIAL_MAX_SEND_STREAMS)
            .enable_push(false)
            .handshake::<_, Bytes>(TokioIo::new(io))
            .await?;
        let open = Arc::new(AtomicBool::new(true));
        let flag = open.clone();
        tokio::spawn(async move {
            // The connection ends once HeyGen closes it, or once the pool
            // and every request on it have let go of it.
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "Upstream HTTP/2 connection ended with an error.");
            }
            flag.store(false, Ordering::Relaxed);
        });
        Ok(H2Conn { tx, open })
    }

    /// Whether new requests may be sent on it.
    pub(super) fn is_open(&self) -> bool {
        self.open.load(Ordering::Relaxed)
    }

    /// Whether the connection would open a stream now (not after a
    /// GOAWAY), without marking it closed.
    #[cfg(test)]
    pub(super) fn takes_streams(&self) -> bool {
        let ready = self
            .tx
            .clone()
            .poll_ready(&mut Context::from_waker(Waker::noop()));
        matches!(ready, Poll::Ready(Ok(())))
    }

    /// Sends `req` (its URI a path and query) to `t` and waits for the
    /// answer's head. The request comes back with the error when the
    /// connection could not take it, so it may be sent on another.
    /// `limit` bounds what is left of a body after an early answer.
    pub(super) async fn send(
        self,
        t: &Target,
        req: Request<Body>,
        limit: Duration,
    ) -> Result<Response<UpBody>, (Option<Request<Body>>, SendError)> {
        // A clone of the connection's handle has no stream waiting to
        // open, so its readiness is known at once: whether the connection
        // still takes new streams (not after a GOAWAY or its end). Asked
        // before the request is taken apart, so it can go to another.
        let mut tx = self.tx;
        let ready = tx.poll_ready(&mut Context::from_waker(Waker::noop()));
        if let Poll::Ready(Err(e)) = ready {
            self.open.store(false, Ordering::Relaxed);
            return Err((Some(req), SendError::NotSent(e.into())));
        }
        let (parts, body) = req.into_parts();
        let head_only = parts.method == Method::HEAD;
        let head = head(t, parts, &body).map_err(|e| (None, SendError::NotSent(e)))?;
        let end = body.is_end_stream();
        // Refused here, nothing of it was written: a head HTTP/2 forbids,
        // or a GOAWAY between `ready` and now.
        let (answer, stream) = tx
            .send_request(head, end)
            .map_err(|e| (None, SendError::NotSent(e.into())))?;
        let resp = if end {
            answer.await
        } else {
            // Boxed: a read's future (which every request's holds) need
            // not carry a body's.
            match Box::pin(Pipe::new(stream, body).race(answer, limit)).await {
                Ok(resp) => resp,
                Err(e) => return Err((None, SendError::Failed(e))),
            }
        };
        match resp {
            Ok(resp) => {
                let (parts, recv) = resp.into_parts();
                let body = UpBody::h2(recv, &parts, head_only);
                Ok(Response::from_parts(parts, body))
            }
            Err(e) if unprocessed(&e) => Err((None, SendError::NotSent(e.into()))),
            Err(e) => Err((None, SendError::Failed(e.into()))),
        }
    }
}

/// Whether a stream's error says HeyGen did no processing of it (RFC 9113
/// §8.7): a `REFUSED_STREAM` reset from HeyGen, or HeyGen's GOAWAY naming
/// a last stream below this one (`h2` fails only those streams with the
/// GOAWAY's error; the ones it kept run on).
fn unprocessed(e: &h2::Error) -> bool {
    let refused = e.is_reset() && e.reason() == Some(h2::Reason::REFUSED_STREAM);
    e.is_remote() && (refused || e.is_go_away())
}

/// The request's head as HTTP/2 writes it: the host in `:authority`, from
/// an absolute URI. The headers come prepared (`Upstream::send`): no
/// `Host` and none of the connection-specific ones HTTP/2 forbids, which
/// `h2` would refuse the request for (before writing any of it).
fn head(t: &Target, parts: http::request::Parts, body: &Body) -> Result<Request<()>, BoxError> {
    let mut uri = parts.uri.into_parts();
    uri.scheme = Some(t.base.scheme.clone());
    uri.authority = Some(t.base.authority.clone());
    let mut head = Request::new(());
    *head.uri_mut() = Uri::from_parts(uri)?;
    *head.headers_mut() = parts.headers;
    let headers = head.headers_mut();
    // A body of known length says so, as hyper's client did (`h2` then
    // checks the body against it).
    if let Some(len) = body.size_hint().exact() {
        if (len != 0 || has_payload_semantics(&parts.method))
            && !headers.contains_key(header::CONTENT_LENGTH)
        {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        }
    }
    *head.method_mut() = parts.method;
    Ok(head)
}

/// Whether a body means something for `method` (RFC 9110 §9.3): not for
/// `GET`, `HEAD`, `DELETE` or `CONNECT`, so an empty one is not announced.
fn has_payload_semantics(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::DELETE | Method::CONNECT
    )
}
