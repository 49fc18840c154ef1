//! Webhook fan-out (issue 9) end to end: tenants register endpoints with the
//! in-process gateway, the mock HeyGen's jobs complete, signed HeyGen
//! webhooks arrive, and a local receiver on 127.0.0.1 (allowed through the
//! egress guard by `[egress] allow_cidrs`) records what the gateway sends.
//! The last test SIGKILLs the real binary with a delivery pending.
//!
//! Retries are shortened through `webhooks.fanout_retry_base_ms`; waits are
//! `eventually` polls, and "never again" is checked over quiet polls after
//! the delivery log shows the row finished. Nothing asserts on elapsed time.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[path = "fanout/batches.rs"]
mod batches;
#[path = "fanout/crash.rs"]
mod crash;
#[path = "fanout/delivery.rs"]
mod delivery;
#[path = "fanout/endpoints.rs"]
mod endpoints;
#[path = "fanout/fairness.rs"]
mod fairness;
#[path = "processes/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "fanout/parked_cap.rs"]
mod parked_cap;
#[path = "fanout/receiver.rs"]
mod receiver;
#[path = "fanout/redeliver.rs"]
mod redeliver;
#[path = "fanout/tenants.rs"]
mod tenants;

use std::time::Duration;

use common::*;
use heygen_mock::webhook::avatar_video_success;
use heygen_mock::{send_webhook, MockHeygen};
use serde_json::{json, Value};

/// How long background work (settlement, delivery) may take before a test fails.
pub const WAIT: Duration = Duration::from_secs(30);
/// Polls (50 ms apart) during which nothing more may arrive.
pub const QUIET_POLLS: usize = 10;

/// Fast fan-out for tests: poll every 20 ms, first retry within 50 ms, and
/// the local receiver allowed through the egress guard.
pub fn fast(cfg: TestConfig) -> TestConfig {
    cfg.set("egress", "allow_cidrs", r#"["127.0.0.1/32"]"#)
        .set("webhooks", "fanout_interval_ms", "20")
        .set("webhooks", "fanout_retry_base_ms", "50")
}

/// A mock HeyGen and a gateway in front of it.
pub struct Rig {
    pub mock: MockHeygen,
    pub gw: TestGateway,
}

impl Rig {
    pub async fn start(f: impl FnOnce(TestConfig) -> TestConfig) -> Rig {
        let mock = start_mock().await;
        let gw = TestGateway::start(f(TestConfig::for_mock(&mock))).await;
        Rig { mock, gw }
    }

    /// `method path` as `tenant` with a raw body.
    pub async fn call(&self, tenant: &str, method: &str, path: &str, body: &str) -> TestResponse {
        let token = tenant_token(tenant);
        let headers = [
            ("x-api-key", token.as_str()),
            ("content-type", "application/json"),
        ];
        send(method, &self.gw.url(path), &headers, body.to_string()).await
    }

    /// Registers `url` for `tenant`; returns `(endpoint_id, secret)`.
    pub async fn register(
        &self,
        tenant: &str,
        url: &str,
        events: Option<&[&str]>,
    ) -> (String, String) {
        let body = match events {
            Some(e) => json!({"url": url, "events": e}),
            None => json!({"url": url}),
        };
        let r = self
            .call(
                tenant,
                "POST",
                "/gateway/v1/webhooks/endpoints",
                &body.to_string(),
            )
            .await;
        assert_eq!(r.status, 201, "register {url}: {}", r.text());
        let data = r.json()["data"].clone();
        (
            data["endpoint_id"].as_str().unwrap().to_string(),
            data["secret"].as_str().unwrap().to_string(),
        )
    }

    /// Creates a video as `tenant`, completes it on the mock; returns its id.
    pub async fn finished_video(&self, tenant: &str) -> String {
        let body = json!({"video_inputs": [{"voice": {"type": "silence", "duration": 3.0}}]});
        let r = self
            .call(tenant, "POST", "/v2/video/generate", &body.to_string())
            .await;
        assert_eq!(r.status, 200, "generate: {}", r.text());
        let id = r.json()["data"]["video_id"].as_str().unwrap().to_string();
        assert!(self.mock.complete(&id, 10.0));
        id
    }

    /// Sends HeyGen's signed (legacy) webhook with `body`; asserts 200.
    pub async fn heygen_webhook(&self, body: &str) {
        let status = send_webhook(
            &self.gw.url("/gateway/v1/webhooks/heygen"),
            WEBHOOK_SECRET,
            false,
            body.as_bytes(),
        )
        .await
        .expect("webhook sent");
        assert_eq!(status.as_u16(), 200);
    }

    /// `GET /gateway/v1/webhooks/deliveries` of `tenant` (optionally one endpoint).
    pub async fn deliveries(&self, tenant: &str, endpoint_id: Option<&str>) -> Vec<Value> {
        let path = match endpoint_id {
            Some(e) => format!("/gateway/v1/webhooks/deliveries?endpoint_id={e}"),
            None => "/gateway/v1/webhooks/deliveries".to_string(),
        };
        let r = self.call(tenant, "GET", &path, "").await;
        assert_eq!(r.status, 200, "deliveries: {}", r.text());
        r.json()["data"]["deliveries"].as_array().cloned().unwrap()
    }

    /// Waits until every delivery of `tenant` has left `pending`.
    pub async fn wait_settled_log(&self, tenant: &str, rows: usize) -> Vec<Value> {
        eventually_async(
            || async {
                let log = self.deliveries(tenant, None).await;
                log.len() == rows && log.iter().all(|d| d["state"] != "pending")
            },
            WAIT,
        )
        .await;
        self.deliveries(tenant, None).await
    }

    pub async fn metrics(&self) -> String {
        metrics_text(self.gw.admin_addr).await
    }

    /// Writes a new config for the gateway (the fast fan-out defaults
    /// adjusted by `f`) on the same ledger file, and reloads it through the
    /// admin API; returns the reload's answer.
    pub async fn reload(&self, f: impl FnOnce(TestConfig) -> TestConfig) -> TestResponse {
        // The harness keeps the ledger next to the config file.
        let dir = self.gw.config_path.parent().expect("config dir");
        let store = format!("sqlite://{}", dir.join("ledger.db").display());
        let cfg =
            f(fast(TestConfig::for_mock(&self.mock))).set("store", "url", &format!("{store:?}"));
        std::fs::write(&self.gw.config_path, cfg.toml()).expect("write config");
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let r = send(
            "POST",
            &self.gw.admin_url("/admin/v1/reload"),
            &[("authorization", auth.as_str())],
            String::new(),
        )
        .await;
        assert_eq!(r.status, 200, "reload: {}", r.text());
        r
    }
}

/// HeyGen's `avatar_video.success` for `video`, as sent.
pub fn success_event(video: &str) -> String {
    avatar_video_success(video, "https://files.example/v.mp4", None).to_string()
}

/// Asserts `count()` stays at `n` over [`QUIET_POLLS`] polls.
pub async fn stays(n: usize, count: impl Fn() -> usize) {
    for _ in 0..QUIET_POLLS {
        assert_eq!(count(), n, "something more arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
