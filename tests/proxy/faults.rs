//! Upstream faults and body limits: 502 when HeyGen is unreachable, 504 when
//! it does not answer in time, HeyGen's own 5xx untouched, 413 over the limit.

use http::StatusCode;
use serde_json::Value;

use crate::common::*;
use crate::Rig;

/// A loopback port nothing listens on.
async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

#[track_caller]
fn assert_gateway_error(r: &TestResponse, status: u16, code: &str, reason: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.header("x-gateway-rejected"), Some(reason));
    let body: Value = r.json();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["data"].is_null() && body.get("data").is_some(),
        "{body}"
    );
    assert!(!r.text().contains(ORG_KEY));
}

#[tokio::test]
async fn upstream_down_is_a_502_bad_gateway() {
    let url = closed_port_url().await;
    let gw = TestGateway::start(TestConfig::new(&url).tenant("alpha", crate::org_wide)).await;
    let token = tenant_token("alpha");
    let r = send("GET", &gw.url("/v2/avatars"), &[("x-api-key", &token)], "").await;
    assert_gateway_error(&r, 502, "bad_gateway", "upstream_unreachable");
    let r = send(
        "GET",
        &gw.url("/v1/video_status.get?video_id=x"),
        &[("x-api-key", &token)],
        "",
    )
    .await;
    assert_eq!(r.status, 502);
    assert_eq!(r.json()["error_code"], "bad_gateway", "{}", r.text());
    let r = send(
        "POST",
        &gw.url("/v1/asset"),
        &[("x-api-key", &token), ("content-type", "image/png")],
        vec![0u8; 10_000],
    )
    .await;
    assert_eq!(r.status, 502, "{}", r.text());
}

#[tokio::test]
async fn upstream_hang_is_a_504_gateway_timeout() {
    let rig = Rig::start_with(|c| c.set("upstream", "request_timeout_ms", "300")).await;
    rig.mock.hang(true);
    let r = rig.get("/v2/avatars", &[]).await;
    assert_gateway_error(&r, 504, "gateway_timeout", "upstream_timeout");
    assert_eq!(rig.mock.count(), 1, "the request did reach HeyGen");
    rig.mock.hang(false);
    let r = rig.get("/v2/avatars", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn heygen_5xx_passes_through_unchanged() {
    let rig = Rig::start().await;
    for status in [
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::BAD_GATEWAY,
        StatusCode::SERVICE_UNAVAILABLE,
    ] {
        rig.mock.fail_next(1, status);
        let direct = rig.direct("GET", "/v2/avatars").await;
        assert_eq!(direct.status, status);
        rig.mock.fail_next(1, status);
        let r = rig.get("/v2/avatars", &[]).await;
        assert_eq!(r.status, status);
        assert_eq!(r.body, direct.body);
        assert!(
            r.header("x-gateway-rejected").is_none(),
            "HeyGen's answer, not the gateway's"
        );
    }
    // A connection lost after sending is the gateway's 502, told apart from
    // "never connected" because HeyGen may have acted on the request.
    rig.mock.reset_connections(true);
    let r = rig.get("/v2/avatars", &[]).await;
    assert_gateway_error(&r, 502, "bad_gateway", "upstream_failed");
}

#[tokio::test]
async fn content_length_over_the_limit_is_413_unforwarded() {
    let rig = Rig::start_with(|c| c.set("server", "max_body_bytes", "4096")).await;
    let token = tenant_token("alpha");
    let r = try_send(
        "POST",
        &rig.gw.url("/v1/asset"),
        &[("x-api-key", &token), ("content-type", "image/png")],
        full(vec![0u8; 4097]),
        false,
    )
    .await
    .expect("a 413 answer");
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.header("x-gateway-rejected"), Some("payload_too_large"));
    assert_eq!(r.json()["code"], 413000, "{}", r.text());
    assert_eq!(rig.mock.count(), 0);

    // At the limit is fine.
    let r = send(
        "POST",
        &rig.gw.url("/v1/asset"),
        &[("x-api-key", &token), ("content-type", "image/png")],
        vec![0u8; 4096],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(rig.mock.uploads()[0].bytes, 4096);
}

#[tokio::test]
async fn chunked_body_passing_the_limit_mid_stream_is_refused() {
    let rig = Rig::start_with(|c| c.set("server", "max_body_bytes", "100000")).await;
    let token = tenant_token("alpha");
    // No Content-Length: the gateway only learns the size while streaming.
    let (body, _) = chunked_body(1_000_000, 8192);
    let result = try_send(
        "POST",
        &rig.gw.url("/v1/asset"),
        &[("x-api-key", &token), ("content-type", "video/mp4")],
        body,
        false,
    )
    .await;
    match result {
        Ok(r) => {
            assert_eq!(r.status, 413, "{}", r.text());
            assert_eq!(r.header("x-gateway-rejected"), Some("payload_too_large"));
        }
        // Refusing the connection mid-upload is also a refusal.
        Err(e) => eprintln!("connection refused mid-stream: {e}"),
    }
    // Whatever part reached HeyGen before the abort stayed within the limit.
    for r in rig.mock.requests() {
        assert!(r.body_len <= 100_000, "{} bytes forwarded", r.body_len);
    }
    // The gateway keeps serving.
    let r = rig.get("/v2/avatars", &[]).await;
    assert_eq!(r.status, 200);
}
