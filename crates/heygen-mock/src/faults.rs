//! Fault injection: latency, 5xx, 429, connection resets and hangs, set
//! globally or for a path prefix, changeable while the mock runs; and
//! answers lost or late after the request was acted on.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::{Either, Full};

use crate::state::Shared;

/// Faults of one scope (global or one path prefix).
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultSet {
    latency: Option<Duration>,
    fail_next: u32,
    fail_status: Option<StatusCode>,
    status_override: Option<StatusCode>,
    reset: bool,
    hang: bool,
    /// `Some(retry_after_seconds)` while rate limited.
    rate_limited: Option<u64>,
    /// Answer with exactly this status and body (garbage, a 200 naming no job).
    raw: Option<(StatusCode, Bytes)>,
    /// Act on the request, then cut the answer off after its head.
    cut_answer: bool,
    /// Act on the request, then wait this long before answering.
    answer_delay: Option<Duration>,
}

/// The global scope plus prefix scopes.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    global: FaultSet,
    by_prefix: Vec<(String, FaultSet)>,
}

/// What to do with one request instead of (or before) answering it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fault {
    None,
    Hang,
    Reset,
    Status(StatusCode),
    RateLimited(u64),
    Raw(StatusCode, Bytes),
}

impl Faults {
    fn scope_mut(&mut self, prefix: Option<&str>) -> &mut FaultSet {
        let Some(prefix) = prefix else {
            return &mut self.global;
        };
        let idx = match self.by_prefix.iter().position(|(p, _)| p == prefix) {
            Some(i) => i,
            None => {
                self.by_prefix
                    .push((prefix.to_string(), FaultSet::default()));
                self.by_prefix.len() - 1
            }
        };
        &mut self.by_prefix[idx].1
    }

    /// Whether a request to `path` should still hang.
    pub(crate) fn hangs(&self, path: &str) -> bool {
        self.global.hang
            || self
                .by_prefix
                .iter()
                .any(|(p, s)| s.hang && path.starts_with(p.as_str()))
    }

    /// Decides the fault for `path` (consuming one `fail_next` if used) and
    /// the latency to add. Prefix scopes win over the global one; the longest
    /// matching prefix wins among prefixes.
    pub(crate) fn decide(&mut self, path: &str) -> (Option<Duration>, Fault) {
        let mut scopes: Vec<&mut FaultSet> = Vec::new();
        let mut matching: Vec<&mut (String, FaultSet)> = self
            .by_prefix
            .iter_mut()
            .filter(|(p, _)| path.starts_with(p.as_str()))
            .collect();
        matching.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        scopes.extend(matching.into_iter().map(|(_, s)| s));
        scopes.push(&mut self.global);

        let latency = scopes.iter().filter_map(|s| s.latency).max();
        if scopes.iter().any(|s| s.hang) {
            return (latency, Fault::Hang);
        }
        if scopes.iter().any(|s| s.reset) {
            return (latency, Fault::Reset);
        }
        if let Some(secs) = scopes.iter().find_map(|s| s.rate_limited) {
            return (latency, Fault::RateLimited(secs));
        }
        if let Some(s) = scopes.iter_mut().find(|s| s.fail_next > 0) {
            s.fail_next -= 1;
            let status = s.fail_status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (latency, Fault::Status(status));
        }
        if let Some(status) = scopes.iter().find_map(|s| s.status_override) {
            return (latency, Fault::Status(status));
        }
        if let Some((status, body)) = scopes.iter().find_map(|s| s.raw.clone()) {
            return (latency, Fault::Raw(status, body));
        }
        (latency, Fault::None)
    }

    /// What happens to the answer of a request to `path` that was acted on:
    /// a delay before it is sent, and whether it is cut off after its head.
    pub(crate) fn after_route(&self, path: &str) -> (Option<Duration>, bool) {
        let scopes = || {
            self.by_prefix
                .iter()
                .filter(|(p, _)| path.starts_with(p.as_str()))
                .map(|(_, s)| s)
                .chain([&self.global])
        };
        let delay = scopes().filter_map(|s| s.answer_delay).max();
        (delay, scopes().any(|s| s.cut_answer))
    }
}

/// Fault controls for one scope: global (`MockControl::faults()`) or a path
/// prefix (`MockControl::on_path("/v2/")`).
#[derive(Clone)]
pub struct FaultControl {
    pub(crate) shared: Arc<Shared>,
    pub(crate) prefix: Option<String>,
}

impl FaultControl {
    fn with(&self, f: impl FnOnce(&mut FaultSet)) {
        {
            let mut inner = self.shared.lock();
            f(inner.faults.scope_mut(self.prefix.as_deref()));
        }
        // Hung requests re-check whether they are released.
        self.shared.faults_changed.notify_waiters();
    }

    /// Answers every request in scope with exactly `status` and `body`
    /// (`None` stops): garbage, or a 2xx that names no job.
    pub fn answer_raw(&self, answer: Option<(StatusCode, &'static [u8])>) {
        self.with(|s| s.raw = answer.map(|(st, b)| (st, Bytes::from_static(b))));
    }

    /// Acts on every request in scope (a create makes its job), then sends
    /// the answer's head and half its body and closes the connection: the
    /// caller cannot know what was created.
    pub fn cut_answers(&self, on: bool) {
        self.with(|s| s.cut_answer = on);
    }

    /// Acts on every request in scope at once, then waits `delay` before
    /// answering (zero removes it): the job exists while the caller waits,
    /// and a repeat of its `Idempotency-Key` meanwhile gets 409.
    pub fn delay_answers(&self, delay: Duration) {
        self.with(|s| s.answer_delay = (!delay.is_zero()).then_some(delay));
    }

    /// Delays every answer by `latency` (zero removes the delay).
    pub fn set_latency(&self, latency: Duration) {
        self.with(|s| s.latency = (!latency.is_zero()).then_some(latency));
    }

    /// The next `n` requests get `status` with an error envelope.
    pub fn fail_next(&self, n: u32, status: StatusCode) {
        self.with(|s| {
            s.fail_next = n;
            s.fail_status = Some(status);
        });
    }

    /// Every request gets `status` with an error envelope until set to `None`.
    pub fn set_status_override(&self, status: Option<StatusCode>) {
        self.with(|s| s.status_override = status);
    }

    /// Close the connection without answering.
    pub fn reset_connections(&self, on: bool) {
        self.with(|s| s.reset = on);
    }

    /// Never answer: requests wait until hanging is turned off (then they are
    /// answered normally) or the mock shuts down (then the connection closes).
    pub fn hang(&self, on: bool) {
        self.with(|s| s.hang = on);
    }

    /// Answer 429 `rate_limit_exceeded` with `Retry-After: secs`; `None` turns it off.
    pub fn set_rate_limited(&self, retry_after_secs: Option<u64>) {
        self.with(|s| s.rate_limited = retry_after_secs);
    }

    /// Removes every fault of this scope.
    pub fn clear(&self) {
        self.with(|s| *s = FaultSet::default());
    }
}

// === answers cut off mid-body (`FaultControl::cut_answers`) ===

/// The head as it was, declaring the whole body's length; [`apply`] sends
/// half the body and then aborts it ([`CutBody`]), so the caller reads the
/// status and then loses the rest.
pub(crate) fn cut_off(mut head: http::response::Parts, bytes: Bytes) -> Response<Full<Bytes>> {
    head.headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    head.extensions
        .insert(CutOff(bytes.slice(..bytes.len() / 2)));
    Response::from_parts(head, Full::new(Bytes::new()))
}

/// Marks a response whose body is to be cut off: the part sent before.
#[derive(Clone)]
struct CutOff(Bytes);

/// A body that sends its part and then fails, which makes hyper close the
/// connection mid-body. It waits a moment in between: failing at once, hyper
/// would drop the head it buffered and the caller would see no answer at all.
pub(crate) struct CutBody {
    part: Option<Bytes>,
    pause: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl CutBody {
    fn new(part: Bytes) -> Self {
        CutBody {
            part: Some(part),
            pause: Box::pin(tokio::time::sleep(Duration::from_millis(50))),
        }
    }
}

impl hyper::body::Body for CutBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        if let Some(part) = self.part.take() {
            return std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(part))));
        }
        std::task::ready!(self.pause.as_mut().poll(cx));
        let cut = std::io::Error::other("mock: answer cut off on purpose");
        std::task::Poll::Ready(Some(Err(cut)))
    }
}

/// What the mock answers with: whole, or cut off after a part.
pub(crate) type MockBody = Either<Full<Bytes>, CutBody>;

/// Whether `resp` is marked to be cut off (its body is not the answer's).
pub(crate) fn is_cut(resp: &Response<Full<Bytes>>) -> bool {
    resp.extensions().get::<CutOff>().is_some()
}

/// The response as served: a marked one's body is cut off after its part.
pub(crate) fn apply(mut resp: Response<Full<Bytes>>) -> Response<MockBody> {
    match resp.extensions_mut().remove::<CutOff>() {
        Some(CutOff(part)) => resp.map(|_| Either::Right(CutBody::new(part))),
        None => resp.map(Either::Left),
    }
}
