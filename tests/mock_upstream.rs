//! Tests of the mock HeyGen upstream itself (no gateway involved).

mod common;
#[path = "mock_upstream/idempotency.rs"]
mod idempotency;

use std::time::Duration;

use common::*;
use heygen_mock::{JobStatus, MockConfig, MockHeygen};
use http::StatusCode;
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

#[tokio::test]
async fn video_goes_pending_to_completed_with_duration() {
    let mock = start_mock().await;
    let r = post_json(
        &mock,
        "/v2/video/generate",
        json!({"title": "Q3", "callback_id": "t:1",
        "video_inputs": [{"voice": {"type": "silence", "duration": 3.0}}]}),
    )
    .await;
    assert_eq!(r.status, 200);
    let body = r.json();
    assert!(body["error"].is_null());
    let id = body["data"]["video_id"]
        .as_str()
        .expect("video_id")
        .to_string();

    let s = get(&mock, &format!("/v1/video_status.get?video_id={id}"))
        .await
        .json();
    assert_eq!(s["code"], 100);
    assert_eq!(s["message"], "Success");
    assert_eq!(s["data"]["status"], "pending");
    assert!(s["data"]["duration"].is_null());
    assert_eq!(s["data"]["callback_id"], "t:1");

    assert!(mock.complete(&id, 27.43));
    let s = get(&mock, &format!("/v1/video_status.get?video_id={id}"))
        .await
        .json();
    assert_eq!(s["data"]["status"], "completed");
    assert_eq!(s["data"]["duration"], 27.43);
    assert!(s["data"]["video_url"].is_string());

    let v3 = get(&mock, &format!("/v3/videos/{id}")).await.json();
    assert_eq!(v3["data"]["status"], "completed");
    assert_eq!(v3["data"]["duration"], 27.43);
    let v2 = get(&mock, &format!("/v2/videos/{id}")).await.json();
    assert_eq!(v2["data"]["duration"], 27.43);
    assert_eq!(mock.job(&id).map(|j| j.status), Some(JobStatus::Completed));
}

#[tokio::test]
async fn v3_video_can_fail_and_unknown_ids_are_404() {
    let mock = start_mock().await;
    let r = post_json(
        &mock,
        "/v3/videos",
        json!({"type": "avatar", "avatar_id": "a", "script": "hi"}),
    )
    .await;
    let data = &r.json()["data"];
    assert_eq!(data["status"], "waiting");
    assert_eq!(data["output_format"], "mp4");
    let id = data["video_id"].as_str().expect("video_id").to_string();
    assert!(mock.fail(&id, "avatar not found"));
    let s = get(&mock, &format!("/v3/videos/{id}")).await.json();
    assert_eq!(s["data"]["status"], "failed");
    assert_eq!(s["data"]["failure_message"], "avatar not found");
    assert!(s["data"]["duration"].is_null());

    let r = get(&mock, "/v3/videos/nope").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], "not_found");
    assert!(!mock.complete("nope", 1.0));
}

#[tokio::test]
async fn every_create_endpoint_answers_in_its_envelope() {
    let mock = start_mock().await;
    let cases: [(&str, &str); 23] = [
        ("/v2/video/av4/generate", "/data/video_id"),
        ("/v2/videos", "/data/video_id"),
        ("/v2/template/tpl123/generate", "/data/video_id"),
        ("/v1/video.webm", "/data/video_id"),
        ("/v1/video_agent/generate", "/data/video_id"),
        ("/v3/video-agents", "/data/session_id"),
        ("/v3/lipsyncs", "/data/lipsync_id"),
        ("/v1/streaming.new", "/data/session_id"),
        ("/v3/avatars", "/data/avatar_item/id"),
        ("/v3/avatars", "/data/avatar_group/id"),
        ("/v3/templates/tpl1", "/data/id"),
        ("/v2/video_translate/proofread", "/data/proofread_id"),
        ("/v3/video-translations/proofreads", "/data/proofread_ids/0"),
        ("/v2/photo_avatar/avatar_group/create", "/data/group_id"),
        ("/v2/video_avatar", "/data/avatar_id"),
        ("/v3/voices/clone", "/data/voice_clone_id"),
        ("/v3/voices", "/data/voices/1/voice_id"),
        ("/v3/assets", "/data/asset_id"),
        ("/v3/avatar-realtime", "/data/stream_id"),
        ("/v3/hyperframes/renders", "/data/render_id"),
        ("/v3/ai-clipping", "/data/id"),
        ("/v3/videos/batches", "/data/batch_id"),
        ("/v3/videos", "/data/video_id"),
    ];
    for (path, pointer) in cases {
        let body = json!({"prompt": "p", "videos": [{"title": "a"}, {"title": "b"}]});
        let r = post_json(&mock, path, body).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert!(
            r.json().pointer(pointer).is_some_and(Value::is_string),
            "{path}: {}",
            r.text()
        );
    }
    // Legacy agent uses the v2 envelope; webm and streaming the v1 one.
    let agent = post_json(&mock, "/v1/video_agent/generate", json!({"prompt": "p"}))
        .await
        .json();
    assert!(agent["error"].is_null());
    let webm = post_json(&mock, "/v1/video.webm", json!({})).await.json();
    assert_eq!(webm["code"], 100);

    // The v3 agent session is readable by session id and settles through its video.
    let session = post_json(&mock, "/v3/video-agents", json!({"prompt": "p"}))
        .await
        .json();
    let sid = session["data"]["session_id"].as_str().expect("sid");
    let vid = session["data"]["video_id"].as_str().expect("vid");
    mock.complete(vid, 61.0);
    let s = get(&mock, &format!("/v3/video-agents/{sid}")).await.json();
    assert_eq!(s["data"]["status"], "completed");
    assert_eq!(s["data"]["video_id"], vid);
}

#[tokio::test]
async fn translations_return_one_id_per_language() {
    let mock = start_mock().await;
    let one = post_json(
        &mock,
        "/v2/video_translate",
        json!({"video_url": "https://x/a.mp4", "output_language": "French"}),
    )
    .await
    .json();
    assert!(one["data"]["video_translate_id"].is_string());

    let many = post_json(
        &mock,
        "/v2/video_translate",
        json!({"video_url": "https://x/a.mp4", "output_languages": ["French", "German"]}),
    )
    .await
    .json();
    let ids = many["data"]["video_translate_ids"]
        .as_array()
        .expect("ids")
        .clone();
    assert_eq!(ids.len(), 2);
    let first = ids[0].as_str().expect("id");
    let s = get(&mock, &format!("/v2/video_translate/{first}"))
        .await
        .json();
    assert_eq!(s["data"]["status"], "pending");
    // Exactly the fields of heygen-api.md §3.4: no duration to settle by.
    let mut keys: Vec<&str> = s["data"]
        .as_object()
        .expect("data")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["message", "status", "title", "url", "video_translate_id"]
    );
    mock.complete(first, 95.5);
    let s = get(&mock, &format!("/v2/video_translate/{first}"))
        .await
        .json();
    assert_eq!(s["data"]["status"], "success");
    assert!(s["data"].get("duration").is_none(), "{s}");
    // The output URL serves a real MP4 of the job's length, without a key.
    let url = s["data"]["url"].as_str().expect("url").to_string();
    let media = send("GET", &url, &[], "").await;
    assert_eq!(media.status, 200);
    assert_eq!(
        media.body,
        heygen_mock::media::mp4(95_500, 0, true, false),
        "{url}"
    );

    let v3 = post_json(
        &mock,
        "/v3/video-translations",
        json!({"video": {"type": "url", "url": "u"},
        "output_languages": ["Spanish (Spain)", "French", "Japanese"]}),
    )
    .await
    .json();
    let ids = v3["data"]["video_translation_ids"]
        .as_array()
        .expect("ids")
        .clone();
    assert_eq!(ids.len(), 3);
    let id = ids[2].as_str().expect("id");
    mock.complete(id, 12.0);
    let s = get(&mock, &format!("/v3/video-translations/{id}"))
        .await
        .json();
    assert_eq!(s["data"]["status"], "completed");
    assert_eq!(s["data"]["duration"], 12.0);

    let both = post_json(
        &mock,
        "/v2/video_translate",
        json!({"output_language": "French", "output_languages": ["German"]}),
    )
    .await;
    assert_eq!(both.status, 400);
}

#[tokio::test]
async fn malformed_json_is_400_invalid_parameter_and_unknown_paths_404() {
    let mock = start_mock().await;
    let r = send(
        "POST",
        &format!("{}/v2/video/generate", mock.url()),
        &key(),
        "{not json",
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], "invalid_parameter");
    assert!(r.json()["data"].is_null());
    let r = send("POST", &format!("{}/v3/videos", mock.url()), &key(), "[]").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], "invalid_parameter");
    let r = send(
        "POST",
        &format!("{}/v1/streaming.new", mock.url()),
        &key(),
        "x",
    )
    .await;
    assert_eq!(r.json()["code"], 400175);

    let r = get(&mock, "/v1/nothing.here").await;
    assert_eq!(r.status, 404);
    assert!(r.json()["code"].is_number());
    let r = get(&mock, "/v2/nothing").await;
    assert_eq!(r.json()["error"]["code"], "not_found");
    assert_eq!(mock.jobs().len(), 0);
}

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

#[tokio::test]
async fn webhooks_are_signed_like_heygen() {
    // The mock itself is the receiver here: it records the delivery.
    let receiver = start_mock().await;
    let url = format!("{}/hooks/heygen", receiver.url());
    let event = heygen_mock::webhook::avatar_video_success("vid1", "https://x/v.mp4", Some("t:1"));
    let body = event.to_string();
    let status = heygen_mock::send_webhook(&url, WEBHOOK_SECRET, false, body.as_bytes())
        .await
        .expect("delivered");
    assert_eq!(status, 401, "the mock wants an API key");
    let status = heygen_mock::send_webhook(&url, WEBHOOK_SECRET, true, body.as_bytes())
        .await
        .expect("delivered");
    assert_eq!(status, 401);

    let got = receiver.requests_to("/hooks/heygen");
    let expected = heygen_mock::sign(WEBHOOK_SECRET, body.as_bytes());
    assert_eq!(expected.len(), 64);
    assert_eq!(got[0].header("signature"), Some(expected.as_str()));
    assert_eq!(got[1].header("heygen-signature"), Some(expected.as_str()));
    assert!(got[1]
        .header("heygen-timestamp")
        .is_some_and(|t| t.parse::<i64>().is_ok()));
    assert!(got[1].header("heygen-event-id").is_some());
    assert_eq!(got[1].json(), Some(event));
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

/// The status shapes of heygen-cli's `gen/*.go` (v3 response schemas, the
/// `data` keys) and of heygen-api.md §4 / §3.4 (legacy): the mock sends
/// exactly these keys, so no test can pass on a field HeyGen never sends.
#[tokio::test]
async fn status_shapes_match_the_reference() {
    let mock = start_mock().await;
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v["data"]
            .as_object()
            .expect("data object")
            .keys()
            .cloned()
            .collect();
        k.sort_unstable();
        k
    };
    let id_of = |v: &Value, ptr: &str| {
        v.pointer(ptr)
            .and_then(Value::as_str)
            .expect(ptr)
            .to_string()
    };
    // (create path, body, id pointer, status path prefix, expected keys)
    let cases: [(&str, Value, &str, &str, &[&str]); 5] = [
        (
            "/v3/videos",
            json!({"type": "avatar", "avatar_id": "a", "script": "hi"}),
            "/data/video_id",
            "/v3/videos/",
            &[
                "captioned_video_url",
                "completed_at",
                "created_at",
                "duration",
                "failure_code",
                "failure_message",
                "folder_id",
                "gif_url",
                "id",
                "output_language",
                "status",
                "subtitle_url",
                "thumbnail_url",
                "title",
                "video_page_url",
                "video_url",
            ],
        ),
        (
            "/v3/video-translations",
            json!({"video": {"type": "url", "url": "u"}, "output_language": "French"}),
            "/data/video_translation_ids/0",
            "/v3/video-translations/",
            &[
                "audio_url",
                "callback_id",
                "created_at",
                "duration",
                "failure_message",
                "id",
                "input_language",
                "output_language",
                "srt_caption_url",
                "status",
                "title",
                "translate_audio_only",
                "video_url",
                "vtt_caption_url",
            ],
        ),
        (
            "/v3/lipsyncs",
            json!({"video": {}, "audio": {}}),
            "/data/lipsync_id",
            "/v3/lipsyncs/",
            &[
                "callback_id",
                "caption_url",
                "created_at",
                "duration",
                "failure_message",
                "id",
                "status",
                "title",
                "video_url",
            ],
        ),
        (
            "/v3/video-agents",
            json!({"prompt": "p"}),
            "/data/session_id",
            "/v3/video-agents/",
            &[
                "created_at",
                "messages",
                "progress",
                "session_id",
                "status",
                "title",
                "video_id",
            ],
        ),
        (
            "/v3/videos/batches",
            json!({"videos": [{"type": "avatar", "avatar_id": "a", "script": "hi"}]}),
            "/data/batch_id",
            "/v3/videos/batches/",
            &[
                "batch_id",
                "counts_by_status",
                "created_at",
                "has_more",
                "items",
                "next_token",
                "status",
                "title",
                "total_items",
            ],
        ),
    ];
    for (create, body, ptr, status, want) in cases {
        let created = post_json(&mock, create, body).await.json();
        let id = id_of(&created, ptr);
        let read = get(&mock, &format!("{status}{id}")).await.json();
        assert_eq!(keys(&read), want, "{create}: {read}");
    }
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
