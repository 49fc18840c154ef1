use std::collections::BTreeSet;
use std::time::Duration;

use prometheus::Registry;

use super::*;

fn setup() -> (Registry, Metrics) {
    let registry = Registry::new();
    let metrics = Metrics::register(&registry).unwrap();
    (registry, metrics)
}

#[track_caller]
fn assert_line(registry: &Registry, line: &str) {
    let text = encode(registry);
    assert!(
        text.lines().any(|l| l == line),
        "missing line `{line}` in:\n{text}"
    );
}

#[track_caller]
fn assert_no_series(registry: &Registry, prefix: &str) {
    let text = encode(registry);
    assert!(
        !text.lines().any(|l| l.starts_with(prefix)),
        "unexpected `{prefix}…` in:\n{text}"
    );
}

#[test]
fn request_and_upstream_lines() {
    let (reg, m) = setup();
    m.request("video", 200, "admitted", Duration::from_millis(30));
    m.request("video", 201, "admitted", Duration::from_millis(2));
    m.request("video", 402, "rejected_budget", Duration::from_micros(500));
    m.request("asset", 999, "upstream_error", Duration::from_secs(120));
    m.upstream("video", Duration::from_millis(20));
    assert_line(
        &reg,
        r#"heygen_gateway_requests_total{family="video",outcome="admitted",status_class="2xx"} 2"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_requests_total{family="video",outcome="rejected_budget",status_class="4xx"} 1"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_requests_total{family="asset",outcome="upstream_error",status_class="other"} 1"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_request_duration_seconds_bucket{family="video",le="0.001"} 1"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_request_duration_seconds_bucket{family="video",le="0.05"} 3"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_request_duration_seconds_count{family="video"} 3"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_request_duration_seconds_bucket{family="asset",le="60"} 0"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_request_duration_seconds_bucket{family="asset",le="+Inf"} 1"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_upstream_duration_seconds_count{family="video"} 1"#,
    );
}

#[test]
fn counters_by_reason_op_and_result() {
    let (reg, m) = setup();
    assert_line(
        &reg,
        r#"heygen_gateway_config_reloads_total{result="failure"} 0"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_config_reloads_total{result="success"} 0"#,
    );
    m.rejection("insufficient_credit");
    m.rejection("rate_limit_exceeded");
    m.rejection("rate_limit_exceeded");
    m.ledger_error("hold");
    m.config_reload(true);
    m.config_reload(false);
    m.config_reload(false);
    m.shadow_rejection("marketing", "insufficient_credit");
    assert_line(
        &reg,
        r#"heygen_gateway_rejections_total{reason="insufficient_credit"} 1"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_rejections_total{reason="rate_limit_exceeded"} 2"#,
    );
    assert_line(&reg, r#"heygen_gateway_ledger_errors_total{op="hold"} 1"#);
    assert_line(
        &reg,
        r#"heygen_gateway_config_reloads_total{result="success"} 1"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_config_reloads_total{result="failure"} 2"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_shadow_rejections_total{reason="insufficient_credit",scope="marketing"} 1"#,
    );
    let build = format!(
        r#"heygen_gateway_build_info{{git_revision="{}",version="{}"}} 1"#,
        super::GIT_REVISION,
        env!("CARGO_PKG_VERSION")
    );
    assert_line(&reg, &build);
}

#[test]
fn credits_in_credits_and_never_negative() {
    let (reg, m) = setup();
    m.credits(CreditKind::Projected, "mkt", "avatar_iv", 3_000_000);
    m.credits(CreditKind::Held, "mkt", "avatar_iv", 3_000_000);
    m.credits(CreditKind::Captured, "mkt", "avatar_iv", 2_500_000);
    m.credits(CreditKind::Released, "mkt", "avatar_iv", 500_000);
    m.credits(CreditKind::Captured, "mkt", "avatar_iv", -1_000_000);
    m.credits(CreditKind::Captured, "mkt", "avatar_iv", 0);
    assert_line(
        &reg,
        r#"heygen_gateway_credits_projected_total{feature="avatar_iv",tenant="mkt"} 3"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_credits_held_total{feature="avatar_iv",tenant="mkt"} 3"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_credits_captured_total{feature="avatar_iv",tenant="mkt"} 2.5"#,
    );
    assert_line(
        &reg,
        r#"heygen_gateway_credits_released_total{feature="avatar_iv",tenant="mkt"} 0.5"#,
    );
}

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
fn registering_twice_on_one_registry_fails() {
    let (reg, _m) = setup();
    assert!(Metrics::register(&reg).is_err());
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

/// Every `heygen_gateway_*` name in the dashboard and the alert rules is a
/// family this module exports, so a rename cannot silently break them.
#[test]
fn deploy_files_use_only_exported_names() {
    let (reg, m) = setup();
    let d = Duration::from_millis(1);
    m.request("video", 200, "admitted", d);
    m.upstream("video", d);
    for kind in [
        CreditKind::Projected,
        CreditKind::Held,
        CreditKind::Captured,
        CreditKind::Released,
    ] {
        m.credits(kind, "t", "f", 1);
    }
    m.rejection("r");
    m.shadow_rejection("t", "r");
    m.ledger_error("op");
    m.set_budget("t", "daily", Some(1), 0, Some(1), Some(1));
    m.set_renders_in_flight("t", 1);
    m.set_budget_shadow("t", false);
    ThresholdTracker::new(m.clone(), &[80]).observe("t", "daily", "p", 0.0);
    let exported: BTreeSet<String> = reg.gather().iter().map(|f| f.name().to_owned()).collect();

    let files = [
        (
            "grafana",
            include_str!("../../deploy/grafana/heygen-gateway.json"),
        ),
        (
            "rules",
            include_str!("../../deploy/k8s/prometheusrule.yaml"),
        ),
    ];
    for (what, text) in files {
        let mut rest = text;
        let mut found = 0;
        while let Some(at) = rest.find("heygen_gateway_") {
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            let name = &tail[..end];
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .filter(|base| exported.contains(*base))
                .unwrap_or(name);
            assert!(
                exported.contains(family),
                "{what} uses `{name}`, not exported; exported: {exported:?}"
            );
            found += 1;
            rest = &tail[end..];
        }
        assert!(found > 5, "{what}: expected metric references");
    }
}

#[test]
fn five_xx_series_exist_from_start() {
    let (reg, m) = setup();
    m.declare_request_families(&["video", "other"]);
    for family in ["video", "other"] {
        for outcome in ["forwarded", "error"] {
            assert_line(
                &reg,
                &format!(
                    r#"heygen_gateway_requests_total{{family="{family}",outcome="{outcome}",status_class="5xx"}} 0"#
                ),
            );
        }
    }
}

/// A declared family's series are kept resolved for the request path; what
/// is exported must be exactly what the label-value path exports.
#[test]
fn declared_families_export_what_undeclared_ones_do() {
    let record = |m: &Metrics| {
        let d = Duration::from_millis(3);
        for (status, outcome) in [
            (200, "forwarded"),
            (200, "forwarded"),
            (101, "forwarded"),
            (304, "replayed"),
            (402, "rejected"),
            (500, "forwarded"),
            (503, "error"),
            (999, "error"),
            (201, "some_other_outcome"),
        ] {
            m.request("video", status, outcome, d);
        }
        m.upstream("video", d);
        m.upstream("video", Duration::from_secs(2));
    };
    let (declared_reg, declared) = setup();
    declared.declare_request_families(&["video", "gateway"]);
    record(&declared);
    let (plain_reg, plain) = setup();
    plain.declare_request_families(&["gateway"]);
    record(&plain);
    let video = |reg: &Registry| -> Vec<String> {
        encode(reg)
            .lines()
            .filter(|l| l.contains(r#"family="video""#))
            .map(str::to_string)
            .collect()
    };
    let exported = video(&declared_reg);
    assert!(exported.len() > 30, "{exported:#?}");
    assert_eq!(exported, video(&plain_reg));
    assert_line(
        &declared_reg,
        r#"heygen_gateway_requests_total{family="video",outcome="forwarded",status_class="2xx"} 2"#,
    );
    assert_line(
        &declared_reg,
        r#"heygen_gateway_requests_total{family="video",outcome="error",status_class="other"} 1"#,
    );
    assert_line(
        &declared_reg,
        r#"heygen_gateway_upstream_duration_seconds_count{family="video"} 2"#,
    );
}
