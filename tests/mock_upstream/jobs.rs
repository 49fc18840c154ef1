//! The mock's jobs and envelopes: a video from pending to completed (or
//! failed), every create endpoint's answer, translations with one id per
//! language, and malformed bodies and unknown paths.

use heygen_mock::JobStatus;
use serde_json::{json, Value};

use crate::common::*;
use crate::{get, key, post_json};

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
