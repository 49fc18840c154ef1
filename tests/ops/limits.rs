//! 429s with `Retry-After`: the per-tenant request rate, the per-tenant cap
//! on renders in flight and the org-wide cap.

use super::*;

/// Asserts a 429 with `reason` in `X-Gateway-Rejected`, `code` in the
/// envelope and a whole-second `Retry-After` in `1..=max`; returns the body.
#[track_caller]
fn assert_429(r: &TestResponse, reason: &str, code: &str, max: u64) -> Value {
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.header("x-gateway-rejected"), Some(reason));
    let retry: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no whole-second Retry-After: {:?}", r.headers));
    assert!((1..=max).contains(&retry), "Retry-After {retry}");
    let body = r.json();
    assert_eq!(body["error"]["code"], code, "{body}");
    body
}

#[tokio::test]
async fn request_rate_over_the_burst_is_429_with_retry_after() {
    let rig = Rig::start(|c| c.tenant_limits("alpha", "requests_per_minute = 1, burst = 1")).await;
    assert_eq!(rig.read("alpha").await.status, 200);
    let r = rig.read("alpha").await;
    // One request a minute: the next fits in at most 60 s.
    assert_429(&r, "rate_limited", "rate_limit_exceeded", 60);
    // Billable requests are limited before anything is priced or held.
    let v = rig.video("alpha").await;
    assert_429(&v, "rate_limited", "rate_limit_exceeded", 60);
    assert!(rig.holds("tenant=alpha").await.is_empty());
    assert_eq!(
        rig.mock.control().requests_to("/v2/video/generate").len(),
        0
    );
    // Other tenants have their own quota.
    assert_eq!(rig.read("beta").await.status, 200);
    assert_eq!(rig.read("beta").await.status, 200);
    let text = rig.metrics().await;
    assert_metric(
        &text,
        "heygen_gateway_rejections_total{reason=\"rate_limited\"} 2",
    );
    assert_metric(
        &text,
        "heygen_gateway_requests_total{family=\"avatar\",outcome=\"rejected\",status_class=\"4xx\"} 1",
    );
    rig.gw.shutdown().await;
}

/// A quote counts against the tenant's rate: it probes media and reads
/// HeyGen with the org key, so a loop of them would spend the org's HeyGen
/// rate for every tenant. Usage reads only the gateway's ledger: not limited.
#[tokio::test]
async fn a_quote_counts_against_the_request_rate() {
    let rig = Rig::start(|c| c.tenant_limits("alpha", "requests_per_minute = 1, burst = 1")).await;
    let token = tenant_token("alpha");
    let url = rig.gw.url("/gateway/v1/usage");
    let headers = [("x-api-key", token.as_str())];
    for _ in 0..3 {
        assert_eq!(send("GET", &url, &headers, "").await.status, 200);
    }
    let quote = json!({"method": "POST", "path": "/v2/video/generate", "body": {}}).to_string();
    let quote_url = rig.gw.url("/gateway/v1/quote");
    let headers = [
        ("x-api-key", token.as_str()),
        ("content-type", "application/json"),
    ];
    let r = send("POST", &quote_url, &headers, quote.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = send("POST", &quote_url, &headers, quote).await;
    assert_429(&r, "rate_limited", "rate_limit_exceeded", 60);
    // HeyGen's signed callbacks carry no tenant and are not limited here.
    let hook = send(
        "OPTIONS",
        &rig.gw.url("/gateway/v1/webhooks/heygen"),
        &[],
        "",
    )
    .await;
    assert_eq!(hook.status, 200, "{}", hook.text());
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn tenant_render_cap_refuses_until_the_render_settles() {
    let rig = Rig::start(|c| {
        c.tenant_limits("alpha", "renders_in_flight = 1").set(
            "metrics",
            "gauge_interval_seconds",
            "1",
        )
    })
    .await;
    let first = rig.video_ok("alpha").await;
    let r = rig.video("alpha").await;
    let body = assert_429(&r, "renders_in_flight", "concurrency_limit_exceeded", 60);
    assert_eq!(body["error"]["scope"], "alpha", "{body}");
    assert_eq!(body["error"]["renders_in_flight_cap"], 1, "{body}");
    // Refused before forwarding; nothing held for it.
    assert_eq!(
        rig.mock.control().requests_to("/v2/video/generate").len(),
        1
    );
    assert_eq!(rig.holds("tenant=alpha").await.len(), 1);
    // The cap is alpha's alone.
    rig.video_ok("beta").await;
    rig.wait_metric("heygen_gateway_renders_in_flight{scope=\"alpha\"} 1")
        .await;
    rig.wait_metric("heygen_gateway_renders_in_flight{scope=\"org\"} 2")
        .await;

    rig.settle("alpha", &first, 3.0).await;
    rig.video_ok("alpha").await;
    assert_metric(
        &rig.metrics().await,
        "heygen_gateway_rejections_total{reason=\"renders_in_flight\"} 1",
    );
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn org_render_cap_applies_across_tenants() {
    let rig = Rig::start(|c| c.set("org", "renders_in_flight", "1")).await;
    let first = rig.video_ok("alpha").await;
    let r = rig.video("beta").await;
    let body = assert_429(&r, "renders_in_flight", "concurrency_limit_exceeded", 60);
    assert_eq!(body["error"]["scope"], "org", "{body}");
    // A failed render frees the slot as well.
    assert!(rig.mock.control().fail(&first, "render failed"));
    let token = tenant_token("alpha");
    let s = send(
        "GET",
        &rig.gw
            .url(&format!("/v1/video_status.get?video_id={first}")),
        &[("x-api-key", token.as_str())],
        "",
    )
    .await;
    assert_eq!(s.status, 200, "{}", s.text());
    eventually_async(
        || async { rig.holds("state=released").await.len() == 1 },
        WAIT,
    )
    .await;
    rig.video_ok("beta").await;
    rig.gw.shutdown().await;
}
