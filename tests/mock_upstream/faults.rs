//! The mock's knobs and faults: quota, auto-completion and a mock without a
//! request log, requests recorded byte-exact, large uploads and h2c, and the
//! injected 5xx/429, resets, hangs, latency and shutdown.

use std::time::Duration;

use heygen_mock::{JobStatus, MockConfig, MockHeygen};
use http::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::{get, key, post_json};

#[tokio::test]
async fn auto_complete_quota_and_lists() {
    let mock = MockHeygen::start(MockConfig {
        remaining_quota: 120,
        auto_complete: Some(30.0),
        ..MockConfig::new(ORG_KEY)
    })
    .await
    .expect("start");
    let q = get(&mock, "/v2/user/remaining_quota").await.json();
    assert_eq!(q["data"]["remaining_quota"], 120);
    mock.set_remaining_quota(60);
    let q = get(&mock, "/v2/user/remaining_quota").await.json();
    assert_eq!(q["data"]["details"]["api"], 60);

    let r = post_json(&mock, "/v2/video/generate", json!({}))
        .await
        .json();
    let id = r["data"]["video_id"].as_str().expect("id");
    let s = get(&mock, &format!("/v1/video_status.get?video_id={id}"))
        .await
        .json();
    assert_eq!(s["data"]["status"], "completed");
    assert_eq!(s["data"]["duration"], 30.0);

    mock.set_auto_complete(None);
    let r = post_json(&mock, "/v2/video/generate", json!({}))
        .await
        .json();
    let id2 = r["data"]["video_id"].as_str().expect("id");
    assert_eq!(mock.job(id2).map(|j| j.status), Some(JobStatus::Pending));

    let list = get(&mock, "/v1/video.list").await.json();
    assert_eq!(list["data"]["videos"].as_array().map(Vec::len), Some(2));
    assert!(get(&mock, "/v2/avatars").await.json()["data"]["avatars"].is_array());
    assert_eq!(
        get(&mock, "/v3/users/me").await.json()["data"]["billing_type"],
        "wallet"
    );
}

#[tokio::test]
async fn records_requests_byte_exact() {
    let mock = start_mock().await;
    let query = "video_id=abc&x=%2F+y&x=2";
    get(&mock, &format!("/v1/video_status.get?{query}")).await;
    post_json(&mock, "/v3/videos", json!({"type": "avatar"})).await;
    assert_eq!(mock.count(), 2);
    let r = &mock.requests_to("/v1/video_status.get")[0];
    assert_eq!(r.method, http::Method::GET);
    assert_eq!(r.query.as_deref(), Some(query));
    assert_eq!(r.header("x-api-key"), Some(ORG_KEY));
    assert_eq!(r.host.as_deref(), Some(mock.addr().to_string().as_str()));
    let p = &mock.requests_to("/v3/videos")[0];
    assert_eq!(p.json(), Some(json!({"type": "avatar"})));
    assert_eq!(p.body_len, p.body.len() as u64);
    mock.clear();
    assert_eq!(mock.count(), 0);
}

#[tokio::test]
async fn upload_streams_20_mb_and_records_count_and_hash() {
    let mock = start_mock().await;
    let total: u64 = 20 * 1024 * 1024;
    let (body, sha) = chunked_body(total, 64 * 1024);
    let r = send_body(
        "POST",
        &format!("{}/v1/asset", mock.url()),
        &[("x-api-key", ORG_KEY), ("content-type", "video/mp4")],
        body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(j["code"], 100);
    assert_eq!(j["data"]["file_type"], "video");
    let uploads = mock.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].bytes, total);
    assert_eq!(uploads[0].sha256, sha);
    assert_eq!(j["data"]["id"], uploads[0].id.as_str());
    let rec = &mock.requests_to("/v1/asset")[0];
    assert_eq!(rec.body_len, total);
    assert_eq!(rec.body.len(), 1024 * 1024, "only the first MiB is kept");
    assert_eq!(rec.body_sha256, sha);
}

#[tokio::test]
async fn serves_h2c_with_prior_knowledge() {
    let mock = start_mock().await;
    let r = send_h2("GET", &format!("{}/v2/avatars", mock.url()), &key(), "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.version, http::Version::HTTP_2);
    let rec = &mock.requests()[0];
    assert_eq!(rec.version, http::Version::HTTP_2);
    assert_eq!(rec.host.as_deref(), Some(mock.addr().to_string().as_str()));
}

#[tokio::test]
async fn injected_5xx_429_and_overrides() {
    let mock = start_mock().await;
    mock.fail_next(2, StatusCode::BAD_GATEWAY);
    for _ in 0..2 {
        let r = get(&mock, "/v2/avatars").await;
        assert_eq!(r.status, 502);
        assert_eq!(r.json()["error"]["code"], "internal_error");
    }
    assert_eq!(get(&mock, "/v2/avatars").await.status, 200);

    mock.set_status_override(Some(StatusCode::SERVICE_UNAVAILABLE));
    let r = get(&mock, "/v1/video.list").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["code"], 500);
    mock.set_status_override(None);

    mock.on_path("/v3/").set_rate_limited(Some(7));
    let r = get(&mock, "/v3/users/me").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(r.json()["error"]["code"], "rate_limit_exceeded");
    assert_eq!(
        get(&mock, "/v2/voices").await.status,
        200,
        "other paths unaffected"
    );
    mock.clear_faults();
    assert_eq!(get(&mock, "/v3/users/me").await.status, 200);
    // Faulted requests are recorded too.
    assert_eq!(mock.count(), 7);
}

#[tokio::test]
async fn reset_closes_the_connection_without_a_response() {
    let mock = start_mock().await;
    mock.reset_connections(true);
    let url = format!("{}/v2/avatars", mock.url());
    let r = try_send("GET", &url, &key(), full(""), false).await;
    assert!(r.is_err(), "expected a transport error, got {r:?}");
    let r = try_send("GET", &url, &key(), full(""), true).await;
    assert!(r.is_err(), "h2: expected a stream error, got {r:?}");
    mock.reset_connections(false);
    assert_eq!(get(&mock, "/v2/avatars").await.status, 200);
}

#[tokio::test]
async fn hang_never_answers_until_released() {
    let mock = start_mock().await;
    mock.hang(true);
    let url = format!("{}/v2/avatars", mock.url());
    let timed = tokio::time::timeout(
        Duration::from_millis(300),
        try_send("GET", &url, &key(), full(""), false),
    )
    .await;
    assert!(timed.is_err(), "a hung request must not be answered");

    // A request hung now is answered normally once hanging stops.
    let pending = tokio::spawn({
        let url = url.clone();
        async move { try_send("GET", &url, &key(), full(""), false).await }
    });
    let control = mock.control();
    eventually(|| control.count() == 2, Duration::from_secs(5)).await;
    mock.hang(false);
    let r = pending.await.expect("join").expect("answered");
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn latency_delays_answers_per_path() {
    let mock = start_mock().await;
    mock.on_path("/v2/").set_latency(Duration::from_secs(30));
    let slow = tokio::time::timeout(Duration::from_millis(200), get(&mock, "/v2/avatars")).await;
    assert!(
        slow.is_err(),
        "a 30 s delay must outlast a 200 ms client timeout"
    );
    assert_eq!(get(&mock, "/v1/video.list").await.status, 200);
    mock.on_path("/v2/").clear();
    assert_eq!(get(&mock, "/v2/avatars").await.status, 200);
}

#[tokio::test]
async fn stops_serving_after_shutdown() {
    let mock = start_mock().await;
    let url = format!("{}/v2/avatars", mock.url());
    mock.shutdown().await;
    assert!(try_send("GET", &url, &key(), full(""), false)
        .await
        .is_err());
}

/// The `mock-upstream` command's mock keeps no request log (nothing can
/// read it over HTTP, and it grew with every request): it still answers and
/// keeps jobs.
#[tokio::test]
async fn a_mock_without_a_request_log_answers_and_keeps_jobs() {
    let mock = MockHeygen::start(MockConfig {
        record_requests: false,
        auto_complete: Some(30.0),
        ..MockConfig::new(ORG_KEY)
    })
    .await
    .expect("start");
    let q = get(&mock, "/v2/user/remaining_quota").await.json();
    assert!(q["data"]["remaining_quota"].is_number(), "{q}");
    let r = post_json(
        &mock,
        "/v2/video/generate",
        json!({"video_inputs": [{"voice": {"type": "silence", "duration": 3.0}}]}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(mock.count(), 0);
    assert_eq!(mock.jobs().len(), 1);
}
