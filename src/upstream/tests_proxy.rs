//! `upstream.proxy_url`: every connection to HeyGen through an HTTP
//! `CONNECT` tunnel. The proxy is the mock crate's, on loopback, which
//! records what it was asked; behind it, the TLS test server of `tests`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::Engine;
use heygen_mock::connect_proxy::{Asked, ConnectProxy, ProxyAnswer};
use http::{HeaderMap, Method};

use super::tests::{client_tls, get, server, test_config};
use super::{Host, Upstream, UpstreamError};
use crate::config::{MapEnv, ProxySource, Secret, TrustRoots, UpstreamProxy};
use crate::test_tls::CA_PEM;

/// A `CONNECT` proxy on loopback that answers every request with `answer`.
async fn start(answer: ProxyAnswer) -> ConnectProxy {
    ConnectProxy::start(move |_| answer).await.expect("proxy")
}

/// One `CONNECT` of `localhost:port` with this `Proxy-Authorization`.
fn asked(port: u16, authorization: Option<String>) -> Vec<Asked> {
    vec![Asked {
        target: format!("localhost:{port}"),
        authorization,
    }]
}

/// The gateway's client for the TLS test server on `port` (trusting the
/// test CA), through the proxy at `url`.
fn upstream(port: u16, url: &str) -> Upstream {
    let proxy = UpstreamProxy::parse(url).expect("proxy URL");
    let mut cfg = test_config(port);
    cfg.connect_timeout = Duration::from_millis(500);
    Upstream::with_tls(&cfg, Secret::new("sk_org"), 0, client_tls(), Some(&proxy))
        .expect("upstream")
}

async fn send(up: &Upstream, host: Host) -> Result<String, UpstreamError> {
    let resp = up
        .send(
            host,
            Method::GET,
            "/v2/avatars",
            HeaderMap::new(),
            crate::http::empty(),
        )
        .await?;
    let body = up.read_body(resp.into_body(), 1 << 16).await.expect("body");
    Ok(String::from_utf8(body.to_vec()).expect("utf-8"))
}

#[tokio::test]
async fn an_https_http2_host_is_reached_through_one_reused_tunnel() {
    let (port, accepted) = server(&[b"h2", b"http/1.1"]).await;
    let proxy = start(ProxyAnswer::Tunnel).await;
    let up = upstream(port, &proxy.url(""));
    let first = get(&up, "/v2/avatars".into()).await;
    // TLS and ALPN ran with the real host, through the tunnel.
    assert_eq!(
        first,
        format!("HTTP/2.0 host=- authority=localhost:{port} key=sk_org path=/v2/avatars")
    );
    let second = get(&up, "/v2/voices".into()).await;
    assert!(second.ends_with("path=/v2/voices"), "{second}");
    assert_eq!(proxy.tunnels(), 1, "the tunnel is reused");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    assert_eq!(proxy.asked(), asked(port, None));
    // The upload host's slot tunnels too (a connection of its own).
    let upload = send(&up, Host::Upload).await.expect("answer");
    assert!(upload.starts_with("HTTP/2.0"), "{upload}");
    assert_eq!(proxy.tunnels(), 2);
    assert_eq!(accepted.load(Ordering::SeqCst), 2, "no direct connection");
}

#[tokio::test]
async fn credentials_in_the_url_are_sent_as_basic_auth() {
    let (port, _) = server(&[b"h2", b"http/1.1"]).await;
    let proxy = start(ProxyAnswer::Tunnel).await;
    let up = upstream(port, &proxy.url("alice:pa%24s@"));
    assert!(get(&up, "/v2/avatars".into()).await.starts_with("HTTP/2.0"));
    let token = base64::engine::general_purpose::STANDARD.encode("alice:pa$s");
    assert_eq!(proxy.asked(), asked(port, Some(format!("Basic {token}"))));
}

#[tokio::test]
async fn a_407_is_unreachable_names_the_status_and_reaches_nothing() {
    let (port, accepted) = server(&[b"h2", b"http/1.1"]).await;
    let head = "HTTP/1.1 407 Proxy Authentication Required\r\n\
                Proxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\n\r\n";
    let proxy = start(ProxyAnswer::Refuse(head)).await;
    let up = upstream(port, &proxy.url("alice:wrong-pw@"));
    let err = send(&up, Host::Api).await.expect_err("refused");
    let UpstreamError::Unreachable(msg) = &err else {
        panic!("{err:?}");
    };
    assert!(msg.contains("407 Proxy Authentication Required"), "{msg}");
    assert!(
        msg.contains(proxy.url("").trim_start_matches("http://")),
        "{msg}"
    );
    assert!(msg.contains("upstream.proxy_url"), "{msg}");
    assert!(!msg.contains("wrong-pw"), "{msg}");
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        0,
        "nothing reached the host"
    );
    assert_eq!(proxy.tunnels(), 0);
    // Any other refusal names its status as well (a squid ACL's 403).
    let proxy = start(ProxyAnswer::Refuse("HTTP/1.1 403 Forbidden\r\n\r\n")).await;
    let err = send(&upstream(port, &proxy.url("")), Host::Api).await;
    let Err(UpstreamError::Unreachable(msg)) = err else {
        panic!("{err:?}");
    };
    assert!(msg.contains("403 Forbidden"), "{msg}");
}

#[tokio::test]
async fn the_connect_timeout_covers_a_proxy_that_never_answers() {
    let (port, accepted) = server(&[b"h2", b"http/1.1"]).await;
    let proxy = start(ProxyAnswer::Silent).await;
    let up = upstream(port, &proxy.url(""));
    let started = std::time::Instant::now();
    let err = send(&up, Host::Api).await.expect_err("timed out");
    assert!(matches!(err, UpstreamError::Unreachable(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 0);
    // A proxy that is not there at all: unreachable too, and named.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let gone = closed.local_addr().expect("addr").port();
    drop(closed);
    let err = send(
        &upstream(port, &format!("http://127.0.0.1:{gone}")),
        Host::Api,
    )
    .await;
    let Err(UpstreamError::Unreachable(msg)) = err else {
        panic!("{err:?}");
    };
    assert!(msg.contains("cannot connect to the proxy"), "{msg}");
}

/// The client `serve` builds (`Upstream::new`) reads `proxy_url_env` and
/// tunnels through it; an unset variable stops it with the key named.
#[tokio::test]
async fn the_served_client_takes_its_proxy_from_the_environment() {
    let (port, _) = server(&[b"h2", b"http/1.1"]).await;
    let proxy = start(ProxyAnswer::Tunnel).await;
    let mut cfg = test_config(port);
    let mut errors = Vec::new();
    cfg.roots = TrustRoots::load("upstream.ca_file", Some(CA_PEM), &mut errors);
    cfg.proxy = Some(ProxySource::Env("EGRESS_PROXY".into()));
    let env = MapEnv::default().with("EGRESS_PROXY", &proxy.url(""));
    let up = Upstream::new(&cfg, Secret::new("sk_org"), 0, &env).expect("upstream");
    assert!(get(&up, "/v2/avatars".into()).await.starts_with("HTTP/2.0"));
    assert_eq!(proxy.tunnels(), 1);
    let err = Upstream::new(&cfg, Secret::new("sk_org"), 0, &MapEnv::default())
        .expect_err("unset variable");
    let msg = err.to_string();
    assert!(msg.contains("upstream.proxy_url_env"), "{msg}");
    assert!(msg.contains("EGRESS_PROXY is not set"), "{msg}");
}
