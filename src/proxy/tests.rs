//! Each stage of the tenant stack alone, driven with `oneshot` over a fake
//! inner service (tower-http's testing style).

use std::sync::Arc;

use http::{Request, Response, StatusCode};
use tower::{Layer, ServiceExt};

use super::admit::AdmitLayer;
use super::context::{Admitted, RequestContext, Target};
use super::render::{Rejection, RenderErrorLayer};
use super::request_log::RequestLogLayer;
use crate::clock::SystemClock;
use crate::error::GatewayError;
use crate::http::{full, Body};
use crate::state::{AppState, StateParts};

pub(crate) const TOKEN: &str = "hgw_demo_marketing_do_not_use_in_production";

pub(crate) async fn state(dir: &tempfile::TempDir) -> Arc<AppState> {
    let toml = format!(
        r#"
[upstream]
api_url = "http://127.0.0.1:9"
upload_url = "http://127.0.0.1:9"
[store]
url = "sqlite://{}/ledger.db"
[[tenants]]
id = "marketing"
keys = ["{}"]
limits = {{ requests_per_minute = 60, burst = 1 }}
"#,
        dir.path().display(),
        crate::auth::hash_line(TOKEN)
    );
    let config = crate::config::Config::from_toml(&toml).expect("config");
    let clock: Arc<dyn crate::clock::Clock> = Arc::new(SystemClock);
    let ledger = crate::ledger::open_ledger_with_clock(&config.store, clock.clone())
        .await
        .expect("ledger");
    Arc::new(AppState::new(StateParts::for_tests(config, ledger, clock)))
}

/// An inner service that reports what admission put on the request.
fn echo_admitted() -> impl tower::Service<
    Request<Body>,
    Response = Response<Body>,
    Error = GatewayError,
    Future = impl std::future::Future<Output = Result<Response<Body>, GatewayError>> + Send,
> + Clone {
    tower::service_fn(|req: Request<Body>| async move {
        let a = req.extensions().get::<Admitted>().expect("admitted");
        let text = match &a.target {
            Target::Heygen {
                path_and_query,
                route,
                ..
            } => format!(
                "{} {} {}",
                a.tenant().map_or("-", |t| t.id.as_str()),
                route.family.as_str(),
                path_and_query
            ),
            Target::SelfService { rest } => format!("self {rest}"),
            Target::LiveAvatar { path } => format!("liveavatar {path}"),
        };
        Ok(Response::new(full(text)))
    })
}

fn get(path: &str, token: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(t) = token {
        b = b.header("x-api-key", t);
    }
    let mut req = b.body(full("")).expect("request");
    req.extensions_mut()
        .insert(RequestContext::new(http::HeaderValue::from_static("rid")));
    req
}

async fn text(resp: Response<Body>) -> String {
    let b = crate::http::collect_limited(resp.into_body(), 1 << 20)
        .await
        .expect("body");
    String::from_utf8(b.to_vec()).expect("utf8")
}

#[tokio::test]
async fn admit_normalises_classifies_and_authenticates_once() {
    let dir = tempfile::tempdir().unwrap();
    let svc = AdmitLayer::new(state(&dir).await).layer(echo_admitted());
    let resp = svc
        .clone()
        .oneshot(get("/v2//./x/../avatars?x=%2E1", Some(TOKEN)))
        .await
        .unwrap();
    assert_eq!(
        text(resp).await,
        "marketing avatar /v2/avatars?x=%2E1",
        "path normalised, query kept byte for byte"
    );
}

#[tokio::test]
async fn admit_refuses_without_calling_the_inner_service() {
    let dir = tempfile::tempdir().unwrap();
    let svc =
        AdmitLayer::new(state(&dir).await).layer(tower::service_fn(|_req: Request<Body>| async {
            panic!("inner service must not be called")
        }));
    let svc = svc.map_response(|()| Response::new(full("")));
    let e = svc.clone().oneshot(get("/v2/avatars", None)).await;
    assert!(matches!(e, Err(GatewayError::Unauthenticated)));
    let e = svc.clone().oneshot(get("/v2/avatars", Some("wrong"))).await;
    assert!(matches!(e, Err(GatewayError::Unauthenticated)));
    let e = svc.clone().oneshot(get("/v9/x", Some(TOKEN))).await;
    assert!(matches!(e, Err(GatewayError::NotFound)));
    let e = svc.clone().oneshot(get("/v2/../../etc", Some(TOKEN))).await;
    assert!(matches!(e, Err(GatewayError::BadRequest { .. })));
    // Self-service endpoints authenticate themselves (webhooks carry a
    // signature instead of a key) and are not rate limited.
    let ok = AdmitLayer::new(state(&dir).await).layer(echo_admitted());
    for _ in 0..3 {
        let r = ok.clone().oneshot(get("/gateway/v1/usage", None)).await;
        assert_eq!(text(r.unwrap()).await, "self usage");
    }
}

#[tokio::test]
async fn admit_rate_limits_per_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let svc = AdmitLayer::new(state(&dir).await).layer(echo_admitted());
    assert!(svc
        .clone()
        .oneshot(get("/v2/avatars", Some(TOKEN)))
        .await
        .is_ok());
    let e = svc.clone().oneshot(get("/v2/avatars", Some(TOKEN))).await;
    assert!(
        matches!(e, Err(GatewayError::RateLimited { .. })),
        "burst of 1"
    );
}

#[tokio::test]
async fn render_uses_the_generation_envelope_and_marks_the_response() {
    let svc = RenderErrorLayer::new(Arc::new(SystemClock)).layer(tower::service_fn(
        |_req: Request<Body>| async { Err::<Response<Body>, _>(GatewayError::Unauthenticated) },
    ));
    let resp = svc
        .clone()
        .oneshot(get("/v1/video.list", None))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let r = resp.extensions().get::<Rejection>().expect("marked");
    assert_eq!(r.0.reason(), "unauthenticated");
    let body: serde_json::Value = serde_json::from_str(&text(resp).await).unwrap();
    assert_eq!(body["code"], 400112, "v1 envelope: {body}");
    let resp = svc.oneshot(get("/v2/avatars", None)).await.unwrap();
    let body: serde_json::Value = serde_json::from_str(&text(resp).await).unwrap();
    assert_eq!(body["error"]["code"], "unauthorized", "v2 envelope: {body}");
    assert!(body["data"].is_null());
}

#[test]
fn an_org_key_that_is_no_header_value_stops_the_start() {
    let toml = r#"
[upstream]
api_url = "http://127.0.0.1:9"
upload_url = "http://127.0.0.1:9"
"#;
    let config = crate::config::Config::from_toml(toml).expect("config");
    let bad = crate::config::Secret::new("sk_org\nX-Injected: 1");
    let err =
        crate::upstream::Upstream::new(&config.upstream, bad, 0, &crate::config::MapEnv::default())
            .unwrap_err();
    assert!(err.to_string().contains("org key"), "{err}");
}

#[tokio::test]
async fn request_log_sets_and_propagates_the_request_id() {
    let registry = prometheus::Registry::new();
    let metrics = crate::metrics::Metrics::register(&registry).unwrap();
    let svc =
        RequestLogLayer::new(metrics).layer(tower::service_fn(|req: Request<Body>| async move {
            let id = req
                .extensions()
                .get::<RequestContext>()
                .unwrap()
                .request_id
                .clone();
            assert!(!id.is_empty(), "context inserted before the inner service");
            Ok::<_, std::convert::Infallible>(Response::new(full("")))
        }));
    let mut req = Request::get("/v2/avatars").body(full("")).unwrap();
    req.headers_mut()
        .insert("x-request-id", "client-id-1".parse().unwrap());
    let resp = svc.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.headers()["x-request-id"], "client-id-1");
    let resp = svc
        .oneshot(Request::get("/v2/avatars").body(full("")).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"].len(), 36, "a fresh uuid");
    let text = crate::metrics::encode(&registry);
    assert!(
        text.contains(r#"heygen_gateway_requests_total{family="other",outcome="forwarded",status_class="2xx"} 2"#),
        "{text}"
    );
}

pub(super) async fn take_hold(state: &AppState) -> String {
    let now = state.clock.now();
    let req = crate::ledger::HoldRequest {
        tenant: "marketing".into(),
        feature: "avatar_iv".into(),
        route: "/v2/video/generate".into(),
        amount: 1_000_000,
        price_version: "t".into(),
        request_id: "rid".into(),
        tz: chrono_tz::UTC,
        now,
        expires_at: now + chrono::Duration::hours(1),
        tenant_budgets: Default::default(),
        org_budgets: Default::default(),
        tenant_shadow: false,
        org_shadow: false,
        render: true,
        render_lease: std::time::Duration::from_secs(600),
        tenant_render_cap: None,
        org_render_cap: None,
        session_cap: None,
        idem: None,
        contact_project: None,
    };
    match state.ledger.hold(req).await.unwrap() {
        crate::ledger::HoldDecision::Held { hold_id, .. } => hold_id,
        other => panic!("{other:?}"),
    }
}

async fn hold_state(state: &AppState, id: &str) -> crate::ledger::HoldState {
    state.tasks.close();
    state.tasks.wait().await;
    state.tasks.reopen();
    state.ledger.get_hold(id).await.unwrap().unwrap().state
}

pub(super) fn guard(state: &Arc<AppState>, id: &str) -> super::guard::HoldGuard {
    super::guard::HoldGuard::new(
        state.clone(),
        id.to_string(),
        "marketing".into(),
        "avatar_iv".into(),
        1_000_000,
    )
}

#[tokio::test]
async fn a_dropped_hold_guard_releases_unless_the_request_was_sent() {
    use crate::ledger::HoldState;
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    // Never sent: nothing can exist upstream, so the hold is freed.
    let id = take_hold(&state).await;
    drop(guard(&state, &id));
    assert_eq!(hold_state(&state, &id).await, HoldState::Released);
    // Sent: HeyGen may have created the job, so the hold stays for the TTL.
    let id = take_hold(&state).await;
    let mut g = guard(&state, &id);
    g.mark_sent();
    drop(g);
    assert_eq!(hold_state(&state, &id).await, HoldState::Held);
    // Ended explicitly: the drop does nothing more.
    let id = take_hold(&state).await;
    guard(&state, &id).capture(500_000).await;
    assert_eq!(hold_state(&state, &id).await, HoldState::Captured);
}
