//! Tests of the gauges: budget gauges per configured window, forgetting a
//! removed scope's series, the plain gauges, and the threshold tracker's
//! crossings and reloads.
//!
//! Their own file, beside `tests.rs` (the request-path series and the
//! shared helpers) and `tests_names.rs`, to keep each topic short.

use super::tests::{assert_line, assert_no_series, setup};
use super::*;

#[test]
fn budget_gauges_only_for_configured_windows() {
    let (reg, m) = setup();
    // An idle tenant: set from config with full remaining.
    m.set_budget(
        "idle",
        "daily",
        Some(50_000_000),
        0,
        Some(50_000_000),
        Some(1_767_312_000),
    );
    m.set_budget("idle", "total", None, 0, Some(0), None);
    m.set_budget(
        "org",
        "monthly",
        Some(5_000_000_000),
        0,
        Some(1_250_000_000),
        Some(1_769_904_000),
    );
    assert_line(
        &reg,
        r#"heygen_gateway_budget_limit_credits{scope="idle",window="daily"} 50"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_budget_remaining_credits{scope="idle",window="daily"} 50"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_budget_used_ratio{scope="idle",window="daily"} 0"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_budget_reset_timestamp_seconds{scope="idle",window="daily"} 1767312000"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_budget_used_ratio{scope="org",window="monthly"} 0.75"#,
    );
    assert_no_series(
        &reg,
        r#"heygen_gateway_budget_limit_credits{scope="idle",window="total"}"#,
    );

    // Overage: remaining negative, ratio above 1; a zero limit is fully used.
    m.set_budget(
        "idle",
        "daily",
        Some(50_000_000),
        0,
        Some(-10_000_000),
        None,
    );
    m.set_budget("zero", "daily", Some(0), 0, Some(0), None);
    assert_line(
        &reg,
        r#"heygen_gateway_budget_remaining_credits{scope="idle",window="daily"} -10"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_budget_used_ratio{scope="idle",window="daily"} 1.2"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_budget_used_ratio{scope="zero",window="daily"} 1"#,
    );
    assert_no_series(
        &reg,
        r#"heygen_gateway_budget_reset_timestamp_seconds{scope="idle""#,
    );

    // +5 granted on a 2-credit day with 1 spent: limit 7, remaining 6,
    // ratio 1/7 — remaining = limit × (1 − ratio), whatever the grants.
    m.set_budget(
        "granted",
        "daily",
        Some(7_000_000),
        5_000_000,
        Some(6_000_000),
        None,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_budget_limit_credits{scope="granted",window="daily"} 7"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_budget_granted_credits{scope="granted",window="daily"} 5"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_budget_remaining_credits{scope="granted",window="daily"} 6"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_budget_used_ratio{scope="granted",window="daily"} 0.14285714285714285"#,
    );

    // A reload removes the daily budget: its series go.
    m.set_budget("idle", "daily", None, 0, None, None);
    assert_no_series(&reg, r#"heygen_gateway_budget_limit_credits{scope="idle""#);
    assert_no_series(
        &reg,
        r#"heygen_gateway_budget_granted_credits{scope="idle""#,
    );
    assert_no_series(&reg, r#"heygen_gateway_budget_used_ratio{scope="idle""#);
}

#[test]
fn forget_scope_removes_its_gauges_only() {
    let (reg, m) = setup();
    let tracker = ThresholdTracker::new(m.clone(), &[80]);
    for scope in ["gone", "kept"] {
        m.set_budget(
            scope,
            "daily",
            Some(10_000_000),
            0,
            Some(1_000_000),
            Some(1),
        );
        m.set_renders_in_flight(scope, 2);
        m.shadow_rejection(scope, "insufficient_credit");
        tracker.observe(scope, "daily", "2026-01-01", 0.9);
    }
    m.credits(CreditKind::Captured, "gone", "video", 1_000_000);
    m.forget_scope("gone");
    tracker.forget_scope("gone");
    assert_no_series(&reg, r#"heygen_gateway_budget_limit_credits{scope="gone""#);
    assert_no_series(
        &reg,
        r#"heygen_gateway_budget_reset_timestamp_seconds{scope="gone""#,
    );
    assert_no_series(&reg, r#"heygen_gateway_renders_in_flight{scope="gone""#);
    assert_no_series(
        &reg,
        r#"heygen_gateway_budget_threshold_crossed{scope="gone""#,
    );
    assert_no_series(
        &reg,
        r#"heygen_gateway_shadow_rejections_total{reason="insufficient_credit",scope="gone""#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_budget_limit_credits{scope="kept",window="daily"} 10"#,
    );
    assert_line(&reg, r#"heygen_gateway_renders_in_flight{scope="kept"} 2"#);
    assert_line(
        &reg,
        r#"heygen_gateway_budget_threshold_crossed{scope="kept",threshold="80",window="daily"} 1"#,
    );
    // Spend history stays.
    assert_line(
        &reg,
        r#"heygen_gateway_credits_captured_total{feature="video",tenant="gone"} 1"#,
    );
}

#[test]
fn plain_gauges() {
    let (reg, m) = setup();
    // Unknown until the first quota poll, not an empty account.
    assert_line(&reg, "heygen_gateway_org_balance_credits NaN");
    assert_line(&reg, "heygen_gateway_ledger_drift_credits NaN");
    m.set_open_holds(4, 7200.5);
    m.set_org_balance(1234.5);
    m.set_ledger_drift(-2.25);
    m.set_draining(true);
    assert_line(&reg, "heygen_gateway_holds_open 4");
    assert_line(&reg, "heygen_gateway_holds_oldest_age_seconds 7200.5");
    assert_line(&reg, "heygen_gateway_org_balance_credits 1234.5");
    assert_line(&reg, "heygen_gateway_ledger_drift_credits -2.25");
    assert_line(&reg, "heygen_gateway_draining 1");
}

#[test]
fn thresholds_fire_once_per_period_and_rearm() {
    let (reg, m) = setup();
    let t = ThresholdTracker::new(m, &[95, 80, 80, 0, 101]);
    let line = |th: u8, v: u8| {
        format!(
            r#"heygen_gateway_budget_threshold_crossed{{scope="mkt",threshold="{th}",window="daily"}} {v}"#
        )
    };
    assert_eq!(
        t.observe("mkt", "daily", "2026-01-01", 0.10),
        Vec::<u8>::new()
    );
    assert_line(&reg, &line(80, 0));
    assert_line(&reg, &line(95, 0));
    assert_eq!(t.observe("mkt", "daily", "2026-01-01", 0.80), vec![80]);
    assert_eq!(
        t.observe("mkt", "daily", "2026-01-01", 0.90),
        Vec::<u8>::new()
    );
    assert_line(&reg, &line(80, 1));
    // Usage falls (a hold released), then rises again: gauge follows, no second event.
    assert_eq!(
        t.observe("mkt", "daily", "2026-01-01", 0.50),
        Vec::<u8>::new()
    );
    assert_line(&reg, &line(80, 0));
    assert_eq!(
        t.observe("mkt", "daily", "2026-01-01", 0.85),
        Vec::<u8>::new()
    );
    assert_line(&reg, &line(80, 1));
    assert_eq!(t.observe("mkt", "daily", "2026-01-01", 1.30), vec![95]);
    assert_line(&reg, &line(95, 1));
    // Other windows are independent.
    assert_eq!(t.observe("mkt", "monthly", "2026-01", 0.96), vec![80, 95]);
    // A new period re-arms.
    assert_eq!(
        t.observe("mkt", "daily", "2026-01-02", 0.0),
        Vec::<u8>::new()
    );
    assert_line(&reg, &line(80, 0));
    assert_line(&reg, &line(95, 0));
    assert_eq!(t.observe("mkt", "daily", "2026-01-02", 0.81), vec![80]);
    // Non-finite ratios never fire.
    assert_eq!(t.observe("x", "daily", "p", f64::NAN), Vec::<u8>::new());
}

#[test]
fn threshold_reload_drops_removed_and_keeps_latched() {
    let (reg, m) = setup();
    let t = ThresholdTracker::new(m, &[80, 95]);
    assert_eq!(t.observe("org", "monthly", "2026-01", 0.96), vec![80, 95]);
    t.set_thresholds(&[80, 90]);
    assert_no_series(
        &reg,
        r#"heygen_gateway_budget_threshold_crossed{scope="org",threshold="95""#,
    );
    // 80 stays latched; 90 is new and fires.
    assert_eq!(t.observe("org", "monthly", "2026-01", 0.97), vec![90]);
}
