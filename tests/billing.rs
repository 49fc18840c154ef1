//! End-to-end tests of pricing and the ledger through the gateway (issues 3
//! and 4), SQLite backend unless noted: budget races, billing headers,
//! releases on upstream failure, settlement by status read / webhook /
//! poller / TTL, idempotency, calendar windows, plan policy, route access,
//! ledger outage (PostgreSQL stopped) and quotes (endpoint and CLI).
//!
//! Background settlement is awaited with `eventually_async`; TTLs and window
//! resets move a `ManualClock`. Nothing asserts on elapsed time.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/pg.rs"]
mod pg;

#[path = "billing/batches.rs"]
mod batches;
#[path = "billing/calibration.rs"]
mod calibration;
#[path = "billing/chaos.rs"]
mod chaos;
#[path = "billing/cli.rs"]
mod cli;
#[path = "billing/contacts.rs"]
mod contacts;
#[path = "billing/delete.rs"]
mod delete;
#[path = "billing/failures.rs"]
mod failures;
#[path = "billing/headers.rs"]
mod headers;
#[path = "billing/idempotency.rs"]
mod idempotency;
#[path = "billing/ledger_down.rs"]
mod ledger_down;
#[path = "billing/liveavatar.rs"]
mod liveavatar;
#[path = "billing/liveavatar_keys.rs"]
mod liveavatar_keys;
#[path = "billing/lookups.rs"]
mod lookups;
#[path = "billing/policy.rs"]
mod policy;
#[path = "billing/probing.rs"]
mod probing;
#[path = "billing/quote.rs"]
mod quote;
#[path = "billing/race.rs"]
mod race;
#[path = "billing/regressions.rs"]
mod regressions;
#[path = "billing/reports.rs"]
mod reports;
#[path = "billing/retries.rs"]
mod retries;
#[path = "billing/retries_scope.rs"]
mod retries_scope;
#[path = "billing/retries_sessions.rs"]
mod retries_sessions;
#[path = "billing/session_ticks.rs"]
mod session_ticks;
#[path = "billing/sessions.rs"]
mod sessions;
#[path = "billing/settlement.rs"]
mod settlement;
#[path = "billing/sources.rs"]
mod sources;
#[path = "billing/test_mode.rs"]
mod test_mode;
#[path = "billing/token_binding.rs"]
mod token_binding;
#[path = "billing/uploads.rs"]
mod uploads;
#[path = "billing/windows.rs"]
mod windows;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use heygen_gateway::clock::{Clock, ManualClock, SystemClock};
use heygen_mock::MockHeygen;
use serde_json::{json, Value};

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

/// A manual clock at `rfc3339`, shared with the gateway.
pub fn manual_clock(rfc3339: &str) -> Arc<ManualClock> {
    let at = chrono::DateTime::parse_from_rfc3339(rfc3339)
        .expect("valid RFC 3339 time")
        .with_timezone(&chrono::Utc);
    Arc::new(ManualClock::new(at))
}

/// A v2 scene speaking `text` with a standard avatar.
pub fn text_scene(text: &str) -> Value {
    json!({"character": {"type": "avatar", "avatar_id": "Daisy-inskirt-20220818"},
           "voice": {"type": "text", "voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54", "input_text": text}})
}

/// `POST /v2/video/generate` body projecting 8.8 s → 30 s = 0.5 credit.
pub fn half_credit() -> Value {
    json!({"video_inputs": [text_scene(&"word ".repeat(20))]})
}

/// 150 words: 66 s with the safety factor → 90 s = 1.5 credits.
pub fn one_and_a_half() -> Value {
    json!({"video_inputs": [text_scene(&"word ".repeat(150))]})
}

/// One Avatar IV scene of 20 words: 30 s at 6 credits/min = 3 credits.
pub fn avatar_iv_three() -> Value {
    let mut scene = text_scene(&"word ".repeat(20));
    scene["character"]["use_avatar_iv_model"] = json!(true);
    json!({ "video_inputs": [scene] })
}

/// A v3 avatar video body with `extra` fields merged in.
pub fn v3_video(extra: Value) -> Value {
    let mut body = json!({"type": "avatar", "avatar_id": "Daisy-inskirt-20220818",
                          "script": "word ".repeat(20), "voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    body
}

/// The `video_id` of a create answer in any envelope.
pub fn video_id(resp: &TestResponse) -> String {
    resp.json()["data"]["video_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no video_id in {}", resp.text()))
        .to_string()
}

/// The `X-Gateway-Hold-Id` of a billable answer.
pub fn hold_id(resp: &TestResponse) -> String {
    resp.header("x-gateway-hold-id")
        .unwrap_or_else(|| panic!("no X-Gateway-Hold-Id ({}): {}", resp.status, resp.text()))
        .to_string()
}

/// Asserts a gateway refusal: status, envelope code and `X-Gateway-Rejected`.
#[track_caller]
pub fn assert_refused(resp: &TestResponse, status: u16, code: &str, reason: &str) {
    assert_eq!(resp.status, status, "body: {}", resp.text());
    assert_eq!(
        resp.header("x-gateway-rejected"),
        Some(reason),
        "X-Gateway-Rejected; body: {}",
        resp.text()
    );
    let body = resp.json();
    let got = body["error"]["code"]
        .as_str()
        .or_else(|| body["error_code"].as_str());
    assert_eq!(got, Some(code), "error code in {body}");
}

/// Asserts the v2 envelope shape `{"data": null, "error": {...}}`.
#[track_caller]
pub fn assert_v2_envelope(body: &Value) {
    assert!(body["data"].is_null(), "v2 envelope has data: null: {body}");
    assert!(body["error"].is_object(), "v2 envelope has error: {body}");
}

/// Tenant limits high enough that the rate limiter never interferes.
pub const NO_RATE_LIMIT: &str = "requests_per_minute = 1000000, burst = 100000";
