//! Shared integration-test harness: the mock HeyGen upstream, an in-process
//! gateway started through the same code path as `serve`, a config builder,
//! a small HTTP client, metric assertions, polling and log capture.
//!
//! Every test file includes it with `mod common;` and uses only part of it.
#![allow(dead_code, unused_imports)]

mod client;
mod logs;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use heygen_gateway::clock::{Clock, SystemClock};
use heygen_gateway::config::{Config, MapEnv};
use heygen_gateway::server::{RunningGateway, StartOptions};
use heygen_mock::{MockConfig, MockHeygen};
use sha2::{Digest, Sha256};

pub use client::{
    chunked_body, full, raw_http, send, send_body, send_h2, try_send, TestBody, TestResponse,
};
pub use logs::{capture_logs, LogBuffer};

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

/// One `[[tenants]]` entry.
#[derive(Debug, Clone)]
pub struct TenantSpec {
    pub id: String,
    pub enabled: bool,
    /// Config key hashes (`sha256:…`).
    pub keys: Vec<String>,
    /// Inline-table body, e.g. `daily = 50, monthly = 600`.
    pub budgets: Option<String>,
    /// Inline-table body, e.g. `requests_per_minute = 120, burst = 20`.
    pub limits: Option<String>,
    /// Further `key = value` lines, verbatim.
    pub lines: Vec<String>,
}

impl TenantSpec {
    /// An enabled tenant holding the key [`tenant_token`]`(id)`, no budgets.
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_string(),
            enabled: true,
            keys: vec![key_hash(&tenant_token(id))],
            budgets: None,
            limits: None,
            lines: Vec::new(),
        }
    }

    fn to_toml(&self) -> String {
        let keys: Vec<String> = self.keys.iter().map(|k| format!("{k:?}")).collect();
        let mut out = format!(
            "\n[[tenants]]\nid = {:?}\nname = \"Tenant {}\"\nenabled = {}\nkeys = [{}]\n",
            self.id,
            self.id,
            self.enabled,
            keys.join(", ")
        );
        if let Some(b) = &self.budgets {
            out.push_str(&format!("budgets = {{ {b} }}\n"));
        }
        if let Some(l) = &self.limits {
            out.push_str(&format!("limits = {{ {l} }}\n"));
        }
        for line in &self.lines {
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

/// Builds the TOML a test gateway runs with: loopback listeners on port 0,
/// upstreams pointing at the mock, a SQLite ledger in a temp dir, three
/// tenants. Sections are `key = value` maps so tests override single keys.
pub struct TestConfig {
    pub dir: tempfile::TempDir,
    sections: BTreeMap<String, BTreeMap<String, String>>,
    pub tenants: Vec<TenantSpec>,
    extra: String,
}

impl TestConfig {
    /// Defaults with both upstream URLs set to `upstream_url` (any URL: a dead
    /// port makes an "upstream down" test).
    pub fn new(upstream_url: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("ledger.db");
        let mut cfg = Self {
            dir,
            sections: BTreeMap::new(),
            tenants: TENANTS.iter().map(|id| TenantSpec::new(id)).collect(),
            extra: String::new(),
        };
        cfg = cfg
            .set("server", "listen", "\"127.0.0.1:0\"")
            .set("server", "admin_listen", "\"127.0.0.1:0\"")
            .set("server", "shutdown_grace_seconds", "5")
            .set("upstream", "api_url", &format!("{upstream_url:?}"))
            .set("upstream", "upload_url", &format!("{upstream_url:?}"))
            .set("upstream", "api_key_env", "\"HEYGEN_API_KEY\"")
            .set(
                "store",
                "url",
                &format!("{:?}", format!("sqlite://{}", db.display())),
            )
            .set("webhooks", "secret_env", "\"HEYGEN_WEBHOOK_SECRET\"")
            // The quota poll would add requests the tests count on the mock.
            .set("metrics", "quota_poll_seconds", "0");
        cfg
    }

    /// Defaults pointing at `mock`.
    pub fn for_mock(mock: &MockHeygen) -> Self {
        Self::new(&mock.url())
    }

    /// Sets `key = value` (value is TOML, quote strings) in `[section]`
    /// (dotted sections like `org.budgets` work).
    pub fn set(mut self, section: &str, key: &str, value: &str) -> Self {
        self.sections
            .entry(section.to_string())
            .or_default()
            .insert(key.to_string(), value.to_string());
        self
    }

    /// Removes a key set by default.
    pub fn unset(mut self, section: &str, key: &str) -> Self {
        if let Some(s) = self.sections.get_mut(section) {
            s.remove(key);
        }
        self
    }

    /// `[org.budgets]` from `key = value` pairs, e.g. `&[("monthly", "5000")]`.
    pub fn org_budgets(mut self, pairs: &[(&str, &str)]) -> Self {
        for (k, v) in pairs {
            self = self.set("org.budgets", k, v);
        }
        self
    }

    /// Changes the tenant `id` (which must exist).
    pub fn tenant(mut self, id: &str, f: impl FnOnce(&mut TenantSpec)) -> Self {
        let t = self
            .tenants
            .iter_mut()
            .find(|t| t.id == id)
            .unwrap_or_else(|| panic!("no tenant {id:?} in the test config"));
        f(t);
        self
    }

    /// Tenant budgets as an inline-table body: `"daily = 50, monthly = 600"`.
    pub fn tenant_budgets(self, id: &str, budgets: &str) -> Self {
        self.tenant(id, |t| t.budgets = Some(budgets.to_string()))
    }

    /// Tenant limits as an inline-table body.
    pub fn tenant_limits(self, id: &str, limits: &str) -> Self {
        self.tenant(id, |t| t.limits = Some(limits.to_string()))
    }

    pub fn disable_tenant(self, id: &str) -> Self {
        self.tenant(id, |t| t.enabled = false)
    }

    pub fn add_tenant(mut self, spec: TenantSpec) -> Self {
        self.tenants.push(spec);
        self
    }

    /// TOML appended verbatim after everything else (new tables only).
    pub fn extra(mut self, toml: &str) -> Self {
        self.extra.push('\n');
        self.extra.push_str(toml);
        self
    }

    /// The config file text.
    pub fn toml(&self) -> String {
        let mut out = String::new();
        for (section, keys) in &self.sections {
            out.push_str(&format!("[{section}]\n"));
            for (k, v) in keys {
                out.push_str(&format!("{k} = {v}\n"));
            }
            out.push('\n');
        }
        for t in &self.tenants {
            out.push_str(&t.to_toml());
        }
        out.push_str(&self.extra);
        out
    }

    /// Parses the TOML, panicking with every config error and the text.
    pub fn config(&self) -> Config {
        let text = self.toml();
        Config::from_toml(&text)
            .unwrap_or_else(|e| panic!("test config is invalid:\n{e}\n--- config ---\n{text}"))
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
