//! Creations beyond the renders in [`crate::routes`]: proofreads, photo
//! avatar groups, digital twins, talking photos, voices, assets, realtime
//! streams, HyperFrames renders, clipping and background removal jobs,
//! folders, and v3 template renders. Each answers the shape its source
//! gives (heygen-cli `gen/*.go` for v3, heygen-api.md for legacy routes);
//! the gateway's ownership walk (`src/ownership/creations.rs`) names the
//! same shapes.

use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use serde_json::{json, Value};

use crate::envelope;
use crate::state::{new_id, JobKind, NewJob, Shared};

type Resp = Response<Full<Bytes>>;

/// Answers a POST to one of these creation routes; `None` for any other path.
pub(crate) fn create(shared: &Shared, path: &str, title: Option<String>) -> Option<Resp> {
    let seg: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let id = new_id();
    Some(match seg.as_slice() {
        // cli: the render answers the video itself.
        ["v3", "templates", _] => {
            let new = NewJob {
                title,
                ..NewJob::default()
            };
            let job = shared.create_job(JobKind::Video, path, new);
            envelope::v3_ok(json!({"id": job.id, "status": job.status.as_str()}))
        }
        ["v2", "video_translate", "proofread"] => envelope::v2_ok(json!({ "proofread_id": id })),
        ["v3", "video-translations", "proofreads"] => {
            envelope::v3_ok(json!({"proofread_ids": [id], "status": "processing"}))
        }
        ["v2", "photo_avatar", "avatar_group", "create"] => {
            envelope::v2_ok(json!({"id": id, "group_id": id, "name": title, "status": "pending"}))
        }
        ["v2", "video_avatar"] => envelope::v2_ok(json!({ "avatar_id": id })),
        ["v1", "talking_photo"] => envelope::v1_ok(json!({
            "talking_photo_id": id,
            "talking_photo_url": format!("https://resource.heygen.ai/mock/{id}.jpg"),
        })),
        ["v3", "voices", "clone"] => {
            shared.lock().voices.push(id.clone());
            envelope::v3_ok(json!({ "voice_clone_id": id }))
        }
        ["v3", "voices"] => {
            let other = new_id();
            shared.lock().voices.extend([id.clone(), other.clone()]);
            envelope::v3_ok(json!({
                "seed": 7,
                "voices": [designed(&id, "A"), designed(&other, "B")],
            }))
        }
        ["v3", "assets"] => envelope::v3_ok(json!({
            "asset_id": id,
            "url": format!("https://resource.heygen.ai/mock/{id}"),
            "mime_type": "image/png",
            "size_bytes": 0,
        })),
        ["v3", "avatar-realtime"] => envelope::v3_ok(json!({ "stream_id": id })),
        ["v3", "avatar-realtime", stream, "text"] => {
            envelope::v3_ok(json!({"stream_id": stream, "accepted": true}))
        }
        ["v1", "streaming.create_token"] => {
            envelope::v1_ok(json!({ "token": format!("mock_streaming_token_{id}") }))
        }
        // Session controls (§3.7): accepted; the gateway's stops are read
        // from the request log.
        ["v1", op] if op.starts_with("streaming.") => envelope::v1_ok(json!({})),
        ["v3", "hyperframes", "renders"] => {
            envelope::v3_ok(json!({"render_id": id, "status": "queued"}))
        }
        ["v3", "ai-clipping" | "background-removals"] => {
            envelope::v3_ok(json!({"id": id, "status": "pending"}))
        }
        ["v1", "folders", "create"] => envelope::v1_ok(json!({"id": id, "name": title})),
        ["v2", "folders"] => envelope::v2_ok(json!({"id": id, "name": title})),
        ["v3", "folders"] => envelope::v3_ok(json!({"id": id, "name": title})),
        _ => return None,
    })
}

/// One voice of a voice-design answer (heygen-cli `voices[]`).
pub(crate) fn designed(id: &str, name: &str) -> Value {
    json!({
        "voice_id": id,
        "name": name,
        "gender": "female",
        "language": "English",
        "preview_audio_url": format!("https://resource.heygen.ai/mock/{id}.mp3"),
        "support_locale": false,
        "support_pause": true,
        "type": "designed",
    })
}
