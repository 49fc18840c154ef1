//! A response body from HeyGen that returns its HTTP/1.1 connection to
//! the pool (`super::pool`) when it has been read to its end: hyper's, or
//! one the plain client (`pool::plain`) decodes from its connection; or
//! an HTTP/2 stream's (`super::h2body`).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1;

use super::framing::Decoder;
use super::h2body::H2Body;
use super::pool::{PlainConn, Pool};
use crate::http::BoxError;

/// An HTTP/1.1 connection to hand back once its response is read.
pub(super) struct GiveBack {
    pub(super) tx: http1::SendRequest<crate::http::Body>,
    pub(super) pool: Arc<Pool>,
    pub(super) slot: usize,
}

/// A response body from HeyGen. Read to its end, it returns its HTTP/1.1
/// connection to the pool; dropped before, the connection closes (another
/// request cannot use it while this response's bytes are unread).
pub struct UpBody(Kind);

enum Kind {
    Hyper {
        body: Incoming,
        back: Option<GiveBack>,
    },
    Plain(Plain),
    H2(H2Body),
}

/// A body read from its plain connection by whoever polls it.
struct Plain {
    /// `None` once the body ended or failed.
    conn: Option<PlainConn>,
    decoder: Decoder,
    /// Whether the connection may carry another request after this body.
    keep: bool,
    pool: Arc<Pool>,
    slot: usize,
}

impl std::fmt::Debug for UpBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Kind::Hyper { body, back } => f
                .debug_struct("UpBody")
                .field("body", body)
                .field("pooled", &back.is_some())
                .finish(),
            Kind::Plain(p) => f
                .debug_struct("UpBody")
                .field("decoder", &p.decoder)
                .field("pooled", &p.keep)
                .finish(),
            Kind::H2(b) => f
                .debug_struct("UpBody")
                .field("size_hint", &b.size_hint())
                .finish(),
        }
    }
}

impl UpBody {
    pub(super) fn new(body: Incoming, back: Option<GiveBack>) -> UpBody {
        UpBody(Kind::Hyper { body, back })
    }

    pub(super) fn h2(
        recv: h2::RecvStream,
        head: &http::response::Parts,
        head_only: bool,
    ) -> UpBody {
        UpBody(Kind::H2(H2Body::new(recv, head, head_only)))
    }

    pub(super) fn plain(
        conn: PlainConn,
        decoder: Decoder,
        keep: bool,
        pool: Arc<Pool>,
        slot: usize,
    ) -> UpBody {
        UpBody(Kind::Plain(Plain {
            conn: Some(conn),
            decoder,
            keep,
            pool,
            slot,
        }))
    }
}

fn give_back(back: &mut Option<GiveBack>) {
    if let Some(b) = back.take() {
        // Ready once the connection has read the whole response and
        // waits for the next request.
        if b.tx.is_ready() {
            b.pool.put(b.slot, b.tx);
        }
    }
}

impl Plain {
    /// The body has ended: its connection goes back to the pool when it
    /// may carry another request and holds nothing past this answer.
    fn finish(&mut self) {
        if let Some(conn) = self.conn.take() {
            if self.keep && conn.buf.is_empty() {
                self.pool.put_plain(self.slot, conn);
            }
        }
    }

    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        loop {
            let Some(conn) = self.conn.as_mut() else {
                return Poll::Ready(None);
            };
            match self.decoder.decode(&mut conn.buf) {
                Err(e) => {
                    self.conn = None;
                    return Poll::Ready(Some(Err(e.into())));
                }
                Ok(Some(data)) => {
                    if self.decoder.is_done() {
                        self.finish();
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Ok(None) if self.decoder.is_done() => {
                    self.finish();
                    return Poll::Ready(None);
                }
                Ok(None) => {}
            }
            let read = loop {
                if let Err(e) = std::task::ready!(conn.io.poll_read_ready(cx)) {
                    break Err(e);
                }
                conn.buf.reserve(8192);
                match conn.io.try_read_buf(&mut conn.buf) {
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    r => break r,
                }
            };
            match read {
                Ok(0) => {
                    self.keep = false;
                    if let Err(e) = self.decoder.end() {
                        self.conn = None;
                        return Poll::Ready(Some(Err(e.into())));
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    self.conn = None;
                    return Poll::Ready(Some(Err(e.into())));
                }
            }
        }
    }
}

impl Drop for UpBody {
    fn drop(&mut self) {
        match &mut self.0 {
            Kind::Hyper { body, back } => {
                if Body::is_end_stream(body) {
                    give_back(back);
                }
            }
            Kind::Plain(p) => {
                if p.decoder.is_done() {
                    p.finish();
                }
            }
            Kind::H2(_) => {}
        }
    }
}

impl Body for UpBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let (body, back) = match &mut self.0 {
            Kind::Plain(p) => return p.poll_frame(cx),
            Kind::H2(b) => return b.poll_frame(cx),
            Kind::Hyper { body, back } => (body, back),
        };
        let frame = std::task::ready!(Pin::new(&mut *body).poll_frame(cx));
        let ended = match &frame {
            None => true,
            Some(Ok(_)) => Body::is_end_stream(body),
            Some(Err(_)) => {
                *back = None;
                false
            }
        };
        if ended {
            give_back(back);
        }
        Poll::Ready(frame.map(|f| f.map_err(Into::into)))
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Hyper { body, .. } => Body::is_end_stream(body),
            Kind::Plain(p) => p.decoder.is_done(),
            Kind::H2(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Hyper { body, .. } => Body::size_hint(body),
            Kind::H2(b) => b.size_hint(),
            Kind::Plain(p) => match p.decoder.remaining() {
                Some(n) => SizeHint::with_exact(n),
                None => SizeHint::default(),
            },
        }
    }
}
