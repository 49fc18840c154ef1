//! Admission: everything decided from the request head alone, before any
//! body is read or anything is sent — target checks, path normalisation,
//! classification, authentication and the request-rate limit. An admitted
//! request carries an [`Admitted`] in its extensions; a refused one gets a
//! ready error future and never reaches the branches (a rate-limit decision
//! pending on Redis is the one refusal that may come later).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Method, Request, Version};
use tower::{Layer, Service};

use super::context::{Admitted, RequestContext, Target};
use super::{headers, path};
use crate::auth::AuthOutcome;
use crate::error::GatewayError;
use crate::limits::{Check, CheckFuture};
use crate::state::{AppState, Runtime};

#[derive(Clone)]
pub(crate) struct AdmitLayer {
    state: Arc<AppState>,
}

impl AdmitLayer {
    pub(crate) fn new(state: Arc<AppState>) -> Self {
        AdmitLayer { state }
    }
}

impl<S> Layer<S> for AdmitLayer {
    type Service = Admit<S>;
    fn layer(&self, inner: S) -> Admit<S> {
        Admit {
            inner,
            state: self.state.clone(),
        }
    }
}

#[derive(Clone)]
pub(crate) struct Admit<S> {
    inner: S,
    state: Arc<AppState>,
}

pin_project_lite::pin_project! {
    /// The inner service's future, a refusal decided from the head alone
    /// (ready), or a rate-limit decision still waiting for Redis (then the
    /// request and a ready clone of the service wait with it).
    #[project = AdmitFutureProj]
    pub enum AdmitFuture<S, B>
    where
        S: Service<Request<B>>,
    {
        Inner { #[pin] fut: S::Future },
        Limiting { check: CheckFuture, svc: Option<S>, req: Option<Request<B>> },
        Refused { err: Option<GatewayError> },
    }
}

impl<S, B> Future for AdmitFuture<S, B>
where
    S: Service<Request<B>, Error = GatewayError>,
{
    type Output = Result<S::Response, GatewayError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            let fut = match self.as_mut().project() {
                AdmitFutureProj::Inner { fut } => return fut.poll(cx),
                AdmitFutureProj::Refused { err } => {
                    return Poll::Ready(Err(err.take().unwrap_or(GatewayError::Internal)))
                }
                AdmitFutureProj::Limiting { check, svc, req } => {
                    match std::task::ready!(check.as_mut().poll(cx)) {
                        Err(wait) => {
                            return Poll::Ready(Err(GatewayError::RateLimited {
                                retry_after: wait,
                            }))
                        }
                        Ok(()) => match (svc.take(), req.take()) {
                            (Some(mut svc), Some(req)) => svc.call(req),
                            _ => return Poll::Ready(Err(GatewayError::Internal)),
                        },
                    }
                }
            };
            self.set(AdmitFuture::Inner { fut });
        }
    }
}

// === impl Admit ===

impl<S, B> Service<Request<B>> for Admit<S>
where
    S: Service<Request<B>, Error = GatewayError> + Clone,
    B: http_body::Body,
{
    type Response = S::Response;
    type Error = GatewayError;
    type Future = AdmitFuture<S, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), GatewayError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let admitted = match admit(&self.state, &req) {
            Ok(admitted) => admitted,
            Err(err) => return AdmitFuture::Refused { err: Some(err) },
        };
        // The request rate, last: only authenticated tenant requests count.
        let tenant = admitted
            .principal
            .and_then(|i| admitted.runtime.config.tenants.get(i));
        let check = match tenant {
            Some(t) => self.state.limiter.check(&t.id),
            None => Check::Ready(Ok(())),
        };
        req.extensions_mut().insert(admitted);
        match check {
            Check::Ready(Ok(())) => AdmitFuture::Inner {
                fut: self.inner.call(req),
            },
            Check::Ready(Err(wait)) => AdmitFuture::Refused {
                err: Some(GatewayError::RateLimited { retry_after: wait }),
            },
            Check::Pending(check) => {
                // The service made ready by `poll_ready` goes with the
                // request; a fresh clone stays for the next `poll_ready`.
                let ready = self.inner.clone();
                let svc = std::mem::replace(&mut self.inner, ready);
                AdmitFuture::Limiting {
                    check,
                    svc: Some(svc),
                    req: Some(req),
                }
            }
        }
    }
}

/// The head-only checks, in order. The config snapshot is loaded here once
/// and travels with the request, so every later stage sees the same config
/// even if a reload lands mid-request.
fn admit<B: http_body::Body>(state: &AppState, req: &Request<B>) -> Result<Admitted, GatewayError> {
    let ctx = req.extensions().get::<RequestContext>();
    let tag = |f: &dyn Fn(&mut super::context::Tags)| {
        if let Some(ctx) = ctx {
            ctx.tag(f);
        }
    };
    // Absolute-form targets and CONNECT are how proxies are abused to reach
    // other hosts; this gateway only ever talks to HeyGen. HTTP/2 always
    // carries an authority, so only HTTP/1 absolute-form is refused.
    if req.method() == Method::CONNECT {
        return Err(GatewayError::bad_request("CONNECT is not supported"));
    }
    if req.version() < Version::HTTP_2 && req.uri().authority().is_some() {
        return Err(GatewayError::bad_request(
            "absolute-form request targets are not supported; send the path only",
        ));
    }
    super::hygiene::check_request(req.method(), req.headers(), req.body().is_end_stream())?;
    let path =
        path::normalize(req.uri().path()).map_err(|e| GatewayError::bad_request(e.to_string()))?;
    let runtime = state.snapshot();
    if let Some(rest) = path.strip_prefix("/gateway/v1/") {
        tag(&|t| t.family = Some(crate::catalog::GATEWAY_FAMILY));
        // The endpoint decides whether it needs a tenant (HeyGen's callbacks
        // carry a signature instead), after its own 404/405 checks.
        return Ok(Admitted {
            runtime,
            principal: None,
            target: Target::SelfService {
                rest: rest.to_string(),
            },
        });
    }
    if let Some(rest) = path.strip_prefix(super::liveavatar::PREFIX) {
        if rest.starts_with("/v1/") {
            tag(&|t| t.family = Some(crate::catalog::Family::Streaming.as_str()));
            let principal = super::liveavatar::authenticate(&runtime, req.headers())?;
            if let Some(t) = principal.and_then(|i| runtime.config.tenants.get(i)) {
                tag(&|tags| tags.tenant = Some(t.id.clone()));
            }
            return Ok(Admitted {
                runtime,
                principal,
                target: Target::LiveAvatar {
                    path: rest.to_string(),
                },
            });
        }
    }
    if !(path.starts_with("/v1/") || path.starts_with("/v2/") || path.starts_with("/v3/")) {
        return Err(GatewayError::NotFound);
    }
    // Classified before anything can refuse, so every outcome (401, 429, …)
    // is counted under the route's family.
    let route = crate::catalog::classify(req.method(), &path);
    tag(&|t| t.family = Some(route.family.as_str()));
    let index = authenticate(&runtime, req.headers())?;
    let tenant = &runtime.config.tenants[index];
    tag(&|t| t.tenant = Some(tenant.id.clone()));
    // The request-rate limit is checked by the caller (it may wait on
    // Redis); everything here is decided from the head alone.
    // The query goes upstream byte for byte; only the path was normalised.
    let path_and_query = match req.uri().query() {
        Some(q) => format!("{path}?{q}"),
        None => path.clone(),
    };
    let parsed = req
        .uri()
        .path_and_query()
        .filter(|pq| pq.as_str() == path_and_query)
        .cloned();
    Ok(Admitted {
        runtime,
        principal: Some(index),
        target: Target::Heygen {
            route,
            path,
            path_and_query,
            parsed,
        },
    })
}

/// Resolves the tenant from `X-Api-Key` / `Authorization: Bearer`.
pub(super) fn authenticate(rt: &Runtime, h: &http::HeaderMap) -> Result<usize, GatewayError> {
    let token = headers::tenant_token(h).ok_or(GatewayError::Unauthenticated)?;
    match rt.keys.authenticate(&rt.config.tenants, token) {
        AuthOutcome::Tenant(i) => Ok(i),
        AuthOutcome::Disabled => Err(GatewayError::TenantDisabled),
        AuthOutcome::Unknown => Err(GatewayError::Unauthenticated),
    }
}
