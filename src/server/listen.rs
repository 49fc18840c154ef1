//! One listener's accept loop: connection caps and shedding, hyper's
//! HTTP/1.1 + h2c settings against hostile clients, idle and body timeouts,
//! graceful drain. The same loop runs on the shared runtime or on each I/O
//! thread (`workers`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::FutureExt;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::conn::{
    AcceptBackoff, ConnConfig, ConnLimiter, ConnMetrics, IdleTracker, ReqBody, TimedBody, Tracked,
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

/// hyper settings against hostile clients: head size (431 past it), head
/// timeout, HTTP/2 stream and reset limits (CVE-2023-44487 "rapid reset",
/// CVE-2024-27316-style header floods).
fn builder(cfg: &ConnConfig) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(cfg.header_read_timeout)
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
        .max_local_error_reset_streams(256);
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
    let graceful = GracefulShutdown::new();
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
                let conn = graceful.watch(conn);
                let (metrics, idle) = (policy.metrics.clone(), policy.cfg.idle_timeout);
                metrics.opened(name);
                tokio::spawn(async move {
                    tokio::select! {
                        r = conn => if let Err(e) = r {
                            tracing::debug!(error = %e, "Connection ended with an error.");
                        },
                        // Dropping the connection closes the socket; no
                        // request is in progress on it by construction.
                        _ = tracker.expired(idle) => metrics.closed_idle(name),
                    }
                    metrics.closed(name);
                    drop(permit);
                });
            }
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
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
fn per_connection<S>(
    service: S,
    remote: SocketAddr,
    tracker: IdleTracker,
    cfg: &ConnConfig,
) -> TowerToHyperService<
    impl tower::Service<
            Request<Incoming>,
            Response = TrackedResponse,
            Error = Infallible,
            Future = impl std::future::Future<Output = Result<TrackedResponse, Infallible>> + Send,
        > + Clone,
>
where
    S: tower::Service<Request<ReqBody>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let (stall, min_rate) = (cfg.body_read_timeout, cfg.body_min_rate);
    let svc = tower::service_fn(move |req: Request<Incoming>| {
        let activity = tracker.begin();
        let mut req = req.map(|b| TimedBody::new(b, stall, min_rate));
        req.extensions_mut().insert(ClientAddr(remote));
        let fut = tower::ServiceExt::oneshot(service.clone(), req);
        // The guard rides in the body: hyper drops it once the last byte is
        // written (or the client goes away).
        // (Not boxed again: hyper takes the wrapper as it is.)
        fut.map(move |r| r.map(|resp| resp.map(|b| Tracked::new(b, activity))))
    });
    TowerToHyperService::new(svc)
}
