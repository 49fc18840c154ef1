//! Idle detection per connection. hyper's HTTP/1 header timeout only starts
//! with the first byte, and the auto (h1/h2) builder does not time out while
//! sniffing the protocol, so a client that connects and sends nothing would
//! hold its descriptor forever. A connection is idle while no request is in
//! progress on it; idle for `idle_timeout` means it is closed.
//!
//! The HTTP/1 head timeout is kept here too, not by hyper: hyper's timer
//! runs from when it starts waiting for a head (the end of the previous
//! response) until the head is read, which is exactly the idle time, and
//! it re-registered a boxed timer for every request. So an HTTP/1
//! connection (or one whose protocol is not known yet: no request so far)
//! is closed after the shorter of the two timeouts; an HTTP/2 one after
//! the idle timeout, as hyper has no head timeout for HTTP/2.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Context;
use std::time::Duration;

use futures_util::task::AtomicWaker;
use tokio::time::Instant;

#[derive(Debug)]
struct Inner {
    in_flight: AtomicUsize,
    /// When the last request ended (or the connection was accepted), in
    /// milliseconds since `epoch`.
    idle_since_ms: AtomicU64,
    epoch: Instant,
    /// What the watchdog asks of the connection (`Signal` bits), and the
    /// connection's task to wake when it asks (see `guard`).
    signal: AtomicU8,
    waker: AtomicWaker,
    /// Whether a request came as HTTP/2 (no head timeout then).
    h2: AtomicBool,
}

/// Which timeout closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Idle,
    /// An HTTP/1 request head did not arrive whole in time.
    Head,
}

/// What a connection's watchdog asks of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Signal {
    /// Finish the requests in progress, then close.
    Drain = 1,
    /// Close now (idle for the timeout).
    Close = 2,
    /// Close now (no HTTP/1 head within the head timeout).
    CloseHead = 4,
}

/// Shared between a connection's requests and its watchdog.
///
/// Requests only touch two atomics; nothing is woken per request. The
/// watchdog sleeps until the earliest moment the connection could have
/// been idle for the timeout, looks, and re-arms its one timer if a request
/// came since — a per-request timer or notification would cost a timer
/// registration (often an eventfd write) and a spurious poll of the
/// connection on every request.
#[derive(Debug, Clone)]
pub struct IdleTracker {
    inner: Arc<Inner>,
}

impl Default for IdleTracker {
    fn default() -> Self {
        Self::new()
    }
}

impl IdleTracker {
    /// A tracker for a connection accepted now.
    pub fn new() -> IdleTracker {
        IdleTracker {
            inner: Arc::new(Inner {
                in_flight: AtomicUsize::new(0),
                idle_since_ms: AtomicU64::new(0),
                epoch: Instant::now(),
                signal: AtomicU8::new(0),
                waker: AtomicWaker::new(),
                h2: AtomicBool::new(false),
            }),
        }
    }

    /// Marks a request in progress until the guard drops (hold it until the
    /// response body is finished, so a long download is not "idle").
    pub fn begin(&self) -> ActivityGuard {
        self.inner.in_flight.fetch_add(1, Ordering::AcqRel);
        ActivityGuard {
            tracker: self.clone(),
        }
    }

    /// Notes that the connection speaks HTTP/2 (hyper has no head timeout
    /// there).
    pub fn saw_http2(&self) {
        self.inner.h2.store(true, Ordering::Relaxed);
    }

    /// Resolves once no request has been in progress for `idle`, or, on a
    /// connection not known to speak HTTP/2, for `head` if that is shorter.
    pub async fn expired(&self, idle: Duration, head: Duration) -> Expiry {
        let shortest = idle.min(head);
        let sleep = tokio::time::sleep_until(self.inner.epoch + shortest);
        tokio::pin!(sleep);
        loop {
            sleep.as_mut().await;
            let now = Instant::now();
            let (timeout, why) = if head < idle && !self.inner.h2.load(Ordering::Relaxed) {
                (head, Expiry::Head)
            } else {
                (idle, Expiry::Idle)
            };
            // Busy: the earliest the connection can expire is a full
            // timeout after now (the request ends no sooner than now).
            let next = self.idle_deadline(timeout).unwrap_or(now + shortest);
            if next <= now {
                return why;
            }
            sleep.as_mut().reset(next);
        }
    }

    /// Raises `s` and wakes the connection's task.
    pub(super) fn signal(&self, s: Signal) {
        self.inner.signal.fetch_or(s as u8, Ordering::AcqRel);
        self.inner.waker.wake();
    }

    /// The strongest signal raised so far; the calling task is woken when
    /// another is raised (registered before reading, so none is missed).
    pub(super) fn poll_signal(&self, cx: &Context<'_>) -> Option<Signal> {
        self.inner.waker.register(cx.waker());
        let s = self.inner.signal.load(Ordering::Acquire);
        if s & Signal::CloseHead as u8 != 0 {
            Some(Signal::CloseHead)
        } else if s & Signal::Close as u8 != 0 {
            Some(Signal::Close)
        } else if s & Signal::Drain as u8 != 0 {
            Some(Signal::Drain)
        } else {
            None
        }
    }

    /// When the connection expires if no request comes; `None` while one
    /// is in progress.
    fn idle_deadline(&self, timeout: Duration) -> Option<Instant> {
        let i = &self.inner;
        // The end time is stored before the count drops (see the guard), so
        // a count of 0 read here comes with that request's end time.
        (i.in_flight.load(Ordering::Acquire) == 0).then(|| {
            i.epoch + Duration::from_millis(i.idle_since_ms.load(Ordering::Acquire)) + timeout
        })
    }
}

/// A request in progress on a tracked connection.
#[derive(Debug)]
pub struct ActivityGuard {
    tracker: IdleTracker,
}

impl Drop for ActivityGuard {
    fn drop(&mut self) {
        let i = &self.tracker.inner;
        // Rounded up, so the connection never closes before a full timeout.
        let since = i.epoch.elapsed();
        let ms = u64::try_from(since.as_millis()).unwrap_or(u64::MAX);
        let ms = ms.saturating_add(u64::from(since.subsec_nanos() % 1_000_000 != 0));
        i.idle_since_ms.fetch_max(ms, Ordering::AcqRel);
        i.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

pin_project_lite::pin_project! {
    /// A response body that keeps its request counted as activity until
    /// hyper drops it (after the last byte, or when the client goes away).
    /// Size and end-of-stream pass through, so `Content-Length` survives.
    pub struct Tracked<B> {
        #[pin]
        inner: B,
        guard: ActivityGuard,
    }
}

impl<B> Tracked<B> {
    pub fn new(inner: B, guard: ActivityGuard) -> Tracked<B> {
        Tracked { inner, guard }
    }
}

impl<B: http_body::Body> http_body::Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn expires_only_after_the_last_request_ends() {
        let t = IdleTracker::new();
        let timeout = Duration::from_millis(50);
        let guard = t.begin();
        // A request in progress for longer than the timeout keeps it open.
        let waited =
            tokio::time::timeout(Duration::from_millis(300), t.expired(timeout, timeout)).await;
        assert!(waited.is_err(), "expired while a request was in progress");
        let start = Instant::now();
        drop(guard);
        tokio::time::timeout(Duration::from_secs(10), t.expired(timeout, timeout))
            .await
            .expect("idle connection expires");
        assert!(
            start.elapsed() >= timeout,
            "counted from the end of the request"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn requests_closer_than_the_timeout_keep_it_open_and_the_last_one_counts() {
        let t = IdleTracker::new();
        let timeout = Duration::from_secs(60);
        let watchdog = t.clone();
        let expired = tokio::spawn(async move {
            watchdog.expired(timeout, timeout).await;
            Instant::now()
        });
        // A one-second request every 40 s for ten minutes: the watchdog's
        // one timer fires many times and must re-arm from the last request.
        for _ in 0..15 {
            tokio::time::sleep(Duration::from_secs(39)).await;
            let guard = t.begin();
            tokio::time::sleep(Duration::from_secs(1)).await;
            drop(guard);
        }
        let last_end = Instant::now();
        tokio::task::yield_now().await;
        assert!(!expired.is_finished(), "expired while requests kept coming");
        let at = expired.await.unwrap();
        assert!(
            at >= last_end + timeout,
            "closed before a full idle timeout"
        );
        assert!(
            at <= last_end + timeout + Duration::from_millis(5),
            "closed late: {:?} after the timeout",
            at - (last_end + timeout)
        );
    }

    #[tokio::test]
    async fn a_fresh_connection_expires_after_the_timeout() {
        let start = Instant::now();
        let t = IdleTracker::new();
        tokio::time::timeout(
            Duration::from_secs(10),
            t.expired(Duration::from_millis(30), Duration::from_secs(60)),
        )
        .await
        .expect("idle connection expires");
        assert!(start.elapsed() >= Duration::from_millis(30));
    }
}
