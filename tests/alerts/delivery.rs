//! Delivery of a crossed threshold: once per period in both formats, and
//! failed sends retried with a restart in between neither losing nor
//! repeating one.

use std::sync::Arc;

use heygen_gateway::clock::{Clock, SystemClock};
use heygen_gateway::ledger::AlertState;
use serde_json::{json, Value};

use crate::common::*;
use crate::{bodies, manual_clock, stays_at, wait_count, webhook, Receiver, Rig, WAIT};

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
