//! The events other than a crossed threshold: budgets running out and the
//! webhooks' event filters, a session stopped at its budget, balance drift
//! and a ledger failure announced from memory.

use std::sync::Arc;
use std::time::Duration;

use heygen_gateway::clock::{ManualClock, SystemClock};
use heygen_gateway::ledger::SessionFilter;
use serde_json::json;

use crate::common::*;
use crate::{
    bodies, manual_clock, stays_at, wait_count, webhook, Receiver, Rig, QUIET_POLLS, WAIT,
};

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
/// from memory, once per outage (whichever operation failed first, not one
/// per operation), and again for a second outage within the same hour once
/// the ledger has answered in between.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_failure_is_announced_from_memory() {
    let (pg, url) = crate::pg::own_database().await;
    let r = Receiver::start().await;
    let hook = webhook("ops", "OPS_URL", "slack", Some(r#"["ledger_error"]"#));
    let rig = Rig::start(
        |c| {
            c.set("store", "url", &format!("{url:?}"))
                .set("metrics", "gauge_interval_seconds", "1")
                .extra(&hook)
        },
        &[("OPS_URL", r.url("/ledger"))],
        Arc::new(SystemClock),
    )
    .await;
    assert_eq!(rig.video("alpha").await.status, 200);
    let failed = |r: &Receiver| {
        bodies(r)
            .iter()
            .filter(|b| b["text"].as_str().unwrap_or("").contains("` failed:"))
            .count()
    };
    for outage in 1..=2 {
        pg.stop();
        for _ in 0..3 {
            assert_eq!(rig.video("alpha").await.status, 503);
        }
        let r2 = r.clone();
        eventually(move || failed(&r2) >= outage, WAIT).await;
        // Three failed holds and every background read failing: one alert.
        for _ in 0..QUIET_POLLS {
            assert_eq!(failed(&r), outage, "{:?}", bodies(&r));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            bodies(&r)[outage - 1]["text"]
                .as_str()
                .unwrap()
                .contains("billable requests are refused"),
            "{:?}",
            bodies(&r)
        );
        pg.restart();
        // Back: a billable request passes, and a gauge tick reads the
        // ledger, which re-arms the alert for the next outage.
        eventually_async(|| async { rig.video("alpha").await.status == 200 }, WAIT).await;
        tokio::time::sleep(Duration::from_millis(2500)).await;
    }
}
