//! The outermost layer: gives the request its id (the client's sane
//! `X-Request-Id` or a fresh one) before anything can log, then, when the
//! response is ready, emits the access-log line and the request metrics as
//! one event, so the two can never disagree.

use std::borrow::Cow;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tokio::time::Instant;
use tower::{Layer, Service};

use super::context::{Outcome, RequestContext};
use super::headers::{self, X_REQUEST_ID};
use super::render::Rejection;
use crate::alerts::Alerts;
use crate::error::GatewayError;
use crate::metrics::Metrics;

#[derive(Clone)]
pub(crate) struct RequestLogLayer {
    metrics: Metrics,
    alerts: Option<Arc<Alerts>>,
}

impl RequestLogLayer {
    pub(crate) fn new(metrics: Metrics) -> Self {
        RequestLogLayer {
            metrics,
            alerts: None,
        }
    }

    /// Raises a `ledger_error` alert for each request refused because the
    /// ledger failed (the outage ops most need to hear about).
    pub(crate) fn with_alerts(mut self, alerts: Arc<Alerts>) -> Self {
        self.alerts = Some(alerts);
        self
    }
}

impl<S> Layer<S> for RequestLogLayer {
    type Service = RequestLog<S>;
    fn layer(&self, inner: S) -> RequestLog<S> {
        RequestLog {
            inner,
            metrics: self.metrics.clone(),
            alerts: self.alerts.clone(),
        }
    }
}

#[derive(Clone)]
pub(crate) struct RequestLog<S> {
    inner: S,
    metrics: Metrics,
    alerts: Option<Arc<Alerts>>,
}

/// The access log's event: one log line and the request metrics.
struct RequestEvent<'a> {
    ctx: &'a RequestContext,
    trace_id: Option<&'a str>,
    method: &'a http::Method,
    path: &'a str,
    /// `stack` or `lane` (`src/lane`): for whoever chases a difference.
    served_by: &'static str,
    status: u16,
    rejection: Option<&'a Rejection>,
    elapsed: std::time::Duration,
}

// === impl RequestLog ===

impl<S, ReqB, ResB> Service<Request<ReqB>> for RequestLog<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>, Error = Infallible>,
    S::Future: Send + 'static,
    ResB: 'static,
{
    type Response = Response<ResB>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResB>, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqB>) -> Self::Future {
        let start = Instant::now();
        let ctx = RequestContext::new(headers::request_id(req.headers()));
        req.extensions_mut().insert(ctx.clone());
        // W3C trace context: logged so a request can be followed across
        // services; the header itself travels on to HeyGen untouched.
        let trace_id = headers::trace_id(req.headers());
        let method = req.method().clone();
        // The URI shares the buffer hyper parsed it from: no copy.
        let uri = req.uri().clone();
        let fut = self.inner.call(req);
        let pending = Pending {
            ctx,
            trace_id,
            method,
            path: LoggedPath::Stack(uri),
            start,
            metrics: Cow::Owned(self.metrics.clone()),
            alerts: self.alerts.clone().map(Cow::Owned),
            answered: false,
        };
        Box::pin(async move {
            let Ok(mut resp) = fut.await;
            pending.answer(&mut resp);
            Ok(resp)
        })
    }
}

/// A request between its call and its answer. Dropped unanswered (hyper
/// drops the future when the client closes the connection), it still logs
/// and counts the request, as status 499 with outcome `abandoned`: support
/// must be able to find a billable request whose client timed out, since
/// its hold, and HeyGen's job, may carry on.
///
/// The fast lane (`src/lane`), which answers the plainest reads without
/// this stack, logs and counts through it too.
pub(crate) struct Pending<'a> {
    ctx: RequestContext,
    trace_id: Option<String>,
    method: http::Method,
    path: LoggedPath,
    start: Instant,
    // Borrowed by the lane, whose future borrows the gateway's state: a
    // clone would take and drop a reference count that every I/O thread
    // writes, twice a read. The stack's `'static` futures own theirs.
    metrics: Cow<'a, Metrics>,
    alerts: Option<Cow<'a, Arc<Alerts>>>,
    answered: bool,
}

/// The path the access log shows, and who served the request: the stack
/// (the request's URI, sharing the buffer it was parsed from), or the
/// fast lane (its copy).
pub(crate) enum LoggedPath {
    Stack(http::Uri),
    Lane(String),
}

/// nginx's status for a request whose client closed the connection first.
const CLIENT_CLOSED: u16 = 499;

impl<'a> Pending<'a> {
    /// A request the fast lane has taken, from `start`.
    #[allow(clippy::too_many_arguments)] // the access log's fields, each once
    pub(crate) fn new(
        ctx: RequestContext,
        trace_id: Option<String>,
        method: http::Method,
        path: String,
        start: Instant,
        metrics: &'a Metrics,
        alerts: Option<&'a Arc<Alerts>>,
    ) -> Pending<'a> {
        Pending {
            ctx,
            trace_id,
            method,
            path: LoggedPath::Lane(path),
            start,
            metrics: Cow::Borrowed(metrics),
            alerts: alerts.map(Cow::Borrowed),
            answered: false,
        }
    }

    /// The request's answer is ready: it gets the request id (and the id
    /// of a hold a refused answer leaves standing), and the access line and
    /// request metrics are emitted.
    pub(crate) fn answer<B>(mut self, resp: &mut Response<B>) {
        self.answered = true;
        resp.headers_mut()
            .insert(X_REQUEST_ID, self.ctx.request_id.clone());
        // A 502/504 after HeyGen may have acted keeps its hold: the
        // client is told which, not left to read "refused, no charge".
        if resp.extensions().get::<Rejection>().is_some() {
            let kept = self.ctx.kept_hold();
            if let Some(v) = kept.and_then(|id| http::HeaderValue::from_str(&id).ok()) {
                resp.headers_mut()
                    .insert(super::billable::HEADER_HOLD_ID, v);
            }
        }
        self.event(resp.status().as_u16(), resp.extensions().get::<Rejection>())
            .emit(&self.metrics, self.alerts());
    }

    fn alerts(&self) -> Option<&Alerts> {
        self.alerts.as_deref().map(|a| &**a)
    }

    fn event<'e>(&'e self, status: u16, rejection: Option<&'e Rejection>) -> RequestEvent<'e> {
        RequestEvent {
            ctx: &self.ctx,
            trace_id: self.trace_id.as_deref(),
            method: &self.method,
            path: match &self.path {
                LoggedPath::Stack(uri) => uri.path(),
                LoggedPath::Lane(path) => path,
            },
            served_by: match &self.path {
                LoggedPath::Stack(_) => "stack",
                LoggedPath::Lane(_) => "lane",
            },
            status,
            rejection,
            elapsed: self.start.elapsed(),
        }
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if !self.answered {
            self.ctx.tag(|t| t.outcome = Outcome::Abandoned);
            self.event(CLIENT_CLOSED, None)
                .emit(&self.metrics, self.alerts());
        }
    }
}

// === impl RequestEvent ===

impl RequestEvent<'_> {
    fn emit(self, metrics: &Metrics, alerts: Option<&Alerts>) {
        let mut tags = self.ctx.take_tags();
        if let Some(Rejection(err)) = self.rejection {
            tags.outcome = if err.status().is_server_error() {
                Outcome::Error
            } else {
                Outcome::Rejected
            };
            metrics.rejection(err.reason());
            if let Some((op, source)) = ledger_failure(err.as_ref()) {
                metrics.ledger_error(op);
                tracing::error!(request_id = self.ctx.id_str(), op, error = %source, "Ledger operation failed.");
                if let Some(alerts) = alerts {
                    alerts.ledger_error(op, &source.to_string());
                }
            }
        }
        let family = tags.family.unwrap_or("other");
        metrics.request(family, self.status, tags.outcome.as_str(), self.elapsed);
        let ms = |d: std::time::Duration| (d.as_secs_f64() * 1e6).round() / 1e3;
        tracing::info!(
            request_id = self.ctx.id_str(),
            trace_id = self.trace_id.unwrap_or("-"),
            tenant = tags.tenant.as_deref().unwrap_or("-"),
            family,
            method = %self.method,
            path = %self.path,
            served_by = self.served_by,
            status = self.status,
            outcome = tags.outcome.as_str(),
            reason = self.rejection.map_or("-", |r| r.0.reason()),
            credits_projected = %tags.credits.map_or_else(|| "-".into(), crate::money::format_credits),
            hold_id = tags.hold_id.as_deref().unwrap_or("-"),
            upstream_status = tags.upstream.map_or(0, |u| u.0),
            upstream_ms = tags.upstream.map_or(0.0, |u| ms(u.1)),
            elapsed_ms = ms(self.elapsed),
            "Request handled."
        );
    }
}

/// The ledger failure behind a refusal, if it is one to count and alert on
/// ([`crate::ledger::LedgerError::is_failure`]).
fn ledger_failure(err: &GatewayError) -> Option<(&'static str, &crate::ledger::LedgerError)> {
    match err {
        GatewayError::Ledger { op, source } if source.is_failure() => Some((op, source)),
        _ => None,
    }
}
