//! The pool over TLS, as it reaches HeyGen: HTTP/2 when the server offers
//! it over ALPN, else HTTP/1.1; connections reused; the host named the way
//! each protocol names it. (Plain HTTP/1.1 is what every mock test uses.)
//! The server is rustls on loopback with a certificate for `localhost`
//! from a test CA (`tests/data/tls`, valid until 2126) the client trusts.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::CertificateDer;

use super::{Host, Upstream, UpstreamError, X_API_KEY};
use crate::config::{BaseUrl, Secret, SecretSource, UpstreamConfig};

use crate::test_tls::{acceptor, listen, provider, CA};

/// A TLS server offering `alpn`; each answer says the request's version,
/// the host it named, its key and its path. Counts connections.
pub(super) async fn server(alpn: &[&[u8]]) -> (u16, Arc<AtomicUsize>) {
    let acceptor = acceptor(alpn);
    listen(move |tcp| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let svc = hyper::service::service_fn(|req: Request<Incoming>| async move {
                let (req, body) = req.into_parts();
                let body = http_body_util::BodyExt::collect(body)
                    .await
                    .map(|b| b.to_bytes())
                    .unwrap_or_default();
                let req = Request::from_parts(req, ());
                let h = |name| {
                    req.headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-")
                        .to_owned()
                };
                let authority = req.uri().authority().map_or("-".into(), |a| a.to_string());
                let answer = format!(
                    "{:?} host={} authority={} key={} path={}{}",
                    req.version(),
                    h(http::header::HOST),
                    authority,
                    h(X_API_KEY),
                    req.uri().path_and_query().map_or("-", |p| p.as_str()),
                    if body.is_empty() {
                        String::new()
                    } else {
                        format!(" body={}", String::from_utf8_lossy(&body))
                    },
                );
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(answer))))
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tls), svc)
                .await;
        }
    })
    .await
}

/// An upstream whose API host is `https://localhost:port`, trusting the
/// test CA only.
fn upstream(port: u16) -> Upstream {
    upstream_at(http::uri::Scheme::HTTPS, port)
}

fn upstream_at(scheme: http::uri::Scheme, port: u16) -> Upstream {
    let mut cfg = test_config(port);
    cfg.api.scheme = scheme;
    Upstream::with_tls(&cfg, Secret::new("sk_org"), 0, client_tls(), None).expect("upstream")
}

/// Trusts the test CA only.
pub(super) fn client_tls() -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(CA.to_vec()))
        .expect("test CA");
    rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// Every host at `https://localhost:port`.
pub(super) fn test_config(port: u16) -> UpstreamConfig {
    let base = BaseUrl {
        scheme: http::uri::Scheme::HTTPS,
        authority: format!("localhost:{port}").parse().expect("authority"),
    };
    UpstreamConfig {
        api: base.clone(),
        upload: base.clone(),
        api_key: SecretSource::Env("UNUSED".into()),
        liveavatar: base,
        liveavatar_key: None,
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(5),
        upload_timeout: Duration::from_secs(5),
        pool_idle_timeout: Duration::from_secs(60),
        roots: Default::default(),
        proxy: None,
    }
}

/// One GET with the org key; the answer's body.
pub(super) async fn get(up: &Upstream, path: String) -> String {
    send(up, Method::GET, path, crate::http::empty()).await
}

async fn send(up: &Upstream, method: Method, path: String, body: crate::http::Body) -> String {
    let mut headers = HeaderMap::new();
    headers.insert(X_API_KEY, up.org_key_header().clone());
    let resp = up
        .send(Host::Api, method, &path, headers, body)
        .await
        .expect("answer");
    assert_eq!(resp.status(), 200);
    let body = up.read_body(resp.into_body(), 1 << 16).await.expect("body");
    String::from_utf8(body.to_vec()).expect("utf-8")
}

/// A POST with a small JSON body, as a billable request is sent.
async fn post_generate(up: &Upstream) -> String {
    let body = crate::http::full(r#"{"video_inputs":[]}"#);
    send(up, Method::POST, "/v2/video/generate".into(), body).await
}

#[tokio::test]
async fn http2_is_used_when_offered_and_one_connection_carries_all() {
    let (port, accepted) = server(&[b"h2", b"http/1.1"]).await;
    let up = upstream(port);
    let first = get(&up, "/v2/avatars?limit=1".into()).await;
    assert_eq!(
        first,
        format!("HTTP/2.0 host=- authority=localhost:{port} key=sk_org path=/v2/avatars?limit=1")
    );
    let answers =
        futures_util::future::join_all((0..16).map(|i| get(&up, format!("/v1/x/{i}")))).await;
    for (i, a) in answers.iter().enumerate() {
        assert!(a.ends_with(&format!("path=/v1/x/{i}")), "{a}");
    }
    let posted = post_generate(&up).await;
    assert!(posted.ends_with(r#"body={"video_inputs":[]}"#), "{posted}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "HTTP/2 is multiplexed");
}

#[tokio::test]
async fn http1_over_tls_names_the_host_and_reuses_connections() {
    let (port, accepted) = server(&[b"http/1.1"]).await;
    let up = upstream(port);
    for i in 0..5 {
        let answer = get(&up, format!("/v2/video/{i}")).await;
        assert_eq!(
            answer,
            format!("HTTP/1.1 host=localhost:{port} authority=- key=sk_org path=/v2/video/{i}")
        );
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "one connection, reused");
    // Concurrent requests each need a connection of their own; they go
    // back to the pool, and later requests reuse them.
    futures_util::future::join_all((0..4).map(|_| get(&up, "/v1/a".into()))).await;
    let opened = accepted.load(Ordering::SeqCst);
    assert!((1..=4).contains(&opened), "{opened} connections");
    futures_util::future::join_all((0..4).map(|_| get(&up, "/v1/a".into()))).await;
    let posted = post_generate(&up).await;
    assert!(posted.starts_with("HTTP/1.1 host=localhost:"), "{posted}");
    assert!(posted.ends_with(r#"body={"video_inputs":[]}"#), "{posted}");
    assert_eq!(accepted.load(Ordering::SeqCst), opened, "no new connection");
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_before_anything_is_sent() {
    let (port, accepted) = server(&[b"h2", b"http/1.1"]).await;
    let mut up = upstream(port);
    // The same server under a name its certificate does not carry.
    up.api.base.authority = format!("127.0.0.1:{port}").parse().expect("authority");
    assert_refused_unsent(&up, &accepted).await;
}

/// A GET through `up` fails as `Unreachable` (HeyGen never saw it) after
/// the one TLS connection attempt the server `accepted`.
pub(super) async fn assert_refused_unsent(up: &Upstream, accepted: &AtomicUsize) {
    let err = up
        .send(
            Host::Api,
            Method::GET,
            "/v2/avatars",
            HeaderMap::new(),
            crate::http::empty(),
        )
        .await
        .expect_err("refused");
    assert!(matches!(err, UpstreamError::Unreachable(_)), "{err:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[test]
fn host_leaves_out_the_schemes_own_port() {
    let host = |url: &str| {
        let uri: http::Uri = url.parse().expect("url");
        let base = BaseUrl {
            scheme: uri.scheme().expect("scheme").clone(),
            authority: uri.authority().expect("authority").clone(),
        };
        super::pool::Target::new(&base, 0).expect("target").host
    };
    assert_eq!(host("https://api.heygen.com:443"), "api.heygen.com");
    assert_eq!(host("https://api.heygen.com"), "api.heygen.com");
    assert_eq!(host("http://127.0.0.1:80"), "127.0.0.1");
    assert_eq!(host("http://127.0.0.1:8080"), "127.0.0.1:8080");
    assert_eq!(
        host("https://upload.heygen.com:8443"),
        "upload.heygen.com:8443"
    );
    assert_eq!(host("http://[::1]:9000"), "[::1]:9000");
}

#[test]
fn the_raw_upload_goes_to_the_upload_host_in_any_letter_case() {
    for path in ["/v1/asset", "/v1/Asset", "/v1/ASSET"] {
        assert_eq!(
            Host::for_request(&Method::POST, path),
            Host::Upload,
            "{path}"
        );
    }
    for (method, path) in [
        (Method::GET, "/v1/Asset"),
        (Method::POST, "/v3/assets"),
        (Method::POST, "/v1/asset/x"),
    ] {
        assert_eq!(
            Host::for_request(&method, path),
            Host::Api,
            "{method} {path}"
        );
    }
}

#[path = "tests_idle.rs"]
mod idle;

#[path = "tests_unsent.rs"]
mod unsent;

#[path = "tests_h2.rs"]
mod http2_conn;
