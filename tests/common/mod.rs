//! Shared integration-test harness: the mock HeyGen upstream, an in-process
//! gateway started through the same code path as `serve`, a config builder,
//! a small HTTP client, metric assertions, polling and log capture.
//!
//! Every test file includes it with `mod common;` and uses only part of it.
#![allow(dead_code, unused_imports)]

mod client;
mod logs;
mod test_config;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use heygen_gateway::clock::{Clock, SystemClock};
use heygen_gateway::config::MapEnv;
use heygen_gateway::server::{RunningGateway, StartOptions};
use heygen_mock::{MockConfig, MockHeygen};
use sha2::{Digest, Sha256};

pub use client::{
    chunked_body, full, raw_http, send, send_body, send_h2, try_send, TestBody, TestResponse,
};
pub use logs::{capture_logs, LogBuffer};
pub use test_config::{TenantSpec, TestConfig};

/// The fake HeyGen org key the mock accepts and the gateway injects.
pub const ORG_KEY: &str = "sk_test_org_ORGKEY_0123456789";
/// The fake LiveAvatar org key (its own product and key, `X-API-KEY`).
pub const LIVEAVATAR_KEY: &str = "la_test_org_LAKEY_9876543210";
/// Bearer token of the admin API.
pub const ADMIN_TOKEN: &str = "admin_test_token_0123456789";
/// Secret HeyGen signs webhooks with.
pub const WEBHOOK_SECRET: &str = "whsec_test_0123456789abcdef";
/// The tenants every default [`TestConfig`] declares.
pub const TENANTS: [&str; 3] = ["alpha", "beta", "gamma"];

/// Sends `sig` (`HUP`, `TERM`, ...) to `pid` with `kill(1)`, as ops do to
/// a running `serve`.
pub fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill -{sig} {pid} failed");
}

/// The org key (see [`ORG_KEY`]).
pub fn org_key() -> &'static str {
    ORG_KEY
}

/// The token tenant `id` authenticates with.
pub fn tenant_token(id: &str) -> String {
    format!("hgw_test_{id}_5f3c9a1e7d2b4c6a8e0f1d3b5a7c9e2f")
}

/// `sha256:<hex>` of a token, as written in the config.
pub fn key_hash(token: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(token.as_bytes())))
}

/// Starts a mock HeyGen that accepts [`ORG_KEY`].
pub async fn start_mock() -> MockHeygen {
    MockHeygen::start(MockConfig::new(ORG_KEY))
        .await
        .expect("start mock HeyGen")
}

/// A mock HeyGen serving HTTPS (see [`mock_tls`]). A gateway reaches it
/// with [`TestConfig::for_mock`], which trusts the test CA for an
/// `https://` mock.
pub async fn start_mock_tls() -> MockHeygen {
    MockHeygen::start(MockConfig {
        tls: Some(mock_tls()),
        ..MockConfig::new(ORG_KEY)
    })
    .await
    .expect("start mock HeyGen over HTTPS")
}

/// TLS for a mock: the test CA's leaf for `localhost` (`tests/data/tls`),
/// HTTP/2 offered as HeyGen's hosts offer it.
pub fn mock_tls() -> heygen_mock::MockTls {
    let file = |name: &str| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/tls")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    heygen_mock::MockTls {
        cert_chain: vec![file("leaf.der")],
        key: file("leaf.key.der"),
        host: "localhost".into(),
    }
}

/// Environment the gateway resolves secrets from.
pub fn test_env() -> MapEnv {
    MapEnv::default()
        .with("HEYGEN_API_KEY", ORG_KEY)
        .with("LIVEAVATAR_API_KEY", LIVEAVATAR_KEY)
        .with("HEYGEN_GATEWAY_ADMIN_TOKEN", ADMIN_TOKEN)
        .with("HEYGEN_WEBHOOK_SECRET", WEBHOOK_SECRET)
}

/// A gateway running in-process on loopback.
pub struct TestGateway {
    pub addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub registry: prometheus::Registry,
    pub config_path: PathBuf,
    gateway: Option<RunningGateway>,
    // Keeps the ledger and config file alive as long as the gateway.
    _dir: tempfile::TempDir,
}

impl TestGateway {
    /// Starts with the system clock; panics with the error if it cannot start.
    pub async fn start(cfg: TestConfig) -> TestGateway {
        Self::start_with_clock(cfg, Arc::new(SystemClock)).await
    }

    /// Starts with an injected clock (e.g. `ManualClock`).
    pub async fn start_with_clock(cfg: TestConfig, clock: Arc<dyn Clock>) -> TestGateway {
        Self::try_start(cfg, clock)
            .await
            .unwrap_or_else(|e| panic!("gateway failed to start: {e:#}"))
    }

    /// Starts, returning the start error instead of panicking.
    pub async fn try_start(cfg: TestConfig, clock: Arc<dyn Clock>) -> anyhow::Result<TestGateway> {
        let config = cfg.config();
        let config_path = cfg.dir.path().join("gateway.toml");
        std::fs::write(&config_path, cfg.toml())?;
        let registry = prometheus::Registry::new();
        let opts = StartOptions {
            env: Arc::new(test_env()),
            clock,
            registry: registry.clone(),
            config_path: Some(config_path.clone()),
        };
        let gateway = RunningGateway::start(config, opts).await?;
        Ok(TestGateway {
            addr: gateway.addr,
            admin_addr: gateway.admin_addr,
            registry,
            config_path,
            gateway: Some(gateway),
            _dir: cfg.dir,
        })
    }

    /// `http://ADDR{path}` on the tenant listener.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `http://ADMIN_ADDR{path}` on the admin listener.
    pub fn admin_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.admin_addr)
    }

    /// Graceful shutdown (drains in-flight requests).
    pub async fn shutdown(mut self) {
        if let Some(g) = self.gateway.take() {
            g.shutdown().await;
        }
    }

    /// Graceful shutdown that hands back the temp dir (ledger and config)
    /// so a test can inspect what the gateway left behind.
    pub async fn shutdown_keeping_files(mut self) -> tempfile::TempDir {
        if let Some(g) = self.gateway.take() {
            g.shutdown().await;
        }
        let TestGateway { _dir, .. } = self;
        _dir
    }
}

/// The Prometheus text exposition from the admin listener.
pub async fn metrics_text(admin_addr: SocketAddr) -> String {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let resp = send(
        "GET",
        &format!("http://{admin_addr}/metrics"),
        &[("authorization", &auth)],
        "",
    )
    .await;
    assert_eq!(resp.status, 200, "GET /metrics: {}", resp.text());
    resp.text()
}

/// Asserts that `text` has a line exactly equal to `line`; fails with the dump.
#[track_caller]
pub fn assert_metric(text: &str, line: &str) {
    if !text.lines().any(|l| l.trim_end() == line) {
        panic!("metric line not found: {line}\n--- metrics ---\n{text}");
    }
}

/// The value of the sample `series` (name with labels, exactly as exposed).
pub fn metric_value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let (name, value) = l.rsplit_once(' ')?;
        (name == series).then(|| value.parse().ok()).flatten()
    })
}

/// The session meter's completed passes on the gateway at `admin_addr`.
async fn meter_ticks(admin_addr: SocketAddr) -> f64 {
    let series = "heygen_gateway_session_meter_ticks_total";
    let text = metrics_text(admin_addr).await;
    metric_value(&text, series).unwrap_or_else(|| panic!("{series} not exported:\n{text}"))
}

/// Waits until the session meter of every gateway in `admin_addrs` has
/// completed `passes` whole passes that began after this call, so a check
/// that nothing happened (still live, still held) follows passes that
/// judged the time set before it, however slow the machine. A pass under
/// way when the counter is read may have read the time before; the one
/// after it cannot have, hence `passes + 1` completions. Panics after 30 s.
pub async fn await_meter_passes(admin_addrs: &[SocketAddr], passes: u32) {
    let timeout = Duration::from_secs(30);
    let mut from = Vec::new();
    for addr in admin_addrs {
        from.push(meter_ticks(*addr).await);
    }
    let deadline = tokio::time::Instant::now() + timeout;
    for (addr, from) in admin_addrs.iter().zip(from) {
        let want = from + f64::from(passes) + 1.0;
        loop {
            let now = meter_ticks(*addr).await;
            if now >= want {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the session meter at {addr} completed {} passes in {timeout:?}, not {}: \
                 it is not running, or cannot read the live sessions (ledger_errors_total)",
                now - from,
                want - from,
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Polls `cond` every 10 ms until it holds; panics after `timeout`.
pub async fn eventually(mut cond: impl FnMut() -> bool, timeout: Duration) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !cond() {
        if tokio::time::Instant::now() >= deadline {
            panic!("condition not met within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Like [`eventually`] for an async condition.
pub async fn eventually_async<F, Fut>(mut cond: F, timeout: Duration)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while !cond().await {
        if tokio::time::Instant::now() >= deadline {
            panic!("condition not met within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `METHOD path` on `gw` as `tenant` (its gateway key), with a JSON body.
pub async fn call_as(
    gw: &TestGateway,
    tenant: &str,
    method: &str,
    path: &str,
    body: &str,
) -> TestResponse {
    let token = tenant_token(tenant);
    let headers = [
        ("x-api-key", token.as_str()),
        ("content-type", "application/json"),
    ];
    send(method, &gw.url(path), &headers, body.to_string()).await
}
