//! A response body from HeyGen that returns its HTTP/1.1 connection to
//! the pool (`super::pool`) when it has been read to its end.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1;

use super::pool::Pool;

/// An HTTP/1.1 connection to hand back once its response is read.
pub(super) struct GiveBack {
    pub(super) tx: http1::SendRequest<crate::http::Body>,
    pub(super) pool: Arc<Pool>,
    pub(super) slot: usize,
}

/// A response body from HeyGen. Read to its end, it returns its HTTP/1.1
/// connection to the pool; dropped before, the connection closes (another
/// request cannot use it while this response's bytes are unread).
pub struct UpBody {
    body: Incoming,
    back: Option<GiveBack>,
}

impl std::fmt::Debug for UpBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpBody")
            .field("body", &self.body)
            .field("pooled", &self.back.is_some())
            .finish()
    }
}

impl UpBody {
    pub(super) fn new(body: Incoming, back: Option<GiveBack>) -> UpBody {
        UpBody { body, back }
    }

    fn give_back(&mut self) {
        if let Some(b) = self.back.take() {
            // Ready once the connection has read the whole response and
            // waits for the next request.
            if b.tx.is_ready() {
                b.pool.put(b.slot, b.tx);
            }
        }
    }
}

impl Drop for UpBody {
    fn drop(&mut self) {
        if Body::is_end_stream(&self.body) {
            self.give_back();
        }
    }
}

impl Body for UpBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        let frame = std::task::ready!(Pin::new(&mut this.body).poll_frame(cx));
        let ended = match &frame {
            None => true,
            Some(Ok(_)) => Body::is_end_stream(&this.body),
            Some(Err(_)) => {
                this.back = None;
                false
            }
        };
        if ended {
            this.give_back();
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        Body::is_end_stream(&self.body)
    }

    fn size_hint(&self) -> SizeHint {
        Body::size_hint(&self.body)
    }
}
