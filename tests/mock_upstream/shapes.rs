//! What the mock sends as HeyGen would: webhooks signed like HeyGen's and
//! status reads with exactly the reference's keys.

use serde_json::{json, Value};

use crate::common::*;
use crate::{get, post_json};

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
