//! Writing a response on the gateway's own HTTP/1 loop, and watching the
//! client while it waits: for the next head, for its answer, for the next
//! piece of a streamed body.

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;

use bytes::{Buf, BytesMut};
use futures_util::FutureExt;
use http::{HeaderMap, Response};
use http_body::Body as _;
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::encode::{self, Framing};
use super::READ_CHUNK;
use crate::conn::Tracked;
use crate::http::{Body, BoxError};

/// Buffered response bytes go out once past this; a body piece this large
/// is written as it is instead of copied.
const FLUSH_AT: usize = 32 * 1024;

/// Reads from the client while the connection waits on something else.
pub(super) struct Watch {
    limit: usize,
    half_close: bool,
    eof: bool,
}

impl Watch {
    pub(super) fn new(limit: usize, half_close: bool) -> Watch {
        Watch {
            limit,
            half_close,
            eof: false,
        }
    }

    /// Whether the client has ended its side.
    pub(super) fn eof(&self) -> bool {
        self.eof
    }

    /// Reads more of a head; false when the connection should end: the
    /// client closed (or failed) with nothing pending, or the listener
    /// drains (a head begun is dropped unserved, as hyper drops one).
    pub(super) async fn next_head<IO: AsyncRead + Unpin>(
        &mut self,
        io: &mut IO,
        buf: &mut BytesMut,
        draining: &AtomicBool,
    ) -> bool {
        poll_fn(|cx| {
            if draining.load(Ordering::Relaxed) {
                return Poll::Ready(false);
            }
            reserve(buf);
            Poll::Ready(
                match tokio_util::io::poll_read_buf(Pin::new(&mut *io), cx, buf) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(0)) => {
                        self.eof = true;
                        !buf.is_empty()
                    }
                    Poll::Ready(Ok(_)) => true,
                    Poll::Ready(Err(_)) => false,
                },
            )
        })
        .await
    }

    /// Runs `fut`, reading ahead meanwhile (at most `limit` bytes): `None`
    /// when the client closed or failed first (unless `half_close`).
    pub(super) async fn until<IO: AsyncRead + Unpin, F: Future>(
        &mut self,
        io: &mut IO,
        buf: &mut BytesMut,
        fut: F,
    ) -> Option<F::Output> {
        let mut fut = pin!(fut);
        poll_fn(|cx| {
            if let Poll::Ready(v) = fut.as_mut().poll(cx) {
                return Poll::Ready(Some(v));
            }
            while !self.eof && buf.len() < self.limit {
                reserve(buf);
                match tokio_util::io::poll_read_buf(Pin::new(&mut *io), cx, buf) {
                    Poll::Pending => break,
                    Poll::Ready(Ok(0)) => {
                        self.eof = true;
                        if !self.half_close {
                            return Poll::Ready(None);
                        }
                    }
                    Poll::Ready(Ok(_)) => {}
                    Poll::Ready(Err(_)) => return Poll::Ready(None),
                }
            }
            Poll::Pending
        })
        .await
    }
}

/// Room for one more read; a buffer whose earlier heads are all dropped
/// is reused whole (`BytesMut::reserve`).
fn reserve(buf: &mut BytesMut) {
    if buf.capacity() - buf.len() < READ_CHUNK / 8 {
        buf.reserve(READ_CHUNK);
    }
}

/// Writes `resp`; true when the connection may carry another request, and
/// the answer's fields' map, emptied, for the next request.
pub(super) async fn write<IO: AsyncRead + AsyncWrite + Unpin>(
    io: &mut IO,
    out: &mut Vec<u8>,
    resp: Response<Tracked<Body>>,
    head_request: bool,
    close: bool,
    watch: &mut Watch,
    buf: &mut BytesMut,
) -> Result<(bool, HeaderMap), BoxError> {
    let (parts, body) = resp.into_parts();
    out.clear();
    let (framing, close) = encode::head(&parts, &body, head_request, close, out);
    // Emptied before the body is sent, as hyper drops a written head: its
    // values may share a HeyGen connection's buffer, which the body's end
    // hands back to the pool. The map's room stays, for the next request.
    let mut fields = parts.headers;
    fields.clear();
    drop(parts.extensions);
    let whole = {
        let mut body = pin!(body);
        match framing {
            Framing::None => true,
            Framing::Length(n) => send_body(io, out, body.as_mut(), Some(n), watch, buf).await?,
            Framing::Chunked => send_body(io, out, body.as_mut(), None, watch, buf).await?,
        }
        // The body is dropped before its last bytes are written, as hyper
        // drops it after its last frame: the request's activity ends, so
        // a client that never reads them is closed by the idle timeout.
    };
    flush(io, out).await?;
    if out.capacity() > 2 * FLUSH_AT {
        *out = Vec::new();
    }
    Ok((whole && !close, fields))
}

/// Streams the body after the head: `Some(n)` bytes exactly, or chunked.
/// False when the client left while it waited.
async fn send_body<IO: AsyncRead + AsyncWrite + Unpin>(
    io: &mut IO,
    out: &mut Vec<u8>,
    mut body: Pin<&mut Tracked<Body>>,
    mut length: Option<u64>,
    watch: &mut Watch,
    buf: &mut BytesMut,
) -> Result<bool, BoxError> {
    loop {
        // A piece ready now joins the head in one write; before waiting
        // for one, what is buffered goes out.
        let frame = match body.frame().now_or_never() {
            Some(frame) => frame,
            None => {
                body.as_mut().writing();
                flush(io, out).await?;
                match watch.until(io, buf, body.frame()).await {
                    Some(frame) => frame,
                    None => return Ok(false),
                }
            }
        };
        let Some(frame) = frame.transpose()? else {
            break;
        };
        if let Ok(mut data) = frame.into_data() {
            if let Some(left) = length.as_mut() {
                // Past its length a body is cut, as hyper's encoder cuts
                // it: the client was promised that many bytes, no more.
                data.truncate(usize::try_from(*left).unwrap_or(usize::MAX));
                *left -= data.len() as u64;
            }
            let n = data.remaining();
            if length.is_none() && n > 0 {
                out.extend_from_slice(format!("{n:X}\r\n").as_bytes());
            }
            if n >= FLUSH_AT {
                body.as_mut().writing();
                flush(io, out).await?;
                io.write_all_buf(&mut data).await?;
            } else {
                out.extend_from_slice(data.chunk());
            }
            if length.is_none() && n > 0 {
                out.extend_from_slice(b"\r\n");
            }
            if out.len() >= FLUSH_AT {
                body.as_mut().writing();
                flush(io, out).await?;
            }
        }
        // A body whose length is all sent is done with, as hyper drops
        // it then: one relayed over HTTP/2 may end its stream only with a
        // later, empty frame (or never), which no client waits for.
        if body.is_end_stream() || length == Some(0) {
            break;
        }
    }
    match length {
        None => out.extend_from_slice(b"0\r\n\r\n"),
        Some(0) => {}
        Some(_) => return Err("the response body is shorter than its length".into()),
    }
    Ok(true)
}

async fn flush<IO: AsyncWrite + Unpin>(io: &mut IO, out: &mut Vec<u8>) -> std::io::Result<()> {
    if !out.is_empty() {
        io.write_all(out).await?;
        out.clear();
    }
    Ok(())
}

#[cfg(test)]
#[path = "respond_tests.rs"]
mod tests;
