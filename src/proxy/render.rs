//! Error rendering: below this layer a refusal is an `Err(GatewayError)`;
//! above it everything is a response in the envelope of the path's API
//! generation. The layer only converts: it marks the response with a
//! [`Rejection`] and the access log above counts and logs it (converting
//! and logging are separate jobs).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower::{Layer, Service};

use crate::clock::Clock;
use crate::error::{GatewayError, Generation};
use crate::http::{full, Body};

/// Marks a response the gateway refused or failed itself, carrying the
/// error for the access log.
#[derive(Debug, Clone)]
pub(crate) struct Rejection(pub Arc<GatewayError>);

#[derive(Clone)]
pub(crate) struct RenderErrorLayer {
    clock: Arc<dyn Clock>,
}

impl RenderErrorLayer {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        RenderErrorLayer { clock }
    }
}

impl<S> Layer<S> for RenderErrorLayer {
    type Service = RenderError<S>;
    fn layer(&self, inner: S) -> RenderError<S> {
        RenderError {
            inner,
            clock: self.clock.clone(),
        }
    }
}

#[derive(Clone)]
pub(crate) struct RenderError<S> {
    inner: S,
    clock: Arc<dyn Clock>,
}

/// Builds the response for a gateway error in the given generation's envelope.
pub(crate) fn render(
    err: GatewayError,
    generation: Generation,
    clock: &dyn Clock,
) -> Response<Body> {
    let mut resp = err.to_response(generation, clock.now()).map(full);
    resp.extensions_mut().insert(Rejection(Arc::new(err)));
    resp
}

// === impl RenderError ===

impl<S, ReqB> Service<Request<ReqB>> for RenderError<S>
where
    S: Service<Request<ReqB>, Response = Response<Body>, Error = GatewayError>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The inner stages are always ready (they hold no capacity of their
        // own); an error here would be a bug, rendered like any other.
        match self.inner.poll_ready(cx) {
            Poll::Ready(_) => Poll::Ready(Ok(())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        let generation = super::path::generation(req.uri().path());
        let clock = self.clock.clone();
        let fut = self.inner.call(req);
        Box::pin(async move {
            Ok(match fut.await {
                Ok(resp) => resp,
                Err(err) => render(err, generation, clock.as_ref()),
            })
        })
    }
}
