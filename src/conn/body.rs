//! Request bodies with a read deadline. A client that stops sending (or
//! trickles a few bytes at a time) must not hold a handler, a buffered
//! webhook or an upload open indefinitely: only time the gateway spends
//! waiting on the client counts (not time the handler spends elsewhere, e.g.
//! an upstream applying back-pressure), and a wait longer than
//! `body_read_timeout`, or an average below `body_min_rate` once past that
//! grace, fails the read with [`BodyReadTimeout`] (a 408 for the client).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use tokio::time::{Instant, Sleep};

use crate::http::{BodyReadTimeout, BoxError};

/// The request body every handler receives.
pub type ReqBody = TimedBody<Source>;

/// Where a request body comes from: hyper's connection, or nothing (a
/// bodiless request read by the gateway's own HTTP/1 loop, `server::h1`).
pub enum Source {
    Hyper(Incoming),
    Empty,
}

impl HttpBody for Source {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            Source::Hyper(b) => Pin::new(b).poll_frame(cx),
            Source::Empty => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Source::Hyper(b) => b.is_end_stream(),
            Source::Empty => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Source::Hyper(b) => b.size_hint(),
            Source::Empty => SizeHint::with_exact(0),
        }
    }
}

pin_project_lite::pin_project! {
    /// A body whose reads fail when the client stalls (see the module docs).
    pub struct TimedBody<B> {
        #[pin]
        inner: B,
        stall: Duration,
        min_rate: u64,
        // Set while the reader waits on the client: when that wait began.
        waiting_since: Option<Instant>,
        // Total time spent waiting on the client so far.
        waited: Duration,
        received: u64,
        // Allocated on the first wait only: most bodies arrive with the head.
        timer: Option<Pin<Box<Sleep>>>,
        failed: bool,
    }
}

impl<B> TimedBody<B> {
    pub fn new(inner: B, stall: Duration, min_rate: u64) -> TimedBody<B> {
        TimedBody {
            inner,
            stall,
            min_rate,
            waiting_since: None,
            waited: Duration::ZERO,
            received: 0,
            timer: None,
            failed: false,
        }
    }
}

/// Waiting the client may still do, given what it has sent: the grace plus
/// one second per `min_rate` bytes, less what it has already used, and never
/// more than `stall` in one go.
fn allowance(stall: Duration, min_rate: u64, received: u64, waited: Duration) -> Duration {
    if min_rate == 0 {
        return stall;
    }
    let earned_ms = received.saturating_mul(1000) / min_rate;
    let budget = stall.saturating_add(Duration::from_millis(earned_ms));
    budget.saturating_sub(waited).min(stall)
}

impl<B> HttpBody for TimedBody<B>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        if *this.failed {
            return Poll::Ready(None);
        }
        match this.inner.poll_frame(cx) {
            Poll::Ready(frame) => {
                if let Some(since) = this.waiting_since.take() {
                    *this.waited += since.elapsed();
                }
                if let Some(Ok(f)) = &frame {
                    if let Some(d) = f.data_ref() {
                        *this.received += d.len() as u64;
                    }
                }
                Poll::Ready(frame.map(|r| r.map_err(Into::into)))
            }
            Poll::Pending => {
                let since = *this.waiting_since.get_or_insert_with(Instant::now);
                let deadline =
                    since + allowance(*this.stall, *this.min_rate, *this.received, *this.waited);
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if timer.deadline() != deadline {
                    timer.as_mut().reset(deadline);
                }
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        *this.failed = true;
                        Poll::Ready(Some(Err(Box::new(BodyReadTimeout))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.failed || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use http_body_util::{BodyExt, StreamBody};

    #[test]
    fn allowance_grows_with_bytes_and_is_capped_by_the_stall() {
        let s = Duration::from_secs(10);
        assert_eq!(allowance(s, 0, 0, Duration::from_secs(999)), s, "rate off");
        assert_eq!(allowance(s, 1000, 0, Duration::ZERO), s);
        assert_eq!(
            allowance(s, 1000, 0, Duration::from_secs(4)),
            Duration::from_secs(6)
        );
        // 5,000 bytes at 1,000 B/s earned 5 s on top of the grace.
        assert_eq!(
            allowance(s, 1000, 5000, Duration::from_secs(12)),
            Duration::from_secs(3)
        );
        assert_eq!(
            allowance(s, 1000, 5000, Duration::from_secs(20)),
            Duration::ZERO
        );
    }

    fn stream_of(
        items: Vec<(u64, &'static [u8])>,
    ) -> impl HttpBody<Data = Bytes, Error = std::io::Error> {
        // Each item: wait `ms`, then send the bytes.
        let s = futures_util::stream::iter(items).then(|(ms, b)| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok::<_, std::io::Error>(Frame::data(Bytes::from_static(b)))
        });
        StreamBody::new(s)
    }

    #[tokio::test]
    async fn a_stalled_body_fails_with_the_timeout_error() {
        let body = TimedBody::new(
            stream_of(vec![(0, b"ab"), (5_000, b"never")]),
            Duration::from_millis(50),
            0,
        );
        let err = tokio::time::timeout(Duration::from_secs(3), body.collect())
            .await
            .expect("the read fails instead of waiting")
            .expect_err("stalled body");
        assert!(err.is::<BodyReadTimeout>(), "{err}");
    }

    #[tokio::test]
    async fn a_steady_body_is_read_whole() {
        let body = TimedBody::new(
            stream_of(vec![(10, b"ab"), (10, b"cd"), (10, b"ef")]),
            Duration::from_secs(5),
            1,
        );
        let got = body.collect().await.expect("read").to_bytes();
        assert_eq!(&got[..], b"abcdef");
    }

    #[tokio::test]
    async fn a_trickle_below_the_minimum_rate_fails() {
        // Every gap is under the stall timeout, but 1 byte per 40 ms is far
        // below 1,000 B/s once the 60 ms grace is used up.
        let items = (0..50).map(|_| (40, &b"x"[..])).collect();
        let body = TimedBody::new(stream_of(items), Duration::from_millis(60), 1000);
        let err = tokio::time::timeout(Duration::from_secs(5), body.collect())
            .await
            .expect("the read fails instead of waiting")
            .expect_err("too slow");
        assert!(err.is::<BodyReadTimeout>(), "{err}");
    }
}
