//! Tests of the mock HeyGen upstream itself (no gateway involved): the key
//! check here, the rest by concern in `tests/mock_upstream/`.

#[path = "mock_upstream/agents.rs"]
mod agents;
#[path = "mock_upstream/batches.rs"]
mod batches;
mod common;
#[path = "mock_upstream/faults.rs"]
mod faults;
#[path = "mock_upstream/idempotency.rs"]
mod idempotency;
#[path = "mock_upstream/jobs.rs"]
mod jobs;
#[path = "mock_upstream/shapes.rs"]
mod shapes;

use common::*;
use heygen_mock::MockHeygen;
use serde_json::{json, Value};

fn key() -> [(&'static str, &'static str); 1] {
    [("X-Api-Key", ORG_KEY)]
}

async fn post_json(mock: &MockHeygen, path: &str, body: Value) -> TestResponse {
    send(
        "POST",
        &format!("{}{path}", mock.url()),
        &[("x-api-key", ORG_KEY), ("content-type", "application/json")],
        body.to_string(),
    )
    .await
}

async fn get(mock: &MockHeygen, path: &str) -> TestResponse {
    send("GET", &format!("{}{path}", mock.url()), &key(), "").await
}

#[tokio::test]
async fn rejects_wrong_or_missing_key_with_heygens_401_per_generation() {
    let mock = start_mock().await;
    let cases = [
        (
            "/v1/video_status.get?video_id=x",
            json!({"code": 400112, "message": "Unauthorized"}),
        ),
        (
            "/v2/avatars",
            json!({"data": null, "error": {"code": "internal_error", "message": "Unauthorized"}}),
        ),
    ];
    for (path, expected) in cases {
        for headers in [vec![], vec![("X-Api-Key", "sk_tenant_key")]] {
            let r = send("GET", &format!("{}{path}", mock.url()), &headers, "").await;
            assert_eq!(r.status, 401, "{path}");
            assert_eq!(r.json(), expected, "{path}");
        }
    }
    let r = send("GET", &format!("{}/v3/users/me", mock.url()), &[], "").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "unauthorized");
    assert!(r.json().get("data").is_none());

    // Two keys (say, a leaked tenant key next to the org key) are refused too.
    let r = send(
        "GET",
        &format!("{}/v2/avatars", mock.url()),
        &[("x-api-key", ORG_KEY), ("X-API-KEY", "sk_tenant_key")],
        "",
    )
    .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn accepts_the_org_key_in_any_header_case() {
    let mock = start_mock().await;
    for name in ["X-Api-Key", "x-api-key", "X-API-KEY"] {
        let r = send(
            "GET",
            &format!("{}/v2/voices", mock.url()),
            &[(name, ORG_KEY)],
            "",
        )
        .await;
        assert_eq!(r.status, 200, "{name}");
        assert!(r.json()["error"].is_null());
        assert!(r.json()["data"]["voices"]
            .as_array()
            .is_some_and(|v| !v.is_empty()));
    }
}

// Self-checks of the shared harness (cheap, and they keep it honest).

#[tokio::test]
async fn harness_config_builds_a_valid_gateway_config() {
    let mock = start_mock().await;
    let cfg = TestConfig::for_mock(&mock)
        .tenant_budgets("alpha", "daily = 50, monthly = 600")
        .tenant_limits(
            "beta",
            "requests_per_minute = 120, burst = 20, renders_in_flight = 3",
        )
        .disable_tenant("gamma")
        .org_budgets(&[("monthly", "5000")])
        .set("upstream", "request_timeout_ms", "500")
        .extra("[plan]\ntier = \"enterprise\"");
    let config = cfg.config();
    assert_eq!(config.tenants.len(), 3);
    assert_eq!(config.upstream.api.to_string(), mock.url());
    assert_eq!(config.upstream.upload.to_string(), mock.url());
    assert_eq!(config.server.listen.port(), 0);
    let alpha = config.tenant("alpha").expect("alpha");
    assert_eq!(alpha.key_hashes.len(), 1);
    assert_eq!(
        format!("sha256:{}", hex::encode(alpha.key_hashes[0])),
        key_hash(&tenant_token("alpha"))
    );
    assert!(alpha.budgets.daily.is_some());
    assert!(!config.tenant("gamma").expect("gamma").enabled);
    assert_eq!(config.plan.tier.as_str(), "enterprise");
    assert!(config.org.budgets.monthly.is_some());
}

#[test]
fn harness_metric_helpers_and_log_capture() {
    let text = "# TYPE x counter\nx_total{a=\"1\"} 3\nx_total{a=\"2\"} 4.5\n";
    assert_metric(text, "x_total{a=\"1\"} 3");
    assert_eq!(metric_value(text, "x_total{a=\"2\"}"), Some(4.5));
    assert_eq!(metric_value(text, "x_total{a=\"3\"}"), None);
    let missing = std::panic::catch_unwind(|| assert_metric(text, "x_total 1"));
    assert!(missing.is_err());

    let (guard, logs) = capture_logs();
    tracing::info!(tenant = "alpha", "hello from the test");
    drop(guard);
    tracing::info!("not captured");
    assert!(logs.contains("hello from the test"));
    assert!(logs.contains("tenant=\"alpha\""));
    assert!(!logs.contains("not captured"));
}
