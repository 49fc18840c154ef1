//! Integration tests of operations (issue 5, "Tests that must exist"), all
//! through the real gateway in front of the mock HeyGen: exact metric lines
//! after known traffic, budget gauges of idle tenants, threshold alerts,
//! rate and render-concurrency limits, the admin API, hot reload, shadow mode
//! the remaining-quota poll, and SIGHUP reload of the real binary.
//!
//! The billable request they use is a one-scene v2 video of 3 s silence:
//! projected at 30 s = 0.5 credit (`standard_avatar`, settled per job).

mod common;

#[path = "ops/admin.rs"]
mod admin;
#[path = "ops/admin_adjust_keys.rs"]
mod admin_adjust_keys;
#[path = "ops/admin_ledger.rs"]
mod admin_ledger;
#[path = "ops/limits.rs"]
mod limits;
#[path = "ops/logs.rs"]
mod logs;
#[path = "ops/metrics.rs"]
mod metrics;
#[path = "ops/metrics_alerts.rs"]
mod metrics_alerts;
#[path = "ops/reload.rs"]
mod reload;
#[path = "ops/shadow.rs"]
mod shadow;
#[path = "ops/shutdown.rs"]
mod shutdown;
#[path = "ops/sighup.rs"]
mod sighup;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use common::*;
use heygen_gateway::clock::{Clock, ManualClock};
use heygen_mock::MockHeygen;
use serde_json::{json, Value};

/// How long background work (settlement tasks, gauge ticks) may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// A v2 video of one 3 s silent scene: 0.5 credit projected.
pub fn video_body() -> String {
    json!({"video_inputs": [{"voice": {"type": "silence", "duration": 3.0}}]}).to_string()
}

/// Noon on a weekday, far from any window boundary.
pub fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 11, 12, 0, 0)
        .single()
        .expect("valid time")
}

/// A mock HeyGen and a gateway in front of it.
pub struct Rig {
    pub mock: MockHeygen,
    pub gw: TestGateway,
    /// Set when started with [`Rig::start_manual`].
    pub clock: Option<Arc<ManualClock>>,
}

impl Rig {
    /// A gateway with the system clock and the config adjusted by `f`.
    pub async fn start(f: impl FnOnce(TestConfig) -> TestConfig) -> Rig {
        let mock = start_mock().await;
        let gw = TestGateway::start(f(TestConfig::for_mock(&mock))).await;
        Rig {
            mock,
            gw,
            clock: None,
        }
    }

    /// Like [`Rig::start`] with a [`ManualClock`] set to [`noon`].
    pub async fn start_manual(f: impl FnOnce(TestConfig) -> TestConfig) -> Rig {
        let mock = start_mock().await;
        let clock = Arc::new(ManualClock::new(noon()));
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        let gw = TestGateway::start_with_clock(f(TestConfig::for_mock(&mock)), dyn_clock).await;
        Rig {
            mock,
            gw,
            clock: Some(clock),
        }
    }

    pub fn clock(&self) -> &ManualClock {
        self.clock
            .as_deref()
            .expect("rig started with a manual clock")
    }

    /// `POST /v2/video/generate` ([`video_body`]) as `tenant`.
    pub async fn video(&self, tenant: &str) -> TestResponse {
        let token = tenant_token(tenant);
        send(
            "POST",
            &self.gw.url("/v2/video/generate"),
            &[
                ("x-api-key", token.as_str()),
                ("content-type", "application/json"),
            ],
            video_body(),
        )
        .await
    }

    /// A video that must be accepted; returns HeyGen's video id.
    pub async fn video_ok(&self, tenant: &str) -> String {
        let r = self.video(tenant).await;
        assert_eq!(r.status, 200, "video for {tenant}: {}", r.text());
        r.json()["data"]["video_id"]
            .as_str()
            .expect("video_id in the answer")
            .to_string()
    }

    /// A free read as `tenant` (HeyGen's quota endpoint).
    pub async fn read(&self, tenant: &str) -> TestResponse {
        let token = tenant_token(tenant);
        send(
            "GET",
            &self.gw.url("/v2/avatars"),
            &[("x-api-key", token.as_str())],
            "",
        )
        .await
    }

    /// Completes `video_id` on the mock with `secs` of output, reads its
    /// status through the gateway as `tenant` and waits until one more of
    /// the tenant's holds is captured (the settlement runs in a task).
    pub async fn settle(&self, tenant: &str, video_id: &str, secs: f64) {
        let before = self.captured(tenant).await;
        assert!(self.mock.control().complete(video_id, secs), "unknown job");
        let token = tenant_token(tenant);
        let r = send(
            "GET",
            &self
                .gw
                .url(&format!("/v1/video_status.get?video_id={video_id}")),
            &[("x-api-key", token.as_str())],
            "",
        )
        .await;
        assert_eq!(r.status, 200, "status read: {}", r.text());
        eventually_async(|| async { self.captured(tenant).await == before + 1 }, WAIT).await;
    }

    /// Number of `tenant`'s captured holds.
    pub async fn captured(&self, tenant: &str) -> usize {
        self.holds(&format!("tenant={tenant}&state=captured"))
            .await
            .len()
    }

    /// `GET /admin/v1/holds?{query}`: the list.
    pub async fn holds(&self, query: &str) -> Vec<Value> {
        let r = self.admin("GET", &format!("holds?{query}"), "").await;
        assert_eq!(r.status, 200, "holds?{query}: {}", r.text());
        r.json()["data"].as_array().expect("holds list").clone()
    }

    /// An admin API call with the right bearer token (`path` after `/admin/v1/`).
    pub async fn admin(&self, method: &str, path: &str, body: &str) -> TestResponse {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        send(
            method,
            &self.gw.admin_url(&format!("/admin/v1/{path}")),
            &[
                ("authorization", auth.as_str()),
                ("content-type", "application/json"),
            ],
            body.to_string(),
        )
        .await
    }

    /// `GET /gateway/v1/usage` as `tenant`: the `windows` array.
    pub async fn usage(&self, tenant: &str) -> Vec<Value> {
        let token = tenant_token(tenant);
        let r = send(
            "GET",
            &self.gw.url("/gateway/v1/usage"),
            &[("x-api-key", token.as_str())],
            "",
        )
        .await;
        assert_eq!(r.status, 200, "usage: {}", r.text());
        r.json()["data"]["windows"]
            .as_array()
            .expect("windows")
            .clone()
    }

    /// The Prometheus exposition.
    pub async fn metrics(&self) -> String {
        metrics_text(self.gw.admin_addr).await
    }

    /// Waits until the exposition has the exact line `line`.
    pub async fn wait_metric(&self, line: &str) {
        let addr = self.gw.admin_addr;
        let found = tokio::time::timeout(WAIT, async {
            loop {
                let text = metrics_text(addr).await;
                if text.lines().any(|l| l.trim_end() == line) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        if found.is_err() {
            let text = metrics_text(addr).await;
            panic!("metric line never appeared: {line}\n--- metrics ---\n{text}");
        }
    }
}

/// The window named `name` of a `windows` array.
pub fn window<'a>(windows: &'a [Value], name: &str) -> &'a Value {
    windows
        .iter()
        .find(|w| w["window"] == name)
        .unwrap_or_else(|| panic!("no {name} window in {windows:?}"))
}

/// The tenant `id` in `GET /admin/v1/tenants`.
pub fn admin_tenant(body: &Value, id: &str) -> Value {
    body["data"]["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no tenant {id} in {body}"))
        .clone()
}
