//! A response body read from its HTTP/2 stream (`pool::h2conn`), as
//! hyper's client read one: each chunk's bytes given back to HeyGen's send
//! window as it is taken, trailers after the data, the length the head
//! declared as the size hint.

use std::task::{ready, Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

use crate::http::BoxError;

pub(super) struct H2Body {
    recv: h2::RecvStream,
    data_done: bool,
    /// What the head's `Content-Length` leaves to come, when it has one.
    /// (`h2` fails the stream if the data does not match it.)
    remaining: Option<u64>,
}

impl H2Body {
    /// The body of the answer `head`, to a `HEAD` request if `head_only`.
    pub(super) fn new(
        recv: h2::RecvStream,
        head: &http::response::Parts,
        head_only: bool,
    ) -> H2Body {
        // These have no body, whatever length they name (RFC 9110 §6.3).
        let bodiless = head_only
            || head.status == http::StatusCode::NO_CONTENT
            || head.status == http::StatusCode::NOT_MODIFIED;
        let remaining = if bodiless {
            Some(0)
        } else {
            head.headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
                .and_then(|v| v.parse().ok())
        };
        H2Body {
            recv,
            data_done: false,
            remaining,
        }
    }

    pub(super) fn poll_frame(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if !self.data_done {
            match ready!(self.recv.poll_data(cx)) {
                Some(Ok(data)) => {
                    // Errors only once the stream is gone, which the next
                    // poll reports.
                    let _ = self.recv.flow_control().release_capacity(data.len());
                    if let Some(n) = &mut self.remaining {
                        *n = n.saturating_sub(data.len() as u64);
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                // A RST_STREAM(NO_ERROR) after the answer's end (HeyGen
                // stopping a request body it has answered, RFC 9113
                // §8.1) is no error here: `h2` keeps the end. Before the
                // end it cuts the answer short, and is one.
                Some(Err(e)) => return Poll::Ready(Some(Err(e.into()))),
                None => self.data_done = true,
            }
        }
        match ready!(self.recv.poll_trailers(cx)) {
            Ok(Some(trailers)) => Poll::Ready(Some(Ok(Frame::trailers(trailers)))),
            Ok(None) => Poll::Ready(None),
            Err(e) => Poll::Ready(Some(Err(e.into()))),
        }
    }

    pub(super) fn is_end_stream(&self) -> bool {
        self.recv.is_end_stream()
    }

    pub(super) fn size_hint(&self) -> SizeHint {
        match self.remaining {
            Some(n) => SizeHint::with_exact(n),
            // No length named: exact only once the stream has ended (asked
            // here, not for every answer: it takes the connection's lock).
            None if self.recv.is_end_stream() => SizeHint::with_exact(0),
            None => SizeHint::default(),
        }
    }
}
