//! Each connection's view of the listener's service (`PerConnection`):
//! bodies get read deadlines, requests carry the peer address, and each
//! request counts as activity until its response body is done.

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
use tower::util::Oneshot;

use crate::conn::{ActivityGuard, ConnConfig, IdleTracker, ReqBody, Source, TimedBody, Tracked};
use crate::http::Body;
use crate::proxy::context::ClientAddr;

/// The listener's service as each connection calls it: the bounds the
/// accept loop, the own HTTP/1 loop and `PerConnection` all need.
pub trait Stack:
    tower::Service<
        Request<ReqBody>,
        Response = Response<Body>,
        Error = Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + 'static
{
}

impl<S> Stack for S where
    S: tower::Service<
            Request<ReqBody>,
            Response = Response<Body>,
            Error = Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + 'static
{
}

/// What `PerConnection` returns for a request.
// The rare `Oneshot` (a stack not ready in place) is boxed so that it
// does not size every request's future: the own HTTP/1 loop moves that
// future several times before polling it.
pub(crate) type TrackedResponseFuture<S> = TrackedFuture<
    Either<<S as tower::Service<Request<ReqBody>>>::Future, Pin<Box<Oneshot<S, Request<ReqBody>>>>>,
>;

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
    S: Stack,
{
    type Response = TrackedResponse;
    type Error = Infallible;
    type Future = TrackedResponseFuture<S>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        if req.version() == http::Version::HTTP_2 {
            self.tracker.saw_http2();
        }
        self.dispatch(req.map(Source::Hyper))
    }
}

impl<S> PerConnection<S>
where
    S: Stack,
{
    /// The peer's address as `X-Forwarded-For` text.
    pub(super) fn client_ip(&self) -> &http::HeaderValue {
        &self.client.ip
    }

    /// A request served outside the stack (the fast lane): it counts as
    /// activity until its response body is done, as the stack's do.
    pub(super) fn track<F>(&self, inner: F) -> TrackedFuture<F> {
        TrackedFuture {
            inner,
            activity: Some(self.tracker.begin()),
        }
    }

    /// Calls the stack for one request, from hyper or from `h1`'s own loop.
    pub(super) fn dispatch(&self, req: Request<Source>) -> TrackedResponseFuture<S> {
        let activity = self.tracker.begin();
        let mut req = req.map(|b| TimedBody::new(b, self.stall, self.min_rate));
        req.extensions_mut().insert(self.client.clone());
        // hyper makes one call at a time per connection (HTTP/2 streams'
        // futures run apart, their calls do not), so the borrow is free.
        let inner = match self.service.try_borrow_mut() {
            Ok(mut svc) => {
                let mut cx = Context::from_waker(Waker::noop());
                match svc.poll_ready(&mut cx) {
                    Poll::Ready(Ok(())) => Either::Left(svc.call(req)),
                    _ => Either::Right(Box::pin(Oneshot::new(self.spare.clone(), req))),
                }
            }
            Err(_) => Either::Right(Box::pin(Oneshot::new(self.spare.clone(), req))),
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
