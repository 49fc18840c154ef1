//! The billing suite's rig: a mock HeyGen and a gateway in front of it,
//! with calls as a tenant and on the admin listener, usage windows, holds,
//! the journal, quotes, the CLI, and waits for settlement to go quiet.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use heygen_gateway::clock::{Clock, SystemClock};
use heygen_mock::MockHeygen;
use serde_json::{json, Value};

use crate::common::*;

/// How long background settlement may take before a test fails.
pub const SETTLE_WAIT: Duration = Duration::from_secs(30);
/// Consecutive unchanged polls (50 ms apart) that count as "settled down".
pub const QUIET_POLLS: usize = 10;

/// A mock HeyGen and a gateway in front of it.
pub struct Rig {
    pub mock: MockHeygen,
    pub gw: TestGateway,
}

impl Rig {
    /// Default config (system clock) adjusted by `f`.
    pub async fn start(f: impl FnOnce(TestConfig) -> TestConfig) -> Rig {
        Self::start_with_clock(f, Arc::new(SystemClock)).await
    }

    /// Like [`Rig::start`] with an injected clock.
    pub async fn start_with_clock(
        f: impl FnOnce(TestConfig) -> TestConfig,
        clock: Arc<dyn Clock>,
    ) -> Rig {
        let mock = start_mock().await;
        let gw = TestGateway::start_with_clock(f(TestConfig::for_mock(&mock)), clock).await;
        Rig { mock, gw }
    }

    /// Like [`Rig::start`] with the mock serving HTTPS with HTTP/2 offered,
    /// as HeyGen does (`start_mock_tls`).
    pub async fn start_tls(f: impl FnOnce(TestConfig) -> TestConfig) -> Rig {
        let mock = start_mock_tls().await;
        let gw = TestGateway::start(f(TestConfig::for_mock(&mock))).await;
        Rig { mock, gw }
    }

    /// `method path` as `tenant` with `extra` headers and a raw body.
    pub async fn call(
        &self,
        tenant: &str,
        method: &str,
        path: &str,
        extra: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> TestResponse {
        let token = tenant_token(tenant);
        let mut headers = vec![
            ("x-api-key", token.as_str()),
            ("content-type", "application/json"),
        ];
        headers.extend_from_slice(extra);
        send(method, &self.gw.url(path), &headers, body).await
    }

    /// `POST path` with a JSON body as tenant alpha.
    pub async fn post(&self, path: &str, body: &Value) -> TestResponse {
        self.call("alpha", "POST", path, &[], body.to_string())
            .await
    }

    /// `GET path` as tenant alpha.
    pub async fn get(&self, path: &str) -> TestResponse {
        self.call("alpha", "GET", path, &[], "").await
    }

    /// `GET /gateway/v1/usage` of `tenant`: its windows array.
    pub async fn usage(&self, tenant: &str) -> Value {
        let resp = self.call(tenant, "GET", "/gateway/v1/usage", &[], "").await;
        assert_eq!(resp.status, 200, "usage: {}", resp.text());
        resp.json()["data"]["windows"].clone()
    }

    /// One window (`daily`, `monthly`, …) of `tenant`'s usage.
    pub async fn window(&self, tenant: &str, window: &str) -> Value {
        let windows = self.usage(tenant).await;
        windows
            .as_array()
            .and_then(|ws| ws.iter().find(|w| w["window"] == window))
            .cloned()
            .unwrap_or_else(|| panic!("no {window} window in {windows}"))
    }

    /// `(held, spent, remaining)` of one window, as the decimal strings served.
    pub async fn credits(&self, tenant: &str, window: &str) -> (String, String, Value) {
        let w = self.window(tenant, window).await;
        (
            w["held"].as_str().unwrap_or_default().to_string(),
            w["spent"].as_str().unwrap_or_default().to_string(),
            w["remaining"].clone(),
        )
    }

    /// `GET /admin/v1/holds[?state=…]`.
    pub async fn holds(&self, state: Option<&str>) -> Vec<Value> {
        let path = match state {
            Some(s) => format!("/admin/v1/holds?state={s}"),
            None => "/admin/v1/holds".to_string(),
        };
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let resp = send(
            "GET",
            &self.gw.admin_url(&path),
            &[("authorization", &auth)],
            "",
        )
        .await;
        assert_eq!(resp.status, 200, "{path}: {}", resp.text());
        resp.json()["data"].as_array().cloned().unwrap_or_default()
    }

    /// One hold by id (any state); panics if absent.
    pub async fn hold(&self, hold_id: &str) -> Value {
        self.holds(None)
            .await
            .into_iter()
            .find(|h| h["hold_id"] == hold_id)
            .unwrap_or_else(|| panic!("no hold {hold_id}"))
    }

    /// Waits until hold `hold_id` is in `state`, then returns it.
    pub async fn wait_hold(&self, hold_id: &str, state: &str) -> Value {
        eventually_async(
            || async { self.hold(hold_id).await["state"] == state },
            SETTLE_WAIT,
        )
        .await;
        self.hold(hold_id).await
    }

    /// Runs `heygen-gateway COMMAND --config <this gateway's config> ARGS`.
    pub fn cli(&self, command: &str, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_heygen-gateway"))
            .arg(command)
            .arg("--config")
            .arg(&self.gw.config_path)
            .args(args)
            .env("HEYGEN_API_KEY", ORG_KEY)
            .output()
            .unwrap_or_else(|e| panic!("run heygen-gateway {command}: {e}"))
    }

    /// `METHOD path` on the admin listener with the admin token.
    pub async fn admin(&self, method: &str, path: &str, body: &str) -> TestResponse {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        send(
            method,
            &self.gw.admin_url(path),
            &[
                ("authorization", auth.as_str()),
                ("content-type", "application/json"),
            ],
            body.to_string(),
        )
        .await
    }

    /// The admin journal (JSON lines).
    pub async fn journal(&self) -> Vec<Value> {
        let resp = self.admin("GET", "/admin/v1/ledger", "").await;
        assert_eq!(resp.status, 200, "ledger: {}", resp.text());
        resp.text()
            .lines()
            .map(|l| serde_json::from_str(l).expect("journal line is JSON"))
            .collect()
    }

    /// The `heygen_gateway_credits_*` samples of the exposition, in order.
    pub async fn credit_metrics(&self) -> Vec<String> {
        metrics_text(self.gw.admin_addr)
            .await
            .lines()
            .filter(|l| l.starts_with("heygen_gateway_credits_"))
            .map(str::to_string)
            .collect()
    }

    /// Waits until background settlement has gone quiet: the journal and the
    /// credit counters stay the same over [`QUIET_POLLS`] consecutive polls.
    /// Returns the journal. Use it after a condition proving the work under
    /// test started (e.g. its status re-read reached the mock), so a slow
    /// second capture is seen before the test asserts there was none.
    pub async fn journal_when_quiet(&self) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + SETTLE_WAIT;
        let mut last = (self.journal().await, self.credit_metrics().await);
        let mut same = 0;
        while same < QUIET_POLLS {
            assert!(
                tokio::time::Instant::now() < deadline,
                "settlement never went quiet within {SETTLE_WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
            let now = (self.journal().await, self.credit_metrics().await);
            if now == last {
                same += 1;
            } else {
                same = 0;
                last = now;
            }
        }
        last.0
    }

    /// `POST /gateway/v1/quote` as alpha: the `data` object.
    pub async fn quote(&self, method: &str, path: &str, body: &Value) -> Value {
        let req = json!({"method": method, "path": path, "body": body});
        let resp = self
            .call("alpha", "POST", "/gateway/v1/quote", &[], req.to_string())
            .await;
        assert_eq!(resp.status, 200, "quote: {}", resp.text());
        resp.json()["data"].clone()
    }

    /// Creates sent to the mock on `path`.
    pub fn creates(&self, path: &str) -> usize {
        self.mock
            .requests_to(path)
            .iter()
            .filter(|r| r.method == http::Method::POST)
            .count()
    }
}
