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

#[path = "fanout/receiver.rs"]
#[allow(dead_code)]
mod receiver;

#[path = "alerts/schema.rs"]
mod schema;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use heygen_gateway::clock::{Clock, ManualClock, SystemClock};
use heygen_gateway::config::Config;
use heygen_gateway::ledger::{AlertInfo, AlertState, SessionFilter};
use heygen_gateway::server::{RunningGateway, StartOptions};
use heygen_mock::MockHeygen;
use pg::PgServer;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crossed_threshold_is_sent_once_per_period_in_both_formats() {
    let slack = Receiver::start().await;
    let jsonr = Receiver::start().await;
    let clock = manual_clock("2026-12-04T10:00:00Z");
    let hooks = webhook("ops-slack", "OPS_SLACK_WEBHOOK_URL", "slack", None)
        + &webhook("ops-json", "OPS_JSON_URL", "json", None);
    let rig = Rig::start(
        |c| c.tenant_budgets("alpha", "daily = 0.6").extra(&hooks),
        &[
            ("OPS_SLACK_WEBHOOK_URL", slack.url("/slack")),
            ("OPS_JSON_URL", jsonr.url("/json")),
        ],
        clock.clone(),
    )
    .await;
    // 0.5 of 0.6 held: 83 %.
    let r = rig.video("alpha").await;
    assert_eq!(r.status, 200, "{}", r.text());
    wait_count(&slack, 1).await;
    wait_count(&jsonr, 1).await;
    let text = bodies(&slack)[0]["text"].as_str().unwrap().to_string();
    assert!(
        text.contains("Tenant alpha") && text.contains("daily") && text.contains("80 %"),
        "{text}"
    );
    assert_eq!(
        bodies(&slack)[0].as_object().unwrap().len(),
        1,
        "Slack body is {{text}}"
    );
    let j = &bodies(&jsonr)[0];
    assert_eq!(j["event"], "threshold");
    assert_eq!(j["scope"], "alpha");
    assert_eq!(j["shadow"], false);
    assert_eq!(j["window"], "daily");
    assert_eq!(j["period"], "2026-12-04");
    assert_eq!(j["threshold"], 80);
    assert_eq!(j["limit_credits"], "0.6");
    assert_eq!(j["remaining_credits"], "0.1");
    assert_eq!(j["key"], "threshold:alpha:daily:2026-12-04:80");
    assert!(j["message"].as_str().unwrap().contains("80 %"));
    assert!(j["gateway_version"].is_string() && j["at"].is_string());
    stays_at(&slack, 1).await;

    // Ops debit 0.05: 0.5 of 0.55 is 91 %. 90 is new; 80 is not re-sent.
    let r = rig
        .admin(
            "POST",
            "/admin/v1/adjustments",
            json!({"tenant": "alpha", "credits": "-0.05", "window": "daily", "reason": "t", "actor": "test"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    wait_count(&jsonr, 2).await;
    assert_eq!(bodies(&jsonr)[1]["threshold"], 90);
    stays_at(&jsonr, 2).await;
    assert_eq!(slack.count(), 2);

    // The next day's period re-arms 80.
    clock.advance(chrono::Duration::days(1));
    let r = rig.video("alpha").await;
    assert_eq!(r.status, 200, "{}", r.text());
    wait_count(&jsonr, 3).await;
    let j = &bodies(&jsonr)[2];
    assert_eq!(
        (j["threshold"].clone(), j["period"].clone()),
        (json!(80), json!("2026-12-05"))
    );
    stays_at(&jsonr, 3).await;
    let m = rig.metrics().await;
    assert_metric(
        &m,
        r#"heygen_gateway_alerts_total{event="threshold",result="delivered"} 6"#,
    );
    assert_metric(
        &m,
        r#"heygen_gateway_alerts_total{event="drift",result="failed"} 0"#,
    );
    assert_metric(&m, "heygen_gateway_alert_outbox_depth 0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_retried_and_a_restart_neither_loses_nor_repeats() {
    let r = Receiver::start().await;
    r.script(&[500, 503, 429]);
    let hooks = webhook("ops", "OPS_URL", "json", Some(r#"["threshold"]"#));
    let urls = [("OPS_URL", r.url("/ops"))];
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut rig = Rig::start(
        |c| {
            c.tenant_budgets("alpha", "daily = 0.6")
                .set("alerts", "retry_base_ms", "300")
                .extra(&hooks)
        },
        &urls,
        clock.clone(),
    )
    .await;
    assert_eq!(rig.video("alpha").await.status, 200);
    // Three failures, then delivered once.
    wait_count(&r, 4).await;
    stays_at(&r, 4).await;
    let keys: Vec<Value> = bodies(&r).iter().map(|b| b["key"].clone()).collect();
    assert!(
        keys.iter().all(|k| k == &keys[0]),
        "one alert retried: {keys:?}"
    );
    let log = rig.log().await;
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].state, log[0].attempts), (AlertState::Delivered, 4));
    let m = rig.metrics().await;
    assert_metric(
        &m,
        r#"heygen_gateway_alerts_total{event="threshold",result="retried"} 3"#,
    );
    assert_metric(
        &m,
        r#"heygen_gateway_alerts_total{event="threshold",result="delivered"} 1"#,
    );

    // A delivered alert is not re-sent after a restart (the gauge tick
    // offers it again at once).
    rig.stop().await;
    rig.boot(&urls, clock.clone()).await;
    stays_at(&r, 4).await;

    // Pending at shutdown: the receiver is down, 90 % is crossed.
    r.set_fallback(500);
    let r2 = rig
        .admin(
            "POST",
            "/admin/v1/adjustments",
            json!({"tenant": "alpha", "credits": "-0.05", "window": "daily", "reason": "t", "actor": "test"}),
        )
        .await;
    assert!(r2.status.is_success(), "{}", r2.text());
    wait_count(&r, 5).await;
    rig.stop().await;
    let failed_attempts = r.count();
    // The receiver comes back; the restarted gateway sends it, once.
    r.set_fallback(200);
    rig.boot(&urls, clock).await;
    eventually_async(
        || async {
            let log = rig.log().await;
            log.len() == 2 && log.iter().all(|a| a.state == AlertState::Delivered)
        },
        WAIT,
    )
    .await;
    stays_at(&r, failed_attempts + 1).await;
    let last = &bodies(&r)[failed_attempts];
    assert_eq!(last["threshold"], 90, "{last}");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhaustion_and_event_filters() {
    let all = Receiver::start().await;
    let only = Receiver::start().await;
    let hooks = webhook("all", "ALL_URL", "json", None)
        + &webhook(
            "exhausted-only",
            "ONLY_URL",
            "json",
            Some(r#"["exhausted"]"#),
        );
    let rig = Rig::start(
        |c| {
            c.tenant_budgets("alpha", "daily = 0.5")
                .tenant("beta", |t| {
                    t.budgets = Some("daily = 0.5".into());
                    t.lines.push("shadow = true".into());
                })
                .extra(&hooks)
        },
        &[
            ("ALL_URL", all.url("/all")),
            ("ONLY_URL", only.url("/only")),
        ],
        manual_clock("2026-12-04T10:00:00Z"),
    )
    .await;
    assert_eq!(rig.video("alpha").await.status, 200);
    wait_count(&all, 3).await;
    wait_count(&only, 1).await;
    stays_at(&only, 1).await;
    let o = &bodies(&only)[0];
    assert_eq!(o["event"], "exhausted");
    assert_eq!(o["key"], "exhausted:alpha:daily:2026-12-04");
    assert_eq!(o["remaining_credits"], "0");
    let mut events: Vec<String> = bodies(&all)
        .iter()
        .map(|b| format!("{}:{}", b["event"].as_str().unwrap(), b["threshold"]))
        .collect();
    events.sort();
    assert_eq!(events, ["exhausted:null", "threshold:80", "threshold:90"]);
    assert!(bodies(&all).iter().all(|b| b["shadow"] == false));

    // A shadow tenant's thresholds are sent marked shadow; its budget
    // refuses nothing, so no `exhausted`.
    assert_eq!(rig.video("beta").await.status, 200);
    wait_count(&all, 5).await;
    stays_at(&all, 5).await;
    stays_at(&only, 1).await;
    for b in &bodies(&all)[3..] {
        assert_eq!(
            (b["scope"].clone(), b["shadow"].clone(), b["event"].clone()),
            (json!("beta"), json!(true), json!("threshold")),
            "{b}"
        );
        assert!(
            b["message"].as_str().unwrap().contains("[shadow budget]"),
            "{b}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_stopped_at_its_budget_is_announced_once() {
    let r = Receiver::start().await;
    let hooks = webhook("ops", "OPS_URL", "json", Some(r#"["session_stopped"]"#));
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-12-02T10:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let clock = Arc::new(ManualClock::new(t0));
    let rig = Rig::start(
        |c| {
            c.set("settlement", "session_tick_seconds", "1")
                .tenant_budgets("alpha", "daily = 0.5")
                .extra(&hooks)
        },
        &[("OPS_URL", r.url("/ops"))],
        clock.clone(),
    )
    .await;
    let body = json!({"avatar_id": "a", "activity_idle_timeout": 600}).to_string();
    let s = rig.call("alpha", "POST", "/v1/streaming.new", &body).await;
    assert_eq!(s.status, 200, "{}", s.text());
    let session = s.json()["data"]["session_id"].as_str().unwrap().to_string();
    // Room for two minutes (0.4), not three: stopped at the third.
    clock.set(t0 + chrono::Duration::seconds(59));
    eventually_async(
        || async {
            let rows = rig
                .gw()
                .state
                .ledger
                .sessions(SessionFilter::One(&session))
                .await
                .unwrap();
            rows.first().is_some_and(|s| s.minutes >= 2)
        },
        WAIT,
    )
    .await;
    clock.set(t0 + chrono::Duration::seconds(119));
    wait_count(&r, 1).await;
    stays_at(&r, 1).await;
    let b = &bodies(&r)[0];
    assert_eq!(b["event"], "session_stopped");
    assert_eq!(b["session_id"], session.as_str());
    assert_eq!(b["scope"], "alpha");
    assert_eq!(b["key"], format!("session_stopped:{session}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_egress_guard_refuses_private_and_metadata_urls() {
    let r = Receiver::start().await;
    let hooks = webhook("loopback", "LOOP_URL", "slack", None)
        + &webhook("metadata", "META_URL", "json", None);
    let rig = Rig::start(
        // No allow list: loopback is as forbidden as the metadata service.
        |c| {
            c.unset("egress", "allow_cidrs")
                .tenant_budgets("alpha", "daily = 0.6")
                .extra(&hooks)
        },
        &[
            ("LOOP_URL", r.url("/x")),
            (
                "META_URL",
                "http://169.254.169.254/latest/meta-data".to_string(),
            ),
        ],
        Arc::new(SystemClock),
    )
    .await;
    assert_eq!(rig.video("alpha").await.status, 200);
    eventually_async(
        || async {
            let log = rig.log().await;
            log.len() == 2 && log.iter().all(|a| a.attempts >= 1)
        },
        WAIT,
    )
    .await;
    for a in rig.log().await {
        assert_ne!(a.state, AlertState::Delivered, "{a:?}");
        let e = a.last_error.clone().unwrap_or_default();
        assert!(e.contains("refusing to contact"), "{a:?}");
    }
    assert_eq!(r.count(), 0, "never sent");
    let m = rig.metrics().await;
    let refused = metric_value(
        &m,
        r#"heygen_gateway_alerts_total{event="threshold",result="refused"}"#,
    )
    .unwrap_or(0.0)
        + metric_value(
            &m,
            r#"heygen_gateway_alerts_total{event="threshold",result="failed"}"#,
        )
        .unwrap_or(0.0);
    assert!(refused >= 2.0, "{m}");
}

fn config_errors(toml: &str) -> Vec<String> {
    match Config::from_toml(toml) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn config_errors_name_the_key_and_the_fix() {
    let errs = config_errors(
        r#"
[alerts]
drift_credits = 0
[[alerts.webhooks]]
name = "ops"
url_env = "A"
format = "teams"
[[alerts.webhooks]]
name = "ops"
url_env = "B"
format = "json"
events = ["threshold", "budget_low"]
[[alerts.webhooks]]
name = "x"
format = "slack"
"#,
    );
    let want = [
        "`alerts.drift_credits`",
        "`alerts.webhooks[0].format`: is \"teams\"; use \"slack\"",
        "`alerts.webhooks[1].events[1]`: \"budget_low\" is not an alert event",
        "`alerts.webhooks[2].url_env`: missing",
    ];
    for w in want {
        assert!(errs.iter().any(|e| e.contains(w)), "{w} not in {errs:#?}");
    }
    let errs = config_errors(
        "[[alerts.webhooks]]\nname = \"a\"\nurl_env = \"A\"\nformat = \"json\"\n\
         [[alerts.webhooks]]\nname = \"a\"\nurl_env = \"B\"\nformat = \"json\"\n",
    );
    assert!(
        errs.iter()
            .any(|e| e.contains("`alerts.webhooks[1].name`") && e.contains("unique")),
        "{errs:?}"
    );
    let errs = config_errors("[[alerts.webhooks]]\nname = \"a\"\nurl = \"https://x\"\n");
    assert!(
        errs.iter().any(|e| e.contains("alerts.webhooks[0].url")),
        "{errs:?}"
    );
}

#[test]
fn check_config_reports_an_unset_webhook_url_unless_offline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.toml");
    let toml = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[upstream]\napi_key_file = {:?}\n{}",
        write(dir.path(), "org.key", "sk_org").display().to_string(),
        webhook(
            "ops-slack",
            "OPS_SLACK_WEBHOOK_URL_UNSET_IN_TESTS",
            "slack",
            None
        )
    );
    std::fs::write(&path, toml).unwrap();
    let run = |offline: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_heygen-gateway"));
        cmd.arg("check-config");
        if offline {
            cmd.arg("--offline");
        }
        cmd.arg("--config").arg(&path);
        cmd.env_remove("OPS_SLACK_WEBHOOK_URL_UNSET_IN_TESTS");
        cmd.output().unwrap()
    };
    let out = run(false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("alerts.webhooks[0].url_env")
            && stderr.contains("OPS_SLACK_WEBHOOK_URL_UNSET_IN_TESTS is not set"),
        "{stderr}"
    );
    assert!(run(true).status.success());
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// HeyGen's balance falling by more than `alerts.drift_credits` without the
/// ledger capturing it is announced once (a day), in the JSON format.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_drift_is_announced_once() {
    let r = Receiver::start().await;
    let hook = webhook("ops", "OPS_URL", "json", Some(r#"["drift"]"#));
    // 1,000 credits (HeyGen reports quota, 60 a credit) before the first
    // poll, which is the baseline.
    let mock = start_mock().await;
    mock.control().set_remaining_quota(60_000);
    let rig = Rig::start_on(
        mock,
        |c| {
            c.set("metrics", "quota_poll_seconds", "1")
                .set("alerts", "drift_credits", "5")
                .extra(&hook)
        },
        &[("OPS_URL", r.url("/drift"))],
        Arc::new(SystemClock),
    )
    .await;
    let series = "heygen_gateway_org_balance_credits 1000";
    let m = rig.gw().admin_addr;
    eventually_async(
        || async { metrics_text(m).await.lines().any(|l| l == series) },
        WAIT,
    )
    .await;
    // 10 credits (600 quota units) spent outside the gateway.
    rig._mock.control().set_remaining_quota(60_000 - 600);
    wait_count(&r, 1).await;
    let j = &bodies(&r)[0];
    assert_eq!(j["event"], "drift", "{j}");
    assert!(j["message"].as_str().unwrap().contains("10"), "{j}");
    stays_at(&r, 1).await;
}

/// A ledger failure is announced even though the ledger is what failed:
/// from memory, once per operation and hour.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_failure_is_announced_from_memory() {
    let pg = PgServer::start();
    let r = Receiver::start().await;
    let hook = webhook("ops", "OPS_URL", "slack", Some(r#"["ledger_error"]"#));
    let url = pg.create_database();
    let rig = Rig::start(
        |c| c.set("store", "url", &format!("{url:?}")).extra(&hook),
        &[("OPS_URL", r.url("/ledger"))],
        Arc::new(SystemClock),
    )
    .await;
    assert_eq!(rig.video("alpha").await.status, 200);
    pg.stop();
    for _ in 0..3 {
        assert_eq!(rig.video("alpha").await.status, 503);
    }
    let texts = || -> Vec<String> {
        bodies(&r)
            .iter()
            .map(|b| b["text"].as_str().unwrap().to_string())
            .collect()
    };
    let hold_alerts = |t: &[String]| {
        t.iter()
            .filter(|x| x.contains("operation `hold` failed"))
            .count()
    };
    let r2 = r.clone();
    eventually(
        move || {
            bodies(&r2)
                .iter()
                .any(|b| b["text"].as_str().unwrap_or("").contains("`hold` failed"))
        },
        WAIT,
    )
    .await;
    // Three failed holds in one hour: one message for `hold`; every other
    // failing operation (the alert worker's own reads) at most one each.
    for _ in 0..QUIET_POLLS {
        let t = texts();
        assert_eq!(hold_alerts(&t), 1, "{t:?}");
        let mut ops: Vec<&String> = t.iter().collect();
        ops.sort();
        ops.dedup();
        assert_eq!(ops.len(), t.len(), "a repeat: {t:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(texts()[0].contains("billable requests are refused"));
    pg.restart();
}
