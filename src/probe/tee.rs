//! [`Tap`]: a request body passed through unchanged, frame by frame, while
//! a [`Capture`] keeps the ends of the file in it. Nothing is buffered
//! beyond the capture's bounds, and the body's streaming, limits and errors
//! are the wrapped body's own.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

use super::upload::{Capture, FileEnds};
use crate::http::{Body, BoxError};

#[derive(Debug)]
struct Seen {
    capture: Option<Capture>,
    /// Body bytes passed through, framing included.
    bytes: u64,
}

/// Shared between the body (which feeds it) and the caller (which reads it
/// once the upstream answered). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Tap {
    seen: Arc<Mutex<Seen>>,
    /// The body's declared Content-Length, to tell a whole body from a part.
    declared: Option<u64>,
}

impl Tap {
    /// For a body of `content_type` and declared length (see
    /// [`Capture::new`]).
    pub fn new(content_type: Option<&str>, declared: Option<u64>) -> Tap {
        Tap {
            seen: Arc::new(Mutex::new(Seen {
                capture: Some(Capture::new(content_type)),
                bytes: 0,
            })),
            declared,
        }
    }

    /// `body`, feeding this tap as it is read.
    pub fn wrap(&self, body: Body) -> Body {
        crate::http::boxed(TeeBody {
            inner: body,
            tap: self.clone(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Seen> {
        // Held only to copy one frame's bytes; a panic there leaves a
        // capture that is at worst incomplete, which `finish` tolerates.
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The file's ends, once. `None` when a declared length was not all
    /// passed through (the upstream answered before reading it all) or the
    /// capture found no file (see [`Capture::finish`]).
    pub fn finish(&self) -> Option<FileEnds> {
        let mut seen = self.lock();
        if self.declared.is_some_and(|n| n != seen.bytes) {
            return None;
        }
        seen.capture.take()?.finish()
    }
}

struct TeeBody {
    inner: Body,
    tap: Tap,
}

impl http_body::Body for TeeBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                let mut seen = self.tap.lock();
                seen.bytes += data.len() as u64;
                if let Some(c) = seen.capture.as_mut() {
                    c.push(data);
                }
            }
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
