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
//!
//! And the write timeout: a request is in progress until hyper drops its
//! response body, so a client that stops reading its answer would keep the
//! connection (and the answer, and its upstream connection) forever, with
//! neither timeout above running. The response body (`Tracked`) counts
//! when it has handed hyper something and hyper has not come back for
//! more ("blocked"), and how often hyper came back ("progress"); a
//! connection blocked with no progress for `write` is closed. HTTP/2
//! streams share the count, so a stream the client reads keeps a stalled
//! one's connection: flow control bounds what the stalled one holds, and
//! HTTP/2 pings (see `server::listen`) close a peer that stopped reading
//! altogether.

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
    /// Response write progress in one word, so each step is one atomic
    /// add: the low half counts responses blocked on the client reading,
    /// the high half (wrapping) counts returns of hyper for more.
    writes: AtomicU64,
}

/// `Inner::writes`' high half: one step of progress.
const PROGRESS: u64 = 1 << 32;

/// A connection's timeouts (see `IdleTracker::expired`).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub idle: Duration,
    pub head: Duration,
    pub write: Duration,
}

/// Which timeout closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Idle,
    /// An HTTP/1 request head did not arrive whole in time.
    Head,
    /// A response the client did not read on for the write timeout.
    Write,
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
    /// Close now (a response not read on within the write timeout).
    CloseWrite = 8,
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
                writes: AtomicU64::new(0),
            }),
        }
    }

    /// Marks a request in progress until the guard drops (hold it until the
    /// response body is finished, so a long download is not "idle").
    pub fn begin(&self) -> ActivityGuard {
        self.inner.in_flight.fetch_add(1, Ordering::AcqRel);
        ActivityGuard {
            tracker: self.clone(),
            waiting: false,
        }
    }

    /// Notes that the connection speaks HTTP/2 (hyper has no head timeout
    /// there).
    pub fn saw_http2(&self) {
        self.inner.h2.store(true, Ordering::Relaxed);
    }

    /// Resolves once no request has been in progress for `idle`, or, on a
    /// connection not known to speak HTTP/2, for `head` if that is shorter;
    /// or once a response has waited on the client with no progress for
    /// `write`. It looks when the connection could first expire, and every
    /// shortest timeout while a request is in progress: a stalled write is
    /// closed no sooner than `write` after its last progress, and at most
    /// about an idle (or head) timeout later.
    pub async fn expired(&self, t: Timeouts) -> Expiry {
        let Timeouts { idle, head, write } = t;
        let shortest = idle.min(head).min(write);
        let sleep = tokio::time::sleep_until(self.inner.epoch + shortest);
        tokio::pin!(sleep);
        // The progress count seen while blocked, and since when.
        let mut stalled: Option<(u64, Instant)> = None;
        loop {
            sleep.as_mut().await;
            let now = Instant::now();
            let (timeout, why) = if head < idle && !self.inner.h2.load(Ordering::Relaxed) {
                (head, Expiry::Head)
            } else {
                (idle, Expiry::Idle)
            };
            let mut next = match self.idle_deadline(timeout) {
                Some(at) if at <= now => return why,
                Some(at) => at,
                // Busy: the earliest the connection can expire is a full
                // timeout after now (the request ends no sooner than now).
                None => now + shortest,
            };
            let w = self.inner.writes.load(Ordering::Acquire);
            stalled = match stalled {
                _ if w.is_multiple_of(PROGRESS) => None,
                Some((seen, since)) if seen == w / PROGRESS => {
                    if now >= since + write {
                        return Expiry::Write;
                    }
                    Some((seen, since))
                }
                _ => Some((w / PROGRESS, now)),
            };
            if let Some((_, since)) = stalled {
                next = next.min(since + write);
            }
            sleep.as_mut().reset(next);
        }
    }

    /// A response handed something to hyper: it now waits on the client.
    pub(super) fn blocked(&self) {
        self.inner.writes.fetch_add(1, Ordering::AcqRel);
    }

    /// A blocked response is blocked no more: hyper came back for more
    /// (`progress`), or dropped it.
    pub(super) fn unblocked(&self, progress: bool) {
        let step = if progress { PROGRESS - 1 } else { u64::MAX };
        // Wrapping: `u64::MAX` takes one off the low half; the high half
        // may wrap, and only equality is asked of it.
        self.inner.writes.fetch_add(step, Ordering::AcqRel);
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
        if s & Signal::CloseWrite as u8 != 0 {
            Some(Signal::CloseWrite)
        } else if s & Signal::CloseHead as u8 != 0 {
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
    pub(super) tracker: IdleTracker,
    /// Its response is blocked on the client (see `Tracked`).
    pub(super) waiting: bool,
}

impl Drop for ActivityGuard {
    fn drop(&mut self) {
        if self.waiting {
            self.tracker.unblocked(false);
        }
        let i = &self.tracker.inner;
        // Rounded up, so the connection never closes before a full timeout.
        let since = i.epoch.elapsed();
        let ms = u64::try_from(since.as_millis()).unwrap_or(u64::MAX);
        let ms = ms.saturating_add(u64::from(!since.subsec_nanos().is_multiple_of(1_000_000)));
        i.idle_since_ms.fetch_max(ms, Ordering::AcqRel);
        i.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
#[path = "idle_tests.rs"]
mod tests;
