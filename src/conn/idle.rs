//! Idle detection per connection. hyper's HTTP/1 header timeout only starts
//! with the first byte, and the auto (h1/h2) builder does not time out while
//! sniffing the protocol, so a client that connects and sends nothing would
//! hold its descriptor forever. A connection is idle while no request is in
//! progress on it; idle for `idle_timeout` means it is closed.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

#[derive(Debug)]
struct State {
    in_flight: usize,
    idle_since: Instant,
}

#[derive(Debug)]
struct Inner {
    state: Mutex<State>,
    changed: Notify,
}

/// Shared between a connection's requests and its watchdog.
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
                state: Mutex::new(State {
                    in_flight: 0,
                    idle_since: Instant::now(),
                }),
                changed: Notify::new(),
            }),
        }
    }

    /// Marks a request in progress until the guard drops (hold it until the
    /// response body is finished, so a long download is not "idle").
    pub fn begin(&self) -> ActivityGuard {
        self.lock().in_flight += 1;
        self.inner.changed.notify_one();
        ActivityGuard {
            tracker: self.clone(),
        }
    }

    /// Resolves once no request has been in progress for `timeout`.
    pub async fn expired(&self, timeout: Duration) {
        loop {
            let deadline = {
                let s = self.lock();
                (s.in_flight == 0).then(|| s.idle_since + timeout)
            };
            match deadline {
                Some(d) if Instant::now() >= d => return,
                Some(d) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(d) => {}
                        _ = self.inner.changed.notified() => {}
                    }
                }
                None => self.inner.changed.notified().await,
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Plain counters: usable even if a holder panicked.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// A request in progress on a tracked connection.
#[derive(Debug)]
pub struct ActivityGuard {
    tracker: IdleTracker,
}

impl Drop for ActivityGuard {
    fn drop(&mut self) {
        {
            let mut s = self.tracker.lock();
            s.in_flight = s.in_flight.saturating_sub(1);
            if s.in_flight == 0 {
                s.idle_since = Instant::now();
            }
        }
        self.tracker.inner.changed.notify_one();
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
        let waited = tokio::time::timeout(Duration::from_millis(300), t.expired(timeout)).await;
        assert!(waited.is_err(), "expired while a request was in progress");
        let start = Instant::now();
        drop(guard);
        tokio::time::timeout(Duration::from_secs(10), t.expired(timeout))
            .await
            .expect("idle connection expires");
        assert!(
            start.elapsed() >= timeout,
            "counted from the end of the request"
        );
    }

    #[tokio::test]
    async fn a_fresh_connection_expires_after_the_timeout() {
        let start = Instant::now();
        let t = IdleTracker::new();
        tokio::time::timeout(
            Duration::from_secs(10),
            t.expired(Duration::from_millis(30)),
        )
        .await
        .expect("idle connection expires");
        assert!(start.elapsed() >= Duration::from_millis(30));
    }
}
