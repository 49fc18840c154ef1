//! The egress guard against a raw local TCP server whose behaviour each test
//! picks (normal reply, redirect, oversized body, stall). The server counts
//! requests, so a refusal can be shown to have sent nothing at all.

// Test helpers outside #[test] fns: a failed setup should panic loudly.
#![allow(clippy::unwrap_used)]

#[path = "egress/sending.rs"]
mod sending;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use heygen_gateway::config::ConfigError;
use heygen_gateway::egress::{EgressConfig, EgressError, EgressGuard, EgressRequest, FileEgress};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server does with each request.
#[derive(Clone)]
enum Reply {
    /// Send these bytes, then close.
    Bytes(Vec<u8>),
    /// Send the status line and headers, then never anything more.
    StallBody,
    /// Read the request, then say nothing.
    Stall,
}

struct Server {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    async fn start(reply: Reply) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let reply = reply.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let text = read_request(&mut sock).await;
                    seen.lock().unwrap().push(text);
                    match reply {
                        Reply::Bytes(b) => {
                            let _ = sock.write_all(&b).await;
                            let _ = sock.shutdown().await;
                        }
                        Reply::StallBody => {
                            let head = "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nab";
                            let _ = sock.write_all(head.as_bytes()).await;
                            tokio::time::sleep(Duration::from_secs(30)).await;
                        }
                        Reply::Stall => tokio::time::sleep(Duration::from_secs(30)).await,
                    }
                });
            }
        });
        Server { port, requests }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

/// Reads the head and a `content-length` body; returns them as text.
async fn read_request(sock: &mut tokio::net::TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = sock.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                break;
            }
        }
    }
    String::from_utf8_lossy(&buf).to_string()
}

fn ok(body: &str) -> Reply {
    Reply::Bytes(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

fn guard(allow: &[&str]) -> EgressGuard {
    let raw = FileEgress {
        allow_cidrs: allow.iter().map(|s| s.to_string()).collect(),
        connect_timeout_ms: 1_000,
        timeout_ms: 5_000,
        max_response_bytes: 1_000,
        ca_file: None,
    };
    let mut errors: Vec<ConfigError> = Vec::new();
    let cfg = EgressConfig::from_file(&raw, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    EgressGuard::new(&cfg).unwrap()
}

#[tokio::test]
async fn loopback_server_is_refused_without_allow_list_and_never_contacted() {
    let server = Server::start(ok("hello")).await;
    let g = guard(&[]);
    let err = g
        .send(EgressRequest::get(server.url("/")))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            EgressError::Forbidden {
                reason: "loopback",
                ..
            }
        ),
        "{err:?}"
    );
    let localhost = format!("http://localhost:{}/", server.port);
    let err = g.send(EgressRequest::get(localhost)).await.unwrap_err();
    assert!(matches!(err, EgressError::Forbidden { .. }), "{err:?}");
    assert_eq!(server.count(), 0, "a refused URL must not be contacted");
}

#[tokio::test]
async fn private_metadata_and_mapped_addresses_are_refused() {
    let g = guard(&[]);
    for url in [
        "http://127.0.0.1/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://100.64.0.1/",
        "http://[64:ff9b::a9fe:a9fe]/",
    ] {
        let err = g.check(url).await.unwrap_err();
        assert!(
            matches!(err, EgressError::Forbidden { .. }),
            "{url}: {err:?}"
        );
    }
}

#[tokio::test]
async fn numeric_ipv4_spellings_never_reach_loopback() {
    // These are hostnames to the URI parser, so they reach the system
    // resolver, which reads them as inet_aton numbers (127.0.0.1); the check
    // runs on the resolved address, so every spelling is refused.
    let g = guard(&[]);
    for url in [
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://0x7f000001/",
        "http://127.1/",
    ] {
        let err = g.check(url).await.unwrap_err();
        match err {
            EgressError::Forbidden { addr, .. } => assert!(addr.is_loopback(), "{url}: {addr}"),
            other => panic!("{url}: expected Forbidden, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn userinfo_tricks_are_invalid() {
    let server = Server::start(ok("hello")).await;
    let g = guard(&["127.0.0.1/32"]);
    for url in [
        format!("http://user:pw@127.0.0.1:{}/", server.port),
        format!("http://example.com@127.0.0.1:{}/", server.port),
        format!("http://127.0.0.1:{}@example.com/", server.port),
        format!("http://127.0.0.1:{}\\@example.com/", server.port),
    ] {
        let err = g.send(EgressRequest::get(url.clone())).await.unwrap_err();
        assert!(matches!(err, EgressError::InvalidUrl(_)), "{url}: {err:?}");
    }
    assert_eq!(server.count(), 0);
}

#[test]
fn bad_allow_cidr_in_toml_names_the_key() {
    let errs = heygen_gateway::config::Config::from_toml(
        "[egress]\nallow_cidrs = [\"10.0.0.0/8\", \"10.0.0.0/99\"]\n",
    )
    .unwrap_err();
    let hit = errs
        .0
        .iter()
        .find(|e| e.key == "egress.allow_cidrs[1]")
        .unwrap_or_else(|| panic!("no egress error in {errs}"));
    assert!(hit.message.contains("CIDR"), "{hit}");
    assert!(!errs.0.iter().any(|e| e.key == "egress.allow_cidrs[0]"));
}
