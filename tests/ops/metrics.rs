//! Exact metric lines after known traffic and budget gauges of idle scopes.
//! Threshold alerts and the quota poll are in `metrics_alerts.rs`.

use chrono::Duration as ChronoDuration;

use super::*;

const REQ: &str = "heygen_gateway_requests_total";
const VIDEO_OK: &str =
    "heygen_gateway_requests_total{family=\"video\",outcome=\"forwarded\",status_class=\"2xx\"}";

fn credits(stage: &str, tenant: &str) -> String {
    format!(
        "heygen_gateway_credits_{stage}_total{{feature=\"standard_avatar\",tenant=\"{tenant}\"}}"
    )
}

#[tokio::test]
async fn exact_lines_after_known_traffic() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 1")).await;
    let first = rig.video("alpha").await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.header("x-gateway-credits-projected"), Some("0.5"));
    assert_eq!(first.header("x-gateway-credits-remaining"), Some("0.5"));
    let first_id = first.json()["data"]["video_id"]
        .as_str()
        .expect("video_id")
        .to_string();
    let second_id = rig.video_ok("alpha").await;
    let refused = rig.video("alpha").await;
    assert_eq!(refused.status, 402, "{}", refused.text());
    let err = &refused.json()["error"];
    assert_eq!(err["code"], "insufficient_credit");
    assert_eq!(
        (
            &err["scope"],
            &err["window"],
            &err["required"],
            &err["remaining"]
        ),
        (&json!("alpha"), &json!("daily"), &json!("0.5"), &json!("0"))
    );

    let text = rig.metrics().await;
    assert_metric(&text, &format!("{VIDEO_OK} 2"));
    assert_metric(
        &text,
        &format!("{REQ}{{family=\"video\",outcome=\"rejected\",status_class=\"4xx\"}} 1"),
    );
    assert_metric(
        &text,
        "heygen_gateway_rejections_total{reason=\"insufficient_credit\"} 1",
    );
    // Every priced request is projected, the refused one included; only
    // the two accepted ones are held.
    assert_metric(&text, &format!("{} 1.5", credits("projected", "alpha")));
    assert_metric(&text, &format!("{} 1", credits("held", "alpha")));
    assert_eq!(metric_value(&text, &credits("captured", "alpha")), None);
    // Total latency for all three, upstream latency only for the two sent.
    assert_metric(
        &text,
        "heygen_gateway_request_duration_seconds_count{family=\"video\"} 3",
    );
    assert_metric(
        &text,
        "heygen_gateway_upstream_duration_seconds_count{family=\"video\"} 2",
    );
    assert_metric(
        &text,
        "heygen_gateway_request_duration_seconds_bucket{family=\"video\",le=\"+Inf\"} 3",
    );

    // Settle: the first renders 3 s (billed 30 s = 0.5), the second fails.
    rig.settle("alpha", &first_id, 3.0).await;
    assert!(rig.mock.control().fail(&second_id, "render failed"));
    let token = tenant_token("alpha");
    let r = send(
        "GET",
        &rig.gw
            .url(&format!("/v1/video_status.get?video_id={second_id}")),
        &[("x-api-key", token.as_str())],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    eventually_async(
        || async { rig.holds("tenant=alpha&state=released").await.len() == 1 },
        WAIT,
    )
    .await;

    let text = rig.metrics().await;
    assert_metric(&text, &format!("{} 0.5", credits("captured", "alpha")));
    assert_metric(&text, &format!("{} 0.5", credits("released", "alpha")));
    assert_metric(&text, &format!("{} 1", credits("held", "alpha")));
    // The two status reads are video-family forwards too.
    assert_metric(&text, &format!("{VIDEO_OK} 4"));
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn idle_scopes_have_budget_gauges() {
    let rig = Rig::start_manual(|c| {
        c.tenant_budgets("beta", "daily = 10, monthly = 100")
            .org_budgets(&[("monthly", "5000"), ("total", "20000")])
    })
    .await;
    // The first gauge refresh runs at start; no request has been made.
    rig.wait_metric("heygen_gateway_budget_limit_credits{scope=\"beta\",window=\"daily\"} 10")
        .await;
    // Render gauges are the last the refresh sets.
    rig.wait_metric("heygen_gateway_renders_in_flight{scope=\"org\"} 0")
        .await;
    let text = rig.metrics().await;
    let tomorrow = (noon().date_naive() + ChronoDuration::days(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp();
    let april = Utc
        .with_ymd_and_hms(2026, 4, 1, 0, 0, 0)
        .single()
        .expect("valid")
        .timestamp();
    for line in [
        "heygen_gateway_budget_remaining_credits{scope=\"beta\",window=\"daily\"} 10".to_string(),
        "heygen_gateway_budget_used_ratio{scope=\"beta\",window=\"daily\"} 0".to_string(),
        format!("heygen_gateway_budget_reset_timestamp_seconds{{scope=\"beta\",window=\"daily\"}} {tomorrow}"),
        "heygen_gateway_budget_limit_credits{scope=\"beta\",window=\"monthly\"} 100".to_string(),
        "heygen_gateway_budget_remaining_credits{scope=\"beta\",window=\"monthly\"} 100".to_string(),
        format!("heygen_gateway_budget_reset_timestamp_seconds{{scope=\"beta\",window=\"monthly\"}} {april}"),
        "heygen_gateway_budget_threshold_crossed{scope=\"beta\",threshold=\"80\",window=\"daily\"} 0".to_string(),
        "heygen_gateway_budget_threshold_crossed{scope=\"beta\",threshold=\"95\",window=\"monthly\"} 0".to_string(),
        "heygen_gateway_budget_limit_credits{scope=\"org\",window=\"monthly\"} 5000".to_string(),
        "heygen_gateway_budget_remaining_credits{scope=\"org\",window=\"monthly\"} 5000".to_string(),
        format!("heygen_gateway_budget_reset_timestamp_seconds{{scope=\"org\",window=\"monthly\"}} {april}"),
        "heygen_gateway_budget_limit_credits{scope=\"org\",window=\"total\"} 20000".to_string(),
        "heygen_gateway_budget_threshold_crossed{scope=\"org\",threshold=\"80\",window=\"total\"} 0".to_string(),
        "heygen_gateway_renders_in_flight{scope=\"beta\"} 0".to_string(),
        "heygen_gateway_renders_in_flight{scope=\"org\"} 0".to_string(),
        "heygen_gateway_holds_open 0".to_string(),
        "heygen_gateway_holds_oldest_age_seconds 0".to_string(),
        "heygen_gateway_ledger_errors_total{op=\"hold\"} 0".to_string(),
        "heygen_gateway_config_reloads_total{result=\"failure\"} 0".to_string(),
        "heygen_gateway_config_reloads_total{result=\"success\"} 0".to_string(),
    ] {
        assert_metric(&text, &line);
    }
    let build = text
        .lines()
        .find(|l| l.starts_with("heygen_gateway_build_info{"))
        .unwrap_or_else(|| panic!("no build_info: {text}"));
    assert!(
        build.contains("git_revision=") && build.ends_with(" 1"),
        "{build}"
    );
    assert!(
        build.contains(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION"))),
        "{build}"
    );
    assert!(
        text.contains("process_resident_memory_bytes "),
        "process metrics"
    );
    // Only configured windows have series; `total` never resets.
    for absent in [
        "heygen_gateway_budget_limit_credits{scope=\"beta\",window=\"weekly\"}",
        "heygen_gateway_budget_limit_credits{scope=\"gamma\",window=\"daily\"}",
        "heygen_gateway_budget_limit_credits{scope=\"org\",window=\"daily\"}",
        "heygen_gateway_budget_reset_timestamp_seconds{scope=\"org\",window=\"total\"}",
    ] {
        assert_eq!(metric_value(&text, absent), None, "{absent}\n{text}");
    }
    rig.gw.shutdown().await;
}
