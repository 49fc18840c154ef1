//! Body read deadlines on every route: a stalled or trickled body gets 408
//! in HeyGen's envelope and nothing reaches HeyGen; a webhook declaring more
//! than the cap gets 413 before a byte of it is read.

use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::common::*;
use crate::{connect_from, exchange, status_of, until_closed, Rig};

const STALL: &[(&str, &str)] = &[("body_read_timeout_ms", "300")];

/// A head declaring `len` body bytes, then only `sent` of them.
fn stalled(method_path: &str, extra: &str, len: usize, sent: &str) -> String {
    format!(
        "{method_path} HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n{extra}Content-Length: {len}\r\nConnection: close\r\n\r\n{sent}"
    )
}

fn alpha() -> String {
    format!("X-Api-Key: {}\r\n", tenant_token("alpha"))
}

#[tokio::test]
async fn a_stalled_priced_body_gets_408_and_nothing_is_forwarded_or_held() {
    let rig = Rig::start_with(STALL, |c| c.tenant_budgets("alpha", "daily = 1000")).await;
    let mut s = connect_from([127, 0, 0, 1], rig.gw.addr).await;
    let req = stalled(
        "POST /v2/video/generate",
        &alpha(),
        500,
        r#"{"video_inputs":"#,
    );
    let got = exchange(&mut s, req.as_bytes()).await;
    assert!(status_of(&got).starts_with("HTTP/1.1 408"), "{got}");
    assert!(got.contains(r#""data":null"#), "v2 envelope: {got}");
    assert!(got.contains(r#""code":"request_timeout""#), "{got}");
    assert!(
        got.to_ascii_lowercase()
            .contains("x-gateway-rejected: body_timeout"),
        "{got}"
    );
    assert!(rig.mock.requests().is_empty(), "nothing reached HeyGen");
    // Nothing was held or charged for alpha.
    let token = tenant_token("alpha");
    let usage = send(
        "GET",
        &rig.gw.url("/gateway/v1/usage"),
        &[("x-api-key", &token)],
        "",
    )
    .await;
    assert_eq!(usage.status, 200, "{}", usage.text());
    let windows = usage.json()["data"]["windows"].clone();
    let windows = windows.as_array().expect("usage windows");
    assert!(!windows.is_empty(), "{}", usage.text());
    for w in windows {
        for field in ["held", "spent"] {
            let v: f64 = w[field].as_str().unwrap_or("x").parse().expect("credits");
            assert_eq!(v, 0.0, "{field} in {w}");
        }
    }
    let m = rig.metrics().await;
    assert_metric(
        &m,
        "heygen_gateway_rejections_total{reason=\"body_timeout\"} 1",
    );
}

#[tokio::test]
async fn a_stalled_streamed_upload_gets_408() {
    let rig = Rig::start(STALL).await;
    let mut s = connect_from([127, 0, 0, 1], rig.gw.addr).await;
    let req = stalled("POST /v1/asset", &alpha(), 100_000, "0123456789");
    let got = exchange(&mut s, req.as_bytes()).await;
    assert!(status_of(&got).starts_with("HTTP/1.1 408"), "{got}");
    // The v1 envelope of a path HeyGen serves as v1.
    assert!(got.contains(r#""error_code":"request_timeout""#), "{got}");
    assert!(rig.mock.uploads().is_empty(), "no upload completed");
}

#[tokio::test]
async fn a_stalled_webhook_gets_408_before_any_signature_check() {
    let rig = Rig::start(STALL).await;
    let mut s = connect_from([127, 0, 0, 1], rig.gw.addr).await;
    let req = stalled("POST /gateway/v1/webhooks/heygen", "", 1000, r#"{"event"#);
    let got = exchange(&mut s, req.as_bytes()).await;
    assert!(status_of(&got).starts_with("HTTP/1.1 408"), "{got}");
}

#[tokio::test]
async fn a_webhook_declaring_more_than_the_cap_gets_413_unread() {
    let rig = Rig::start(&[]).await;
    let mut s = connect_from([127, 0, 0, 1], rig.gw.addr).await;
    // Only the head is sent: the answer must not wait for the body.
    let req = stalled("POST /gateway/v1/webhooks/heygen", "", 50_000_000, "");
    s.write_all(req.as_bytes()).await.unwrap();
    let got = until_closed(&mut s, Duration::from_secs(5))
        .await
        .expect("answered without reading the body");
    assert!(status_of(&got).starts_with("HTTP/1.1 413"), "{got}");
}

/// An upload (a creation the gateway records) declaring more than
/// `server.max_body_bytes` is refused from its head, as a pass-through is:
/// nothing reaches HeyGen and no body is waited for.
#[tokio::test]
async fn an_upload_declaring_more_than_the_limit_gets_413_unread() {
    let rig = Rig::start(&[]).await;
    for path in ["POST /v1/asset", "POST /v3/assets"] {
        let mut s = connect_from([127, 0, 0, 1], rig.gw.addr).await;
        let req = stalled(path, &alpha(), 999_999_999_999, "");
        s.write_all(req.as_bytes()).await.unwrap();
        let got = until_closed(&mut s, Duration::from_secs(5))
            .await
            .expect("answered without reading the body");
        assert!(status_of(&got).starts_with("HTTP/1.1 413"), "{path}: {got}");
        assert!(got.contains("payload_too_large"), "{path}: {got}");
    }
    assert!(rig.mock.uploads().is_empty(), "nothing reached HeyGen");
    assert!(rig.mock.requests_to("/v3/assets").is_empty());
}

#[tokio::test]
async fn a_trickle_below_the_minimum_rate_gets_408() {
    let rig = Rig::start(&[
        ("body_read_timeout_ms", "400"),
        ("body_min_rate_bytes_per_second", "1000"),
    ])
    .await;
    let s = connect_from([127, 0, 0, 1], rig.gw.addr).await;
    let (mut r, mut w) = s.into_split();
    let head = stalled("POST /gateway/v1/webhooks/heygen", "", 200, "");
    // One byte every 100 ms: every gap is well under the 400 ms stall
    // timeout, the average far below 1,000 B/s.
    let writer = tokio::spawn(async move {
        let _ = w.write_all(head.as_bytes()).await;
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if w.write_all(b" ").await.is_err() {
                break;
            }
        }
    });
    let mut out = Vec::new();
    let _ = tokio::time::timeout(
        Duration::from_secs(15),
        tokio::io::AsyncReadExt::read_to_end(&mut r, &mut out),
    )
    .await;
    writer.abort();
    let got = String::from_utf8_lossy(&out);
    assert!(status_of(&got).starts_with("HTTP/1.1 408"), "{got}");
}

#[tokio::test]
async fn a_steady_body_is_not_cut() {
    let rig = Rig::start(&[
        ("body_read_timeout_ms", "400"),
        ("body_min_rate_bytes_per_second", "1000"),
    ])
    .await;
    // A streamed upload in many pieces, each arriving promptly.
    let (body, _sha) = chunked_body(2_000_000, 16 * 1024);
    let token = tenant_token("alpha");
    let r = send_body(
        "POST",
        &rig.gw.url("/v1/asset"),
        &[("x-api-key", &token), ("content-type", "image/png")],
        body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let uploads = rig.mock.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].bytes, 2_000_000);
}
