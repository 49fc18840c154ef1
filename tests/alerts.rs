//! Alert delivery (issue 15) end to end: budgets crossing thresholds and
//! running out, sessions stopped at their budget, sent once per period to
//! local receivers on 127.0.0.1 (allowed through the egress guard by
//! `[egress] allow_cidrs`) in Slack and JSON format; retries, restarts on
//! the same SQLite file, the egress guard refusing private addresses, and
//! the config errors; a replica a newer build left behind (`schema.rs`).
//!
//! Waits are `eventually` polls; "nothing more" is checked over quiet polls
//! while the gauge tick (every second) keeps re-offering the same alerts.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/pg.rs"]
mod pg;

#[path = "alerts/config.rs"]
mod config;
#[path = "alerts/delivery.rs"]
mod delivery;
#[path = "alerts/events.rs"]
mod events;

#[path = "fanout/receiver.rs"]
#[allow(dead_code)]
mod receiver;

#[path = "alerts/schema.rs"]
mod schema;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use heygen_gateway::clock::{Clock, ManualClock};
use heygen_gateway::ledger::AlertInfo;
use heygen_gateway::server::{RunningGateway, StartOptions};
use heygen_mock::MockHeygen;
use receiver::Receiver;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);
/// Polls (100 ms apart) during which nothing more may arrive: longer than
/// two gauge ticks, so a repeat would have been offered.
const QUIET_POLLS: usize = 25;

/// A gateway started with env vars for the alert webhook URLs.
struct Rig {
    /// Kept alive as long as the gateway forwards to it.
    _mock: MockHeygen,
    gw: Option<RunningGateway>,
    cfg: TestConfig,
}

/// Fast alerts: gauge tick 1 s, alert worker every 20 ms, retries from
/// 20 ms, the loopback receivers allowed, thresholds 80 and 90.
fn fast(cfg: TestConfig) -> TestConfig {
    cfg.set("egress", "allow_cidrs", r#"["127.0.0.1/32"]"#)
        .set("metrics", "gauge_interval_seconds", "1")
        .set("metrics", "alert_thresholds", "[80, 90]")
        .set("alerts", "interval_ms", "20")
        .set("alerts", "retry_base_ms", "20")
}

fn webhook(name: &str, env: &str, format: &str, events: Option<&str>) -> String {
    let events = events.map_or(String::new(), |e| format!("events = {e}\n"));
    format!(
        "[[alerts.webhooks]]\nname = {name:?}\nurl_env = {env:?}\nformat = {format:?}\n{events}"
    )
}

impl Rig {
    async fn start(
        f: impl FnOnce(TestConfig) -> TestConfig,
        urls: &[(&str, String)],
        clock: Arc<dyn Clock>,
    ) -> Rig {
        Self::start_on(start_mock().await, f, urls, clock).await
    }

    /// [`Rig::start`] in front of a mock the test prepared.
    async fn start_on(
        mock: MockHeygen,
        f: impl FnOnce(TestConfig) -> TestConfig,
        urls: &[(&str, String)],
        clock: Arc<dyn Clock>,
    ) -> Rig {
        let cfg = f(fast(TestConfig::for_mock(&mock)));
        let mut rig = Rig {
            _mock: mock,
            gw: None,
            cfg,
        };
        rig.boot(urls, clock).await;
        rig
    }

    /// (Re)starts the gateway on the same config and ledger file.
    async fn boot(&mut self, urls: &[(&str, String)], clock: Arc<dyn Clock>) {
        let mut env = test_env();
        for (name, url) in urls {
            env = env.with(name, url);
        }
        let opts = StartOptions {
            env: Arc::new(env),
            clock,
            registry: prometheus::Registry::new(),
            config_path: None,
        };
        let gw = RunningGateway::start(self.cfg.config(), opts)
            .await
            .unwrap();
        self.gw = Some(gw);
    }

    async fn stop(&mut self) {
        if let Some(gw) = self.gw.take() {
            gw.shutdown().await;
        }
    }

    fn gw(&self) -> &RunningGateway {
        self.gw.as_ref().expect("gateway running")
    }

    async fn call(&self, tenant: &str, method: &str, path: &str, body: &str) -> TestResponse {
        let token = tenant_token(tenant);
        let headers = [
            ("x-api-key", token.as_str()),
            ("content-type", "application/json"),
        ];
        let url = format!("http://{}{path}", self.gw().addr);
        send(method, &url, &headers, body.to_string()).await
    }

    /// A 3 s silent standard-avatar video as `tenant`: held at 0.5 credit
    /// (30 s steps at 1 credit/min).
    async fn video(&self, tenant: &str) -> TestResponse {
        let body = json!({"video_inputs": [{"voice": {"type": "silence", "duration": 3.0}}]});
        self.call(tenant, "POST", "/v2/video/generate", &body.to_string())
            .await
    }

    async fn admin(&self, method: &str, path: &str, body: Value) -> TestResponse {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let url = format!("http://{}{path}", self.gw().admin_addr);
        send(method, &url, &[("authorization", &auth)], body.to_string()).await
    }

    async fn log(&self) -> Vec<AlertInfo> {
        self.gw().state.ledger.alert_log(100).await.unwrap()
    }

    async fn metrics(&self) -> String {
        metrics_text(self.gw().admin_addr).await
    }
}

fn manual_clock(rfc3339: &str) -> Arc<ManualClock> {
    let at = chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&chrono::Utc);
    Arc::new(ManualClock::new(at))
}

fn bodies(r: &Receiver) -> Vec<Value> {
    r.received()
        .iter()
        .map(|x| serde_json::from_slice(&x.body).unwrap())
        .collect()
}

async fn wait_count(r: &Receiver, n: usize) {
    let r2 = r.clone();
    eventually(move || r2.count() >= n, WAIT).await;
}

/// Nothing more reaches `r` over [`QUIET_POLLS`].
async fn stays_at(r: &Receiver, n: usize) {
    for _ in 0..QUIET_POLLS {
        assert_eq!(r.count(), n, "unexpected alert: {:?}", bodies(r));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
