//! The mock honours `Idempotency-Key` on v3 POSTs as HeyGen does (replay,
//! 409 while the first is answered, 422 for another body; v1/v2 ignore it),
//! and loses or delays answers of requests it acted on.

use std::time::Duration;

use heygen_mock::MockHeygen;
use serde_json::{json, Value};

use crate::common::*;

fn video() -> Value {
    json!({"type": "avatar", "avatar_id": "a1", "script": "hello there", "voice_id": "v1"})
}

async fn post_keyed(mock: &MockHeygen, path: &str, key: &str, body: &Value) -> TestResponse {
    send(
        "POST",
        &format!("{}{path}", mock.url()),
        &[
            ("x-api-key", ORG_KEY),
            ("content-type", "application/json"),
            ("idempotency-key", key),
        ],
        body.to_string(),
    )
    .await
}

#[tokio::test]
async fn a_v3_key_replays_the_first_answer_and_creates_nothing_more() {
    let mock = start_mock().await;
    let first = post_keyed(&mock, "/v3/videos", "k-1", &video()).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let again = post_keyed(&mock, "/v3/videos", "k-1", &video()).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.body, first.body, "the same job id");
    assert_eq!(mock.jobs().len(), 1);

    let mut other = video();
    other["script"] = json!("something else");
    let reused = post_keyed(&mock, "/v3/videos", "k-1", &other).await;
    assert_eq!(reused.status, 422, "{}", reused.text());
    assert_eq!(reused.json()["error"]["code"], "idempotency_key_reused");
    // Another key is another request.
    let second = post_keyed(&mock, "/v3/videos", "k-2", &video()).await;
    assert_ne!(second.body, first.body);
    assert_eq!(mock.jobs().len(), 2);
}

#[tokio::test]
async fn v1_and_v2_ignore_the_key() {
    let mock = start_mock().await;
    let body = json!({"video_inputs": [{"character": {"type": "avatar", "avatar_id": "a"},
        "voice": {"type": "text", "voice_id": "v", "input_text": "hi"}}]});
    let a = post_keyed(&mock, "/v2/video/generate", "k", &body).await;
    let b = post_keyed(&mock, "/v2/video/generate", "k", &body).await;
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (200, 200));
    assert_ne!(a.body, b.body, "two jobs");
    assert_eq!(mock.jobs().len(), 2);
}

#[tokio::test]
async fn a_cut_answer_leaves_the_job_and_a_retry_names_it() {
    let mock = start_mock().await;
    mock.on_path("/v3/videos").cut_answers(true);
    let url = format!("{}/v3/videos", mock.url());
    let headers = [
        ("x-api-key", ORG_KEY),
        ("content-type", "application/json"),
        ("idempotency-key", "cut-1"),
    ];
    let lost = try_send("POST", &url, &headers, full(video().to_string()), false).await;
    let err = lost.expect_err("the answer is cut off");
    assert!(err.starts_with("reading body"), "{err}");
    let jobs = mock.jobs();
    assert_eq!(jobs.len(), 1, "the job was created");
    mock.on_path("/v3/videos").cut_answers(false);
    let retry = post_keyed(&mock, "/v3/videos", "cut-1", &video()).await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert_eq!(retry.json()["data"]["video_id"], jobs[0].id.as_str());
    assert_eq!(mock.jobs().len(), 1);
}

#[tokio::test]
async fn a_repeat_while_the_first_is_answered_late_is_409() {
    let mock = start_mock().await;
    mock.on_path("/v3/videos")
        .delay_answers(Duration::from_millis(600));
    let first = {
        let url = format!("{}/v3/videos", mock.url());
        tokio::spawn(async move {
            let headers = [
                ("x-api-key", ORG_KEY),
                ("content-type", "application/json"),
                ("idempotency-key", "slow-1"),
            ];
            send("POST", &url, &headers, video().to_string()).await
        })
    };
    eventually(|| mock.jobs().len() == 1, Duration::from_secs(5)).await;
    let busy = post_keyed(&mock, "/v3/videos", "slow-1", &video()).await;
    assert_eq!(busy.status, 409, "{}", busy.text());
    assert_eq!(busy.json()["error"]["code"], "request_in_progress");
    let first = first.await.expect("first request");
    mock.on_path("/v3/videos").delay_answers(Duration::ZERO);
    let replay = post_keyed(&mock, "/v3/videos", "slow-1", &video()).await;
    assert_eq!(replay.body, first.body);
    assert_eq!(mock.jobs().len(), 1);
}
