//! One listener's accept loop: connection caps and shedding, hyper's
//! HTTP/1.1 + h2c settings against hostile clients, idle and body timeouts,
//! graceful drain. The same loop runs on the shared runtime or on each I/O
//! thread (`workers`).

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_util::future::Either;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::util::Oneshot;

use crate::conn::{
    AcceptBackoff, ActivityGuard, ConnConfig, ConnLimiter, ConnMetrics, Ended, IdleTracker,
    ReqBody, TimedBody, Timeouts, Tracked,
};
use crate::http::Body;
use crate::proxy::context::ClientAddr;

/// Connection policy of one listener: caps, timeouts, metrics.
#[derive(Clone)]
pub(super) struct ConnPolicy {
    name: &'static str,
    cfg: ConnConfig,
    limiter: ConnLimiter,
    metrics: ConnMetrics,
}

impl ConnPolicy {
    pub(super) fn new(name: &'static str, cfg: &ConnConfig, metrics: &ConnMetrics) -> ConnPolicy {
        ConnPolicy {
            name,
            cfg: cfg.clone(),
            limiter: ConnLimiter::new(cfg.max_connections, cfg.max_connections_per_ip),
            metrics: metrics.clone(),
        }
    }
}

/// hyper settings against hostile clients: head size (431 past it),
/// HTTP/2 stream and reset limits (CVE-2023-44487 "rapid reset",
/// CVE-2024-27316-style header floods), HTTP/2 pings that close a
/// connection whose peer stopped answering. The head and write timeouts
/// are the connection watchdog's (see `serve`).
fn builder(cfg: &ConnConfig) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // The head timeout is the connection's watchdog's (`conn::guard`):
        // hyper's allocated and registered a timer for every request.
        .header_read_timeout(None)
        // One flat write buffer, not a queue of head and body buffers for
        // `writev`: answers are small JSON, so copying the body is cheaper
        // than the queue's bookkeeping (~450 instructions a read, measured
        // with bench/instructions.sh). hyper polls the next chunk only once
        // the buffer is below `max_buf_size`, so memory stays bounded.
        .writev(false)
        // hyper answers 431 when a head does not fit the read buffer (the
        // auto builder has no separate head limit); bodies stream through
        // the same buffer in pieces of at most this size.
        .max_buf_size(cfg.max_header_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(cfg.h2_max_concurrent_streams)
        .max_header_list_size(u32::try_from(cfg.max_header_bytes).unwrap_or(u32::MAX))
        .max_pending_accept_reset_streams(20)
        .max_local_error_reset_streams(256)
        // One ping per write timeout on a quiet connection, one per
        // connection: a peer gone silent (that no longer reads even
        // control frames) is closed within two write timeouts.
        .keep_alive_interval(Some(cfg.write_timeout))
        .keep_alive_timeout(cfg.write_timeout);
    builder
}

/// Accepts connections until `stop` flips, then drains them. Each
/// connection serves a clone of `service`.
pub(super) async fn serve<S>(
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
    policy: ConnPolicy,
    service: S,
) where
    S: tower::Service<Request<ReqBody>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let builder = builder(&policy.cfg);
    // Each connection's watchdog holds a receiver until its connection
    // ends: the drain below waits for them all.
    let (drain, _) = watch::channel(());
    let mut backoff = AcceptBackoff::default();
    let name = policy.name;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(c) => c,
                    Err(e) => {
                        policy.metrics.accept_error(name);
                        tokio::time::sleep(backoff.failed(name, &e)).await;
                        continue;
                    }
                };
                backoff.succeeded(name);
                let permit = match policy.limiter.try_acquire(remote.ip()) {
                    Ok(p) => p,
                    Err(why) => {
                        policy.metrics.shed(name, why);
                        crate::conn::shed(stream);
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let tracker = IdleTracker::new();
                let svc = per_connection(service.clone(), remote, tracker.clone(), &policy.cfg);
                let conn = builder.serve_connection(TokioIo::new(stream), svc).into_owned();
                let (conn, watchdog) = crate::conn::guard(
                    conn,
                    |c| c.graceful_shutdown(),
                    tracker,
                    Timeouts {
                        idle: policy.cfg.idle_timeout,
                        head: policy.cfg.header_read_timeout,
                        write: policy.cfg.write_timeout,
                    },
                    drain.subscribe(),
                );
                tokio::spawn(watchdog);
                let metrics = policy.metrics.clone();
                metrics.opened(name);
                tokio::spawn(async move {
                    match conn.await {
                        Ended::Done(Ok(())) => {}
                        Ended::Done(Err(e)) => {
                            tracing::debug!(error = %e, "Connection ended with an error.");
                        }
                        // Dropping the connection closes the socket; no
                        // request is in progress on it by construction.
                        Ended::Idle => metrics.closed_idle(name),
                        Ended::HeadTimeout => tracing::debug!(
                            "Connection closed: no request head within the head timeout."
                        ),
                        Ended::WriteTimeout => tracing::debug!(
                            "Connection closed: the client stopped reading its response."
                        ),
                    }
                    metrics.closed(name);
                    drop(permit);
                });
            }
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    // No receiver (no connection open) is no error: nothing to wait for.
    let _ = drain.send(());
    if tokio::time::timeout(grace, drain.closed()).await.is_err() {
        tracing::warn!(
            grace_seconds = grace.as_secs(),
            "Shutdown grace expired with requests still in flight."
        );
    }
}

/// A response whose body ends the connection's activity when it is done.
type TrackedResponse = Response<Tracked<Body>>;

/// One connection's view of the listener's service: bodies get read
/// deadlines, requests carry the peer address, and each request counts as
/// activity until its response body is done.
///
/// hyper's `Service` takes `&self`, and the tower adapter
/// (`TowerToHyperService`) clones the whole stack for every request: a
/// reference count on each layer's shared state, taken and dropped again,
/// on cache lines every I/O thread writes. Here the connection's own copy
/// of the stack is called in place (its layers are always ready).
pub struct PerConnection<S> {
    service: RefCell<S>,
    /// Copied for a request that cannot use `service` in place.
    spare: S,
    client: ClientAddr,
    tracker: IdleTracker,
    stall: Duration,
    min_rate: u64,
}

/// The service one tenant connection serves: `service` behind the peer's
/// address, body deadlines from `cfg` and `tracker`'s activity count. The
/// listener uses it for every connection; the fuzz harness drives one
/// connection with it, so what is fuzzed is what is served.
pub fn per_connection<S: Clone>(
    service: S,
    remote: SocketAddr,
    tracker: IdleTracker,
    cfg: &ConnConfig,
) -> PerConnection<S> {
    PerConnection {
        spare: service.clone(),
        service: RefCell::new(service),
        client: ClientAddr::new(remote),
        tracker,
        stall: cfg.body_read_timeout,
        min_rate: cfg.body_min_rate,
    }
}

impl<S> hyper::service::Service<Request<Incoming>> for PerConnection<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = TrackedResponse;
    type Error = Infallible;
    type Future = TrackedFuture<Either<S::Future, Oneshot<S, Request<ReqBody>>>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let activity = self.tracker.begin();
        if req.version() == http::Version::HTTP_2 {
            self.tracker.saw_http2();
        }
        let mut req = req.map(|b| TimedBody::new(b, self.stall, self.min_rate));
        req.extensions_mut().insert(self.client.clone());
        // hyper makes one call at a time per connection (HTTP/2 streams'
        // futures run apart, their calls do not), so the borrow is free.
        let inner = match self.service.try_borrow_mut() {
            Ok(mut svc) => {
                let mut cx = Context::from_waker(Waker::noop());
                match svc.poll_ready(&mut cx) {
                    Poll::Ready(Ok(())) => Either::Left(svc.call(req)),
                    _ => Either::Right(Oneshot::new(self.spare.clone(), req)),
                }
            }
            Err(_) => Either::Right(Oneshot::new(self.spare.clone(), req)),
        };
        TrackedFuture {
            inner,
            activity: Some(activity),
        }
    }
}

pin_project_lite::pin_project! {
    /// A request's response future; its response body carries the
    /// connection's activity guard, which hyper drops once the last byte
    /// is written (or the client goes away).
    pub struct TrackedFuture<F> {
        #[pin]
        inner: F,
        activity: Option<ActivityGuard>,
    }
}

impl<F> Future for TrackedFuture<F>
where
    F: Future<Output = Result<Response<Body>, Infallible>>,
{
    type Output = Result<TrackedResponse, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Poll::Ready(Ok(resp)) = this.inner.poll(cx) else {
            return Poll::Pending;
        };
        match this.activity.take() {
            Some(activity) => Poll::Ready(Ok(resp.map(|b| Tracked::new(b, activity)))),
            // Not reached: `inner` is polled first, and a completed future
            // polled again panics there (hyper never does it).
            None => Poll::Pending,
        }
    }
}
