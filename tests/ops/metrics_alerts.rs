//! Threshold alerts (gauge + one log event per threshold and period) and
//! the remaining-quota poll with its drift.

use chrono::Duration as ChronoDuration;

use super::*;

/// Log lines announcing that `threshold` of `scope`'s `window` was crossed
/// (matched loosely, so a second event with other wording is counted too).
fn crossings(logs: &LogBuffer, scope: &str, window: &str, threshold: u8) -> usize {
    let t = format!("threshold={threshold}");
    logs.contents()
        .lines()
        .filter(|l| {
            let lower = l.to_lowercase();
            let announces =
                lower.contains("threshold crossed") || lower.contains("crossed alert threshold");
            l.contains(" WARN ")
                && announces
                && l.contains(scope)
                && l.contains(window)
                && l.split_whitespace().any(|w| w == t)
        })
        .count()
}

/// The log lines mentioning thresholds (for failure messages).
fn threshold_lines(logs: &LogBuffer) -> String {
    logs.contents()
        .lines()
        .filter(|l| l.contains("threshold"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn thresholds_raise_a_gauge_and_one_event_per_period() {
    let (_guard, logs) = capture_logs();
    let rig = Rig::start_manual(|c| {
        c.tenant_budgets("alpha", "daily = 1.2")
            .set("metrics", "gauge_interval_seconds", "1")
    })
    .await;
    let gauge = |t: u8, v: u8| {
        format!(
            "heygen_gateway_budget_threshold_crossed{{scope=\"alpha\",threshold=\"{t}\",window=\"daily\"}} {v}"
        )
    };
    rig.video_ok("alpha").await; // 0.5 of 1.2: 42 %
    rig.video_ok("alpha").await; // 1.0 of 1.2: 83 %
    rig.wait_metric(&gauge(80, 1)).await;
    assert_metric(&rig.metrics().await, &gauge(95, 0));
    assert_eq!(
        crossings(&logs, "alpha", "daily", 80),
        1,
        "{}",
        threshold_lines(&logs)
    );

    // Later refreshes in the same period stay silent: the hold age gauge
    // shows the clock's minute only after another refresh ran.
    rig.clock().advance(ChronoDuration::seconds(60));
    rig.wait_metric("heygen_gateway_holds_oldest_age_seconds 60")
        .await;
    assert_eq!(
        crossings(&logs, "alpha", "daily", 80),
        1,
        "{}",
        threshold_lines(&logs)
    );

    // A debit pushes usage to 100 %: 95 crosses once, 80 does not repeat.
    let r = rig
        .admin(
            "POST",
            "adjustments",
            &json!({"tenant": "alpha", "credits": -0.2, "window": "daily", "reason": "test debit"})
                .to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    rig.wait_metric(&gauge(95, 1)).await;
    rig.clock().advance(ChronoDuration::seconds(60));
    rig.wait_metric("heygen_gateway_holds_oldest_age_seconds 120")
        .await;
    assert_eq!(
        crossings(&logs, "alpha", "daily", 95),
        1,
        "{}",
        threshold_lines(&logs)
    );
    assert_eq!(
        crossings(&logs, "alpha", "daily", 80),
        1,
        "{}",
        threshold_lines(&logs)
    );

    // The next day is a new period: the gauge follows usage back to 0, and
    // crossing again announces again.
    rig.clock().advance(ChronoDuration::days(1));
    rig.wait_metric(&gauge(80, 0)).await;
    rig.video_ok("alpha").await;
    rig.video_ok("alpha").await;
    rig.wait_metric(&gauge(80, 1)).await;
    assert_eq!(
        crossings(&logs, "alpha", "daily", 80),
        2,
        "{}",
        threshold_lines(&logs)
    );
    assert_eq!(
        crossings(&logs, "alpha", "daily", 95),
        1,
        "{}",
        threshold_lines(&logs)
    );
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn remaining_quota_poll_sets_balance_and_drift() {
    let rig = Rig::start(|c| c.set("metrics", "quota_poll_seconds", "1")).await;
    // The mock starts at 60,000 quota units = 1,000 credits.
    rig.wait_metric("heygen_gateway_org_balance_credits 1000")
        .await;
    rig.wait_metric("heygen_gateway_ledger_drift_credits 0")
        .await;
    // The gateway captures 0.5 credit while HeyGen reports 100 credits used:
    // drift = 100 − 0.5.
    let id = rig.video_ok("alpha").await;
    rig.settle("alpha", &id, 3.0).await;
    rig.mock.control().set_remaining_quota(54_000);
    rig.wait_metric("heygen_gateway_org_balance_credits 900")
        .await;
    rig.wait_metric("heygen_gateway_ledger_drift_credits 99.5")
        .await;
    rig.gw.shutdown().await;
}
