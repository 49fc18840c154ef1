//! Tests of the request-path series (requests, upstream durations,
//! rejections, credits, the 5xx series declared at start), and the helpers
//! every metrics test file shares. The gauges and thresholds are tested in
//! `tests_gauges.rs`, registration and exported names in `tests_names.rs`.

use std::time::Duration;

use prometheus::Registry;

use super::*;

pub(super) fn setup() -> (Registry, Metrics) {
    let registry = Registry::new();
    let metrics = Metrics::register(&registry).unwrap();
    (registry, metrics)
}

#[track_caller]
pub(super) fn assert_line(registry: &Registry, line: &str) {
    let text = encode(registry);
    assert!(
        text.lines().any(|l| l == line),
        "missing line `{line}` in:\n{text}"
    );
}

#[track_caller]
pub(super) fn assert_no_series(registry: &Registry, prefix: &str) {
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
