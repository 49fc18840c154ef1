//! `upstream.proxy_url`: every connection to HeyGen through an HTTP
//! `CONNECT` tunnel. The proxy is a small one on loopback (below) that
//! records what it was asked; behind it, the TLS test server of `tests`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use http::{HeaderMap, Method};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::tests::{client_tls, get, server, test_config};
use super::{Host, Upstream, UpstreamError};
use crate::config::{MapEnv, ProxySource, Secret, TrustRoots, UpstreamProxy};
use crate::test_tls::{listen, CA_PEM};

/// How the test proxy answers `CONNECT`.
#[derive(Clone, Copy)]
enum Answer {
    /// `200 Connection established`, then bytes copied both ways.
    Tunnel,
    /// This head, then the connection closed.
    Refuse(&'static str),
    /// Nothing, ever.
    Silent,
}

/// Each `CONNECT`'s target and `Proxy-Authorization`.
type Asked = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A `CONNECT` proxy on loopback: its port, the tunnels it opened, and
/// each request's target and `Proxy-Authorization`.
struct TestProxy {
    port: u16,
    tunnels: Arc<AtomicUsize>,
    asked: Asked,
}

impl TestProxy {
    async fn start(answer: Answer) -> TestProxy {
        let tunnels = Arc::new(AtomicUsize::new(0));
        let asked = Arc::new(Mutex::new(Vec::new()));
        let (t, a) = (tunnels.clone(), asked.clone());
        let (port, _) = listen(move |tcp| serve(tcp, answer, t.clone(), a.clone())).await;
        TestProxy {
            port,
            tunnels,
            asked,
        }
    }

    fn url(&self, userinfo: &str) -> String {
        format!("http://{userinfo}127.0.0.1:{}", self.port)
    }

    fn asked(&self) -> Vec<(String, Option<String>)> {
        self.asked.lock().expect("lock").clone()
    }
}

async fn serve(mut tcp: TcpStream, answer: Answer, tunnels: Arc<AtomicUsize>, asked: Asked) {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        match tcp.read_u8().await {
            Ok(b) => head.push(b),
            Err(_) => return,
        }
    }
    let head = String::from_utf8(head).expect("utf-8 head");
    let mut lines = head.split("\r\n");
    let request = lines.next().unwrap_or_default().to_owned();
    let target = match request.split(' ').collect::<Vec<_>>()[..] {
        ["CONNECT", target, "HTTP/1.1"] => target.to_owned(),
        _ => panic!("not a CONNECT: {request}"),
    };
    let auth = lines.find_map(|l| {
        let (name, value) = l.split_once(": ")?;
        name.eq_ignore_ascii_case("proxy-authorization")
            .then(|| value.to_owned())
    });
    asked.lock().expect("lock").push((target.clone(), auth));
    match answer {
        Answer::Tunnel => {
            let Ok(mut host) = TcpStream::connect(&target).await else {
                return;
            };
            tunnels.fetch_add(1, Ordering::SeqCst);
            let established = b"HTTP/1.1 200 Connection established\r\n\r\n";
            if tcp.write_all(established).await.is_ok() {
                let _ = tokio::io::copy_bidirectional(&mut tcp, &mut host).await;
            }
        }
        Answer::Refuse(head) => {
            let _ = tcp.write_all(head.as_bytes()).await;
        }
        Answer::Silent => std::future::pending().await,
    }
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
    let proxy = TestProxy::start(Answer::Tunnel).await;
    let up = upstream(port, &proxy.url(""));
    let first = get(&up, "/v2/avatars".into()).await;
    // TLS and ALPN ran with the real host, through the tunnel.
    assert_eq!(
        first,
        format!("HTTP/2.0 host=- authority=localhost:{port} key=sk_org path=/v2/avatars")
    );
    let second = get(&up, "/v2/voices".into()).await;
    assert!(second.ends_with("path=/v2/voices"), "{second}");
    assert_eq!(
        proxy.tunnels.load(Ordering::SeqCst),
        1,
        "the tunnel is reused"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    assert_eq!(proxy.asked(), vec![(format!("localhost:{port}"), None)]);
    // The upload host's slot tunnels too (a connection of its own).
    let upload = send(&up, Host::Upload).await.expect("answer");
    assert!(upload.starts_with("HTTP/2.0"), "{upload}");
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), 2);
    assert_eq!(accepted.load(Ordering::SeqCst), 2, "no direct connection");
}

#[tokio::test]
async fn credentials_in_the_url_are_sent_as_basic_auth() {
    let (port, _) = server(&[b"h2", b"http/1.1"]).await;
    let proxy = TestProxy::start(Answer::Tunnel).await;
    let up = upstream(port, &proxy.url("alice:pa%24s@"));
    assert!(get(&up, "/v2/avatars".into()).await.starts_with("HTTP/2.0"));
    let token = base64::engine::general_purpose::STANDARD.encode("alice:pa$s");
    assert_eq!(
        proxy.asked(),
        vec![(format!("localhost:{port}"), Some(format!("Basic {token}")))]
    );
}

#[tokio::test]
async fn a_407_is_unreachable_names_the_status_and_reaches_nothing() {
    let (port, accepted) = server(&[b"h2", b"http/1.1"]).await;
    let head = "HTTP/1.1 407 Proxy Authentication Required\r\n\
                Proxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\n\r\n";
    let proxy = TestProxy::start(Answer::Refuse(head)).await;
    let up = upstream(port, &proxy.url("alice:wrong-pw@"));
    let err = send(&up, Host::Api).await.expect_err("refused");
    let UpstreamError::Unreachable(msg) = &err else {
        panic!("{err:?}");
    };
    assert!(msg.contains("407 Proxy Authentication Required"), "{msg}");
    assert!(msg.contains(&format!("127.0.0.1:{}", proxy.port)), "{msg}");
    assert!(msg.contains("upstream.proxy_url"), "{msg}");
    assert!(!msg.contains("wrong-pw"), "{msg}");
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        0,
        "nothing reached the host"
    );
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), 0);
    // Any other refusal names its status as well (a squid ACL's 403).
    let proxy = TestProxy::start(Answer::Refuse("HTTP/1.1 403 Forbidden\r\n\r\n")).await;
    let err = send(&upstream(port, &proxy.url("")), Host::Api).await;
    let Err(UpstreamError::Unreachable(msg)) = err else {
        panic!("{err:?}");
    };
    assert!(msg.contains("403 Forbidden"), "{msg}");
}

#[tokio::test]
async fn the_connect_timeout_covers_a_proxy_that_never_answers() {
    let (port, accepted) = server(&[b"h2", b"http/1.1"]).await;
    let proxy = TestProxy::start(Answer::Silent).await;
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
    let proxy = TestProxy::start(Answer::Tunnel).await;
    let mut cfg = test_config(port);
    let mut errors = Vec::new();
    cfg.roots = TrustRoots::load("upstream.ca_file", Some(CA_PEM), &mut errors);
    cfg.proxy = Some(ProxySource::Env("EGRESS_PROXY".into()));
    let env = MapEnv::default().with("EGRESS_PROXY", &proxy.url(""));
    let up = Upstream::new(&cfg, Secret::new("sk_org"), 0, &env).expect("upstream");
    assert!(get(&up, "/v2/avatars".into()).await.starts_with("HTTP/2.0"));
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), 1);
    let err = Upstream::new(&cfg, Secret::new("sk_org"), 0, &MapEnv::default())
        .expect_err("unset variable");
    let msg = err.to_string();
    assert!(msg.contains("upstream.proxy_url_env"), "{msg}");
    assert!(msg.contains("EGRESS_PROXY is not set"), "{msg}");
}
