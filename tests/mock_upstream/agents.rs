//! The mock's Video Agent v3 sessions (heygen-cli gen/video-agent.go): a
//! video per message or revision, listed per session newest first.

use serde_json::{json, Value};

use crate::common::*;
use crate::{get, post_json};

/// Video Agent sessions as heygen-cli gen/video-agent.go gives them: a
/// revision answers `{session_id, run_id, title}` and starts a new video;
/// the session's videos are listed newest first, paged; the session's
/// status names its latest video; the org key is required.
#[tokio::test]
async fn a_v3_agent_session_lists_a_video_per_revision() {
    let mock = start_mock().await;
    let session = post_json(&mock, "/v3/video-agents", json!({"prompt": "p"}))
        .await
        .json();
    let sid = session["data"]["session_id"].as_str().expect("sid");
    let first = session["data"]["video_id"]
        .as_str()
        .expect("vid")
        .to_string();
    let r = post_json(
        &mock,
        &format!("/v3/video-agents/{sid}"),
        json!({"message": "m"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let data = r.json()["data"].clone();
    assert_eq!(data["session_id"], sid);
    assert!(
        data["run_id"].is_string() && data["title"].is_null(),
        "{data}"
    );
    assert!(data.get("video_id").is_none(), "{data}");
    mock.set_agent_revisions_render(false);
    let quiet = post_json(
        &mock,
        &format!("/v3/video-agents/{sid}"),
        json!({"message": "?"}),
    )
    .await;
    assert_eq!(quiet.status, 200);

    let list = format!("/v3/video-agents/{sid}/videos");
    let all = get(&mock, &list).await.json();
    let items = all["data"].as_array().expect("list").clone();
    assert_eq!(items.len(), 2, "{all}");
    assert_eq!(items[1]["id"], first.as_str(), "newest first: {all}");
    for field in ["id", "status", "duration", "created_at"] {
        assert!(items[0].get(field).is_some(), "{field}: {all}");
    }
    assert_eq!(
        (all["has_more"].clone(), all["next_token"].clone()),
        (json!(false), Value::Null)
    );
    let one = get(&mock, &format!("{list}?limit=1")).await.json();
    assert_eq!(
        (one["data"][0]["id"].clone(), one["has_more"].clone()),
        (items[0]["id"].clone(), json!(true))
    );
    let token = one["next_token"].as_str().expect("token").to_string();
    let two = get(&mock, &format!("{list}?limit=1&token={token}"))
        .await
        .json();
    assert_eq!(two["data"][0]["id"], first.as_str(), "{two}");
    assert_eq!(two["has_more"], false);

    let latest = items[0]["id"].as_str().expect("id").to_string();
    assert!(mock.complete(&latest, 12.0));
    let s = get(&mock, &format!("/v3/video-agents/{sid}")).await.json();
    assert_eq!(
        (s["data"]["video_id"].as_str(), s["data"]["status"].as_str()),
        (Some(latest.as_str()), Some("completed"))
    );
    for path in [
        format!("/v3/video-agents/{sid}/videos"),
        "/v3/video-agents/nope/videos".into(),
    ] {
        let unauthorized = send("GET", &format!("{}{path}", mock.url()), &[], "").await;
        assert_eq!(unauthorized.status, 401, "{path}");
    }
    assert_eq!(get(&mock, "/v3/video-agents/nope/videos").await.status, 404);
    let r = post_json(&mock, "/v3/video-agents/nope", json!({"message": "m"})).await;
    assert_eq!(r.status, 404);
}
