//! The admin listener: probes, metrics, the admin API and the usage page.

mod api;
pub(crate) mod calibrate;
pub(crate) mod redeliver;
pub(crate) mod reports;
mod resources;
mod ui;

use std::convert::Infallible;
use std::sync::Arc;

use crate::conn::ReqBody;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};

use crate::http::{full, Body};
use crate::state::AppState;

/// Who made an admin write, for its audit line: the body's `actor`, else
/// the `X-Admin-Actor` header, else `admin`.
pub(crate) fn actor(from_body: Option<String>, headers: &http::HeaderMap) -> String {
    from_body
        .or_else(|| {
            headers
                .get("x-admin-actor")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "admin".into())
}

/// The admin listener's service.
pub(crate) fn service(
    state: Arc<AppState>,
) -> impl tower::Service<
    Request<ReqBody>,
    Response = Response<Body>,
    Error = Infallible,
    Future = impl std::future::Future<Output = Result<Response<Body>, Infallible>> + Send,
> + Clone
       + Send
       + 'static {
    // Usage-page sign-ins live as long as this listener's service.
    let sessions = Arc::new(ui::Sessions::default());
    tower::service_fn(move |req| {
        let state = state.clone();
        let sessions = sessions.clone();
        async move { Ok(handle(state, &sessions, req).await) }
    })
}

async fn handle(
    state: Arc<AppState>,
    sessions: &ui::Sessions,
    req: Request<ReqBody>,
) -> Response<Body> {
    match (req.method(), req.uri().path()) {
        (_, path) if path == "/ui" || path.starts_with("/ui/") => {
            ui::handle(&state, sessions, req).await
        }
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
        (&Method::GET, "/readyz") => {
            if state.is_ready() {
                text(StatusCode::OK, "ready\n")
            } else {
                text(StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
            }
        }
        (&Method::GET, "/metrics") => {
            let mut resp = Response::new(full(crate::metrics::encode(&state.registry)));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            resp
        }
        (_, path) if path.starts_with("/admin/v1/") => {
            let rest = path.trim_start_matches("/admin/v1/").to_string();
            api::handle(state, req, &rest).await
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

pub(crate) fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut resp = Response::new(full(body));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    resp
}
