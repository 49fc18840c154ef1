//! The innermost service: an admitted request goes to exactly one branch —
//! the gateway's own endpoints, a billable admission, a status read that
//! settles on the way back, a delete that settles the jobs it names, or a
//! plain pass-through. Route policy (the tenant's allowed families,
//! isolation, unknown writes) is decided here, once, before any branch.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::conn::ReqBody;
use http::{Request, Response};
use tower::Service;

use super::billable::{self, BillableRequest};
use super::context::{Admitted, ClientAddr, RequestContext, Target};
use super::forward::{pass_through, Origin, UpPath};
use super::isolated::{self, Hop};
use super::{delete, lists, self_service, status};
use crate::catalog::{Family, RouteKind};
use crate::config::UnknownWrites;
use crate::error::GatewayError;
use crate::http::Body;
use crate::ownership::{self, Access, Policy};
use crate::state::AppState;

#[derive(Clone)]
pub(crate) struct Gateway {
    state: Arc<AppState>,
}

impl Gateway {
    pub(crate) fn new(state: Arc<AppState>) -> Self {
        Gateway { state }
    }
}

type GatewayFuture = Pin<Box<dyn Future<Output = Result<Response<Body>, GatewayError>> + Send>>;

// === impl Gateway ===

impl Service<Request<ReqBody>> for Gateway {
    type Response = Response<Body>;
    type Error = GatewayError;
    type Future = GatewayFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), GatewayError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> GatewayFuture {
        // Both are put there by the layers above; a request without them
        // was not admitted and must not be served.
        let admitted = req.extensions_mut().remove::<Admitted>();
        let ctx = req.extensions().get::<RequestContext>().cloned();
        match (admitted, ctx) {
            (Some(admitted), Some(ctx)) => {
                Box::pin(dispatch(self.state.clone(), admitted, ctx, req))
            }
            _ => Box::pin(std::future::ready(Err(GatewayError::Internal))),
        }
    }
}

/// Every request allocates this future once, sized for its largest state:
/// the rare, deep branches (billable admission, the gateway's own endpoints,
/// creations, session metering, filtered lists) are boxed where they are
/// awaited, so a plain read does not allocate and copy kilobytes it never
/// uses. (A plain `fn` returning an `async` block, not an `async fn`: an
/// `async fn` keeps its arguments twice, as captured and as locals, and
/// the request alone is 344 bytes; see `forward::pass_through` too.)
#[allow(clippy::manual_async_fn)] // on purpose: see above
fn dispatch(
    state: Arc<AppState>,
    admitted: Admitted,
    ctx: RequestContext,
    req: Request<ReqBody>,
) -> impl Future<Output = Result<Response<Body>, GatewayError>> + Send {
    async move {
        let (state, admitted, ctx) = (&state, &admitted, &ctx);
        let (route, path, path_and_query, parsed) = match &admitted.target {
            Target::SelfService { rest } => {
                return Box::pin(self_service::handle(state, admitted, ctx, rest, req)).await
            }
            Target::LiveAvatar { path } => {
                return Box::pin(super::liveavatar::handle(state, admitted, ctx, path, req)).await
            }
            Target::Heygen {
                route,
                path,
                path_and_query,
                parsed,
            } => (
                route,
                path.as_str(),
                path_and_query.as_str(),
                parsed.as_ref(),
            ),
        };
        let tenant = admitted.tenant().ok_or(GatewayError::Unauthenticated)?;
        if !tenant.may_use(route.family) {
            return Err(GatewayError::RouteForbidden {
                family: route.family.as_str(),
            });
        }
        let origin = Origin {
            request_id: ctx.request_id.clone(),
            log: ctx.clone(),
            client_ip: req
                .extensions()
                .get::<ClientAddr>()
                .map_or(http::HeaderValue::from_static("127.0.0.1"), |a| {
                    a.ip.clone()
                }),
            tenant: tenant.id.clone(),
            family: route.family.as_str(),
        };
        let cfg = &admitted.runtime.config;
        // Isolation before anything is sent: account-wide routes need
        // `org_admin`, a named resource needs its owner.
        let policy = Policy::new(
            tenant.isolation,
            tenant.allow.contains(&Family::OrgAdmin),
            cfg.isolation.unowned,
        );
        let query = path_and_query.split_once('?').map(|(_, q)| q);
        let rules = ownership::access(req.method(), path, query);
        // Checked for every tenant: settling before a delete and session
        // metering look the ids up even for an org-wide one.
        if let Access::Named(named) = &rules {
            ownership::check_ids(&named.ids)?;
        }
        // Org-wide tenants pass isolation; the rules still drive settling
        // before deletes and session metering below. Their streaming controls
        // take the body-named branch as anyone's (whose owner check lets them
        // through): it is where the session's activity and stop are seen.
        const OPEN: Access = Access::Public;
        let read = matches!(*req.method(), http::Method::GET | http::Method::HEAD);
        let access = match &rules {
            _ if !policy.org_wide => &rules,
            Access::BodyIds { .. } if !read && crate::sessions::is_session_call(path) => &rules,
            _ => &OPEN,
        };
        match access {
            Access::OrgAdmin if !policy.org_admin => return Err(GatewayError::OrgRoute),
            Access::Named(named) => {
                ownership::check_named(state.ledger.as_ref(), policy, &tenant.id, named, read)
                    .await?
            }
            _ => {}
        }
        // Route policy ends here, before anything acts on what the request
        // names: a refused write must neither count as a session's activity
        // nor settle the job it would have deleted.
        if matches!(route.kind, RouteKind::UnknownWrite)
            && cfg.routes.unknown_writes == UnknownWrites::Deny
        {
            // A path HeyGen serves under other methods: the method is wrong.
            return Err(match crate::catalog::methods_of(path) {
                Some(allow) => GatewayError::MethodNotAllowed {
                    allow: allow.into(),
                },
                None => GatewayError::UnknownWrite,
            });
        }
        // A deleted job's status is gone: settle it first (issue 10); what is
        // still unknown is captured only once HeyGen confirms the delete.
        // Boxed only for a delete: every other request would pay an allocation.
        let owed = if req.method() == http::Method::DELETE {
            Box::pin(delete::prepare(state, req.method(), &rules)).await?
        } else {
            Vec::new()
        };
        // Calls on a v3 realtime session (path-named) are metered activity;
        // v1 streaming controls name theirs in the body (`isolated::body_named`).
        let realtime: Vec<String> = match &rules {
            Access::Named(n) if !read && crate::sessions::is_session_call(path) => n.ids.clone(),
            _ => Vec::new(),
        };
        let stopping = if realtime.is_empty() {
            None
        } else {
            let stop = crate::sessions::is_stop(req.method(), path);
            Box::pin(crate::sessions::before_call(state, &realtime, stop)).await?
        };
        let method = req.method().clone();
        // A call on v3 realtime sessions: a stop HeyGen answered ends their
        // metering even if the client has gone by then, so the forward and
        // `after_call` run detached. (These are free routes: a pass-through,
        // or a delete that settles what it names.)
        if !realtime.is_empty() && !matches!(route.kind, RouteKind::Billable(_)) {
            let to = delete::Delete {
                origin: origin.clone(),
                path: path.to_string(),
                path_and_query: path_and_query.to_string(),
                limit: cfg.server.max_body_bytes,
            };
            let call = (method, realtime, stopping);
            return Box::pin(super::realtime::call(state, to, req, owed, call)).await;
        }
        let hop = Hop {
            state,
            origin: &origin,
            path,
            path_and_query,
            parsed,
        };
        let limit = cfg.server.max_body_bytes;
        let resp = match (&route.kind, access) {
            (RouteKind::Billable(b), _) => {
                let br = BillableRequest {
                    admitted,
                    route,
                    billable: b,
                    path,
                    path_and_query,
                    origin: origin.clone(),
                    access,
                    policy,
                };
                Box::pin(billable::handle(state, ctx, br, req)).await
            }
            _ if !owed.is_empty() => {
                let to = delete::Delete {
                    origin: origin.clone(),
                    path: path.to_string(),
                    path_and_query: path_and_query.to_string(),
                    limit,
                };
                Box::pin(delete::forward(state, to, req, owed)).await
            }
            (_, Access::List(shape)) => Box::pin(lists::list(hop, req, *shape, policy)).await,
            // Stock items are nobody's: kept like unowned ones under `read`.
            (_, Access::StockList(shape)) => {
                let stock = Policy {
                    unowned: crate::config::Unowned::Read,
                    ..policy
                };
                Box::pin(lists::list(hop, req, *shape, stock)).await
            }
            (_, Access::Create(fields)) => {
                Box::pin(isolated::create(hop, req, fields, limit)).await
            }
            // An org-wide tenant's upload: no owner recorded, its length is.
            (RouteKind::Free, _) if super::upload::is_upload(&method, path) => {
                Box::pin(isolated::create(hop, req, &[], limit)).await
            }
            (_, Access::BodyIds { named, fields, .. }) => {
                Box::pin(isolated::body_named(hop, req, named, fields, policy)).await
            }
            (RouteKind::Status(read), _) => {
                let to = UpPath {
                    path,
                    path_and_query,
                    parsed,
                };
                status::read(state, &origin, req, to, read).await
            }
            (RouteKind::Free | RouteKind::UnknownRead | RouteKind::UnknownWrite, _) => {
                let to = UpPath {
                    path,
                    path_and_query,
                    parsed,
                };
                pass_through(state, &origin, req, to, limit).await
            }
        };
        // Realtime session calls on other routes (none today) meter inline.
        if let (false, Ok(r)) = (realtime.is_empty(), &resp) {
            Box::pin(crate::sessions::after_call(
                state,
                &method,
                path,
                &realtime,
                r.status(),
            ))
            .await;
        }
        resp
    }
}
