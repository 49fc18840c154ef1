//! Issue 12: the gateway survives hostile clients. Connections that send
//! nothing are closed, caps shed new connections while established tenants
//! are served, stalled or trickled bodies get 408 without reaching HeyGen,
//! and requests with ambiguous framing, method overrides, bodies on reads or
//! encoded separators are refused, HTTP/2 streams past the limit are refused
//! and rapid resets end in GOAWAY. Everything goes through raw sockets: a
//! well-behaved client cannot send most of it.

mod common;

#[path = "hostile/bodies.rs"]
mod bodies;
#[path = "hostile/connections.rs"]
mod connections;
#[path = "hostile/http2.rs"]
mod http2;
#[path = "hostile/requests.rs"]
mod requests;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use heygen_mock::MockHeygen;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A mock HeyGen and a gateway in front of it.
pub struct Rig {
    pub mock: MockHeygen,
    pub gw: TestGateway,
}

impl Rig {
    /// `server` overrides as `(key, toml value)`.
    pub async fn start(server: &[(&str, &str)]) -> Rig {
        Self::start_with(server, |c| c).await
    }

    /// Like [`Rig::start`], with the config further adjusted by `f`.
    pub async fn start_with(
        server: &[(&str, &str)],
        f: impl FnOnce(TestConfig) -> TestConfig,
    ) -> Rig {
        let mock = start_mock().await;
        let mut cfg = TestConfig::for_mock(&mock);
        for (k, v) in server {
            cfg = cfg.set("server", k, v);
        }
        let gw = TestGateway::start(f(cfg)).await;
        Rig { mock, gw }
    }

    pub async fn metrics(&self) -> String {
        metrics_text(self.gw.admin_addr).await
    }
}

/// A TCP connection to `addr` from the loopback address `src` (any of
/// 127.0.0.0/8), so a test can play several client addresses.
pub async fn connect_from(src: [u8; 4], addr: SocketAddr) -> TcpStream {
    let sock = TcpSocket::new_v4().expect("socket");
    sock.bind(SocketAddr::from((src, 0))).expect("bind source");
    sock.connect(addr).await.expect("connect")
}

/// Reads until the server closes (or `within` passes); `None` if it did not
/// close in time, else what it sent. A reset counts as a close.
pub async fn until_closed(s: &mut TcpStream, within: Duration) -> Option<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let read_all = async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(within, read_all).await.ok()?;
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Sends `head` then `body` bytes on `s` and returns all the server sent
/// until it closed (at most 10 s). Write errors are ignored: the server may
/// close before reading everything.
pub async fn exchange(s: &mut TcpStream, request: &[u8]) -> String {
    let _ = s.write_all(request).await;
    until_closed(s, Duration::from_secs(10))
        .await
        .unwrap_or_default()
}

/// The status line of a raw response.
pub fn status_of(raw: &str) -> &str {
    raw.lines().next().unwrap_or("")
}

/// A complete GET of a free read as tenant alpha, closing after.
pub fn tenant_get(path: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: gw\r\nX-Api-Key: {}\r\nConnection: close\r\n\r\n",
        tenant_token("alpha")
    )
}

/// VmRSS of this process in KiB (Linux; 0 elsewhere).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn config_keys_reject_nonsense() {
    let text = TestConfig::new("http://127.0.0.1:9")
        .set("server", "max_connections", "10")
        .set("server", "max_connections_per_ip", "20")
        .set("server", "idle_timeout_ms", "0")
        .set("server", "io_threads", "1000")
        .toml();
    let err = heygen_gateway::config::Config::from_toml(&text)
        .expect_err("invalid connection keys")
        .to_string();
    assert!(err.contains("server.max_connections_per_ip"), "{err}");
    assert!(err.contains("server.idle_timeout_ms"), "{err}");
    assert!(err.contains("server.io_threads"), "{err}");
}
