//! The fast lane (`src/lane`) on the wire: a plain read it serves reaches
//! HeyGen, and answers the tenant, as the stack would have; its refusals
//! and failures are the stack's; the access line says who served it.

use std::time::Duration;

use http::HeaderMap;

use crate::common::*;
use crate::{raw_json, status_line, Rig};

/// A free read no isolation rule names: the lane's to take.
const READ: &str = "/v2/video_translate/target_languages";

/// The fields of a request HeyGen received, as sorted `name: value` lines.
fn fields(h: &HeaderMap) -> Vec<String> {
    let mut out: Vec<String> = h
        .iter()
        .map(|(n, v)| format!("{n}: {}", String::from_utf8_lossy(v.as_bytes())))
        .collect();
    out.sort();
    out
}

/// The access line logged for request `id`.
fn access_line(logs: &LogBuffer, id: &str) -> String {
    logs.contents()
        .lines()
        .find(|l| l.contains("Request handled.") && l.contains(id))
        .unwrap_or_else(|| panic!("no access line for {id}:\n{}", logs.contents()))
        .to_string()
}

// A current-thread runtime (the default) so every gateway task logs into the capture.
#[tokio::test]
async fn a_lane_read_reaches_heygen_and_the_tenant_as_a_stack_read_does() {
    let (_guard, logs) = capture_logs();
    let rig = Rig::start().await;
    let token = tenant_token("alpha");
    let fields_sent = format!(
        "X-Api-Key: {token}\r\nAccept: application/json\r\nKeep-Alive: 300\r\nTE: trailers\r\n\
         X-HTTP-Method-Override: DELETE\r\nX-Forwarded-For: 203.0.113.9\r\n\
         X-Forwarded-Proto: https\r\nUser-Agent: app/1.0\r\n\
         traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n"
    );
    // HTTP/1.1: the lane. HTTP/1.0 goes to hyper, so the stack serves it.
    let lane = raw_http(
        rig.gw.addr,
        &format!("GET {READ}?x=1 HTTP/1.1\r\nHost: gw\r\nX-Request-Id: via-lane\r\n{fields_sent}Connection: close\r\n\r\n"),
    )
    .await;
    let stack = raw_http(
        rig.gw.addr,
        &format!(
            "GET {READ}?x=1 HTTP/1.0\r\nHost: gw\r\nX-Request-Id: via-stack\r\n{fields_sent}\r\n"
        ),
    )
    .await;
    assert_eq!(status_line(&lane), "HTTP/1.1 200 OK", "{lane}");
    assert_eq!(raw_json(&lane), raw_json(&stack));
    assert!(lane.contains("\r\nx-request-id: via-lane\r\n"), "{lane}");
    let seen = rig.mock.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].query.as_deref(), Some("x=1"));
    assert_eq!(seen[0].header("x-api-key"), Some(ORG_KEY));
    assert_eq!(seen[0].header("x-request-id"), Some("via-lane"));
    assert_eq!(
        seen[0].header("x-forwarded-for"),
        Some("203.0.113.9, 127.0.0.1")
    );
    // Every field HeyGen got is the same but the request id.
    let same = |h: &HeaderMap| -> Vec<String> {
        fields(h)
            .into_iter()
            .filter(|f| !f.starts_with("x-request-id:"))
            .collect()
    };
    assert_eq!(same(&seen[0].headers), same(&seen[1].headers));
    let line = access_line(&logs, "via-lane");
    for part in [
        "served_by=\"lane\"",
        "tenant=\"alpha\"",
        "status=200",
        "trace_id=\"0af7651916cd43dd8448eb211c80319c\"",
        "upstream_status=200",
    ] {
        assert!(line.contains(part), "{part} in {line}");
    }
    assert!(access_line(&logs, "via-stack").contains("served_by=\"stack\""));
    let metrics = metrics_text(rig.gw.admin_addr).await;
    assert_metric(
        &metrics,
        "heygen_gateway_requests_total{family=\"translation\",outcome=\"forwarded\",status_class=\"2xx\"} 2",
    );
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn a_head_read_on_the_lane_is_answered_as_on_the_stack_without_a_body() {
    let (_guard, logs) = capture_logs();
    let rig = Rig::start().await;
    let token = tenant_token("alpha");
    let head = |version: &str| {
        format!("HEAD {READ} HTTP/{version}\r\nHost: gw\r\nX-Api-Key: {token}\r\nX-Request-Id: head-{version}\r\nConnection: close\r\n\r\n")
    };
    let lane = raw_http(rig.gw.addr, &head("1.1")).await;
    let stack = raw_http(rig.gw.addr, &head("1.0")).await;
    assert!(access_line(&logs, "head-1.1").contains("served_by=\"lane\""));
    assert!(access_line(&logs, "head-1.0").contains("served_by=\"stack\""));
    let status = |raw: &str| status_line(raw).split_once(' ').map(|(_, s)| s.to_string());
    let length = |raw: &str| {
        raw.lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .map(str::to_string)
    };
    // (The mock serves its reads to `GET` only: both answer its 404.)
    assert_eq!(status(&lane), status(&stack), "{lane}\n{stack}");
    assert!(length(&lane).is_some(), "{lane}");
    assert_eq!(length(&lane), length(&stack));
    assert!(lane.ends_with("\r\n\r\n"), "{lane}");
    assert_eq!(rig.mock.requests()[0].method, http::Method::HEAD);
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn the_lanes_refusals_and_failures_are_the_stacks() {
    let (_guard, logs) = capture_logs();
    let rig =
        Rig::start_with(|c| c.tenant_limits("alpha", "requests_per_minute = 1, burst = 1")).await;
    assert_eq!(
        rig.get(READ, &[("x-request-id", "first")]).await.status,
        200
    );
    let limited = rig.get(READ, &[("x-request-id", "second")]).await;
    assert_eq!(limited.status, 429, "{}", limited.text());
    assert_eq!(limited.header("x-gateway-rejected"), Some("rate_limited"));
    assert!(limited.header("retry-after").is_some());
    assert_eq!(limited.header("x-request-id"), Some("second"));
    // v2's envelope, as the stack renders it.
    assert_eq!(limited.json()["error"]["code"], "rate_limit_exceeded");
    let line = access_line(&logs, "second");
    assert!(line.contains("served_by=\"lane\""), "{line}");
    assert!(line.contains("reason=\"rate_limited\""), "{line}");
    let metrics = metrics_text(rig.gw.admin_addr).await;
    assert_metric(
        &metrics,
        "heygen_gateway_rejections_total{reason=\"rate_limited\"} 1",
    );
    rig.gw.shutdown().await;

    // HeyGen unreachable: 502 in the path's envelope, nothing else.
    let gw = TestGateway::start(TestConfig::new("http://127.0.0.1:9")).await;
    let token = tenant_token("alpha");
    let r = send(
        "GET",
        &gw.url(READ),
        &[("x-api-key", token.as_str()), ("x-request-id", "down")],
        "",
    )
    .await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.header("x-gateway-rejected"), Some("upstream_unreachable"));
    assert!(access_line(&logs, "down").contains("served_by=\"lane\""));
    gw.shutdown().await;
}

#[tokio::test]
async fn a_client_leaving_a_lane_read_is_logged_as_abandoned() {
    let (_guard, logs) = capture_logs();
    let rig = Rig::start().await;
    rig.mock.set_latency(Duration::from_secs(2));
    let token = tenant_token("alpha");
    let mut client = tokio::net::TcpStream::connect(rig.gw.addr)
        .await
        .expect("connect");
    let head = format!(
        "GET {READ} HTTP/1.1\r\nHost: gw\r\nX-Api-Key: {token}\r\nX-Request-Id: gone\r\n\r\n"
    );
    tokio::io::AsyncWriteExt::write_all(&mut client, head.as_bytes())
        .await
        .expect("write");
    let mock = &rig.mock;
    eventually(|| mock.count() == 1, Duration::from_secs(5)).await;
    drop(client);
    eventually(
        || logs.contents().contains("status=499"),
        Duration::from_secs(5),
    )
    .await;
    let line = access_line(&logs, "gone");
    assert!(line.contains("outcome=\"abandoned\""), "{line}");
    assert!(line.contains("served_by=\"lane\""), "{line}");
    rig.gw.shutdown().await;
}
