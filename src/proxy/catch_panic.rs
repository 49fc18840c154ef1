//! Turns a panic below it into `Err(GatewayError::Internal)`, so the error
//! renderer above answers a clean 500 in the path's envelope and the
//! connection survives. A panic is a bug: it is logged once, here.
//! (tower-http's `CatchPanic` would re-box every response body into its own
//! body type and cannot hand the error to our renderer; this is the same
//! idea in the gateway's own error type.)

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::FutureExt;
use http::Request;
use tower::{Layer, Service};

use crate::error::GatewayError;

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CatchPanicLayer;

impl<S> Layer<S> for CatchPanicLayer {
    type Service = CatchPanic<S>;
    fn layer(&self, inner: S) -> CatchPanic<S> {
        CatchPanic { inner }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CatchPanic<S> {
    inner: S,
}

type PanicFuture<R> = Pin<Box<dyn Future<Output = Result<R, GatewayError>> + Send>>;

// === impl CatchPanic ===

impl<S, B> Service<Request<B>> for CatchPanic<S>
where
    S: Service<Request<B>, Error = GatewayError>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
{
    type Response = S::Response;
    type Error = GatewayError;
    type Future = PanicFuture<S::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), GatewayError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        // Both the synchronous part of `call` and the future may panic.
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(req))) {
            Ok(fut) => Box::pin(AssertUnwindSafe(fut).catch_unwind().map(|r| {
                r.unwrap_or_else(|_| {
                    tracing::error!("Request handler panicked.");
                    Err(GatewayError::Internal)
                })
            })),
            Err(_) => {
                tracing::error!("Request handler panicked.");
                Box::pin(std::future::ready(Err(GatewayError::Internal)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panic_becomes_an_internal_error() {
        let svc = CatchPanicLayer.layer(tower::service_fn(|_req: Request<()>| async {
            if true {
                panic!("boom");
            }
            Ok::<(), GatewayError>(())
        }));
        let got = svc.oneshot(Request::new(())).await;
        assert!(matches!(got, Err(GatewayError::Internal)));
    }
}
