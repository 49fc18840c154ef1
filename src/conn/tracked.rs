//! The response body of a tracked connection: it keeps its request counted
//! as activity until hyper drops it (after the last byte, or when the
//! client goes away), and tells the connection's watchdog when it waits
//! on the client (see `idle`'s write timeout).

use std::pin::Pin;
use std::task::{Context, Poll};

use http_body::{Body, Frame, SizeHint};

use super::idle::ActivityGuard;

pin_project_lite::pin_project! {
    /// A response body counted as its connection's activity. Size and
    /// end-of-stream pass through, so `Content-Length` survives.
    ///
    /// Blocked on the client means: handed to hyper (the head), or a frame
    /// returned with more to come, and hyper has not polled again. hyper
    /// polls a body only when it can write more, so a client that stops
    /// reading (or, on HTTP/2, stops granting window) leaves it blocked;
    /// a body waiting on HeyGen has been polled and is not blocked.
    pub struct Tracked<B> {
        #[pin]
        inner: B,
        guard: ActivityGuard,
    }
}

impl<B> Tracked<B> {
    pub fn new(inner: B, mut guard: ActivityGuard) -> Tracked<B> {
        guard.tracker.blocked();
        guard.waiting = true;
        Tracked { inner, guard }
    }

    /// What the body gave is being written to the client: the response
    /// waits on the client until the body is polled again. hyper never
    /// polls a body while it has bytes to write, so returning a frame is
    /// enough there; the gateway's own HTTP/1 loop (`server::h1`) polls
    /// ahead to join pieces into one write, and may write a body's last
    /// piece while it still holds the body, so it says when it writes.
    /// Unsaid, a client that stops reading during such a write would be
    /// taken for a response waiting on HeyGen, and never closed.
    pub fn writing(self: Pin<&mut Self>) {
        let guard = self.project().guard;
        if !guard.waiting {
            guard.waiting = true;
            guard.tracker.blocked();
        }
    }
}

impl<B: Body> Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let mut this = self.project();
        if this.guard.waiting {
            this.guard.waiting = false;
            this.guard.tracker.unblocked(true);
        }
        let polled = this.inner.as_mut().poll_frame(cx);
        // The last frame leaves nothing to wait for: hyper drops the body.
        if matches!(polled, Poll::Ready(Some(Ok(_)))) && !this.inner.is_end_stream() {
            this.guard.waiting = true;
            this.guard.tracker.blocked();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
