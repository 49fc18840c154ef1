//! GET endpoints: job status reads (heygen-api.md §4), lists and quota.
//!
//! This file holds the dispatch, lookups and the fixed answers; how each
//! job renders per endpoint is in `render`.

mod render;

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use serde_json::{json, Value};

use crate::envelope::{self, Generation};
use crate::state::{Job, JobKind, Shared};
pub(crate) use render::v3_video;
use render::{v1_status, v2_translate, v2_video, v3_lipsync, v3_translate};

type Resp = Response<Full<Bytes>>;

/// Answers a GET, or `None` when the path is not one the mock knows.
pub(crate) fn read(shared: &Shared, path: &str, query: Option<&str>) -> Option<Resp> {
    use Generation::{V1, V2, V3};
    let detail = shared.lock().details.get(path).cloned();
    if let Some(data) = detail {
        return Some(envelope::v3_ok(data));
    }
    let video = [JobKind::Video];
    let resp = match path {
        "/v1/video_status.get" => {
            let id = query_param(query, "video_id").unwrap_or_default();
            with_job(shared, V1, &id, &video, v1_status)
        }
        "/v2/avatars" => envelope::v2_ok(avatars()),
        "/v2/voices" => envelope::v2_ok(voices()),
        "/v1/video.list" => crate::lists::v1_videos(shared, query),
        "/v3/videos" => crate::lists::v3_videos(shared, query),
        "/v3/voices" => crate::lists::v3_voices(shared),
        "/v1/streaming.list" => crate::lists::v1_streaming(shared),
        "/v3/avatars/looks" => crate::lists::v3_looks(shared),
        "/v2/user/remaining_quota" => {
            let quota = shared.lock().remaining_quota;
            envelope::v2_ok(json!({
                "remaining_quota": quota,
                "details": {"api": quota, "streaming_avatar": 0,
                            "streaming_avatar_instance_quota": 0, "seat": 1},
            }))
        }
        "/v2/video_translate/target_languages" => envelope::v2_ok(json!({
            "languages": ["English", "Spanish (Spain)", "French", "German", "Japanese"],
        })),
        "/v3/users/me" => envelope::v3_ok(users_me(shared)),
        _ if path.starts_with("/v3/video-agents/") && path.ends_with("/videos") => {
            let session = &path["/v3/video-agents/".len()..path.len() - "/videos".len()];
            crate::agents::videos(shared, session, query)
        }
        _ => {
            let (prefix, id) = path.rsplit_once('/')?;
            if id.is_empty() {
                return None;
            }
            if let Some(kind) = crate::batches::kind_of(prefix) {
                return Some(crate::batches::status(shared, kind, id, query));
            }
            let translation = [JobKind::Translation];
            match prefix {
                "/v2/videos" => with_job(shared, V2, id, &video, v2_video),
                "/v3/videos" => with_job(shared, V3, id, &video, v3_video),
                "/v2/video_translate" => with_job(shared, V2, id, &translation, v2_translate),
                "/v3/video-translations" => with_job(shared, V3, id, &translation, v3_translate),
                "/v3/lipsyncs" => with_job(shared, V3, id, &[JobKind::Lipsync], v3_lipsync),
                "/v3/video-agents" => crate::agents::status(shared, id),
                _ => return None,
            }
        }
    };
    Some(resp)
}

/// Renders the job, or 404 `not_found` in the envelope of `gen`.
fn with_job(
    shared: &Shared,
    gen: Generation,
    id: &str,
    kinds: &[JobKind],
    render: fn(&Job, &str) -> Value,
) -> Resp {
    match shared.find_job(id, kinds) {
        Some(job) => envelope::ok(gen, render(&job, &shared.base)),
        None => envelope::error(
            gen,
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("{id:?} not found"),
        ),
    }
}

/// Raw `key=value` lookup in a query string (ids are plain hex; `+` and `%`
/// escapes are decoded for completeness).
pub(crate) fn query_param(query: Option<&str>, key: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = match bytes[i] {
            b'+' => Some((b' ', 1)),
            b'%' => match (
                bytes.get(i + 1).and_then(|b| hex(*b)),
                bytes.get(i + 2).and_then(|b| hex(*b)),
            ) {
                (Some(h), Some(l)) => Some((h * 16 + l, 3)),
                _ => None,
            },
            _ => None,
        };
        let (b, step) = decoded.unwrap_or((bytes[i], 1));
        out.push(b);
        i += step;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn users_me(shared: &Shared) -> Value {
    let quota = shared.lock().remaining_quota;
    // Legacy quota units are 1/60 credit (§4); report the same balance.
    let credits = quota as f64 / 60.0;
    json!({
        "email": "mock@example.invalid",
        "username": "mock-heygen",
        "billing_type": "wallet",
        "wallet": {
            "currency": "credits",
            "remaining_balance": credits,
            "auto_reload": {"enabled": false, "threshold_usd": null, "amount_usd": null},
        },
    })
}

fn avatars() -> Value {
    json!({
        "avatars": [
            {"avatar_id": "Daisy-inskirt-20220818", "avatar_name": "Daisy", "gender": "female",
             "preview_image_url": "https://files.heygen.ai/mock/daisy.jpg",
             "preview_video_url": "https://files.heygen.ai/mock/daisy.mp4", "premium": false},
            {"avatar_id": "Wayne_20240716", "avatar_name": "Wayne", "gender": "male",
             "preview_image_url": "https://files.heygen.ai/mock/wayne.jpg",
             "preview_video_url": "https://files.heygen.ai/mock/wayne.mp4", "premium": false},
        ],
        "talking_photos": [
            {"talking_photo_id": "6f8eddd848eb481687a541389acaee45",
             "talking_photo_name": "Mock photo",
             "preview_image_url": "https://files.heygen.ai/mock/photo.jpg"},
        ],
    })
}

fn voices() -> Value {
    json!({
        "voices": [
            {"voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54", "language": "English", "gender": "female",
             "name": "Mock Voice", "preview_audio": "https://files.heygen.ai/mock/voice.mp3",
             "support_pause": true, "emotion_support": true, "support_interactive_avatar": true},
            {"voice_id": "075ab2b118bb4429b7a93a67de94c842", "language": "Spanish", "gender": "male",
             "name": "Voz de prueba", "preview_audio": "https://files.heygen.ai/mock/voz.mp3",
             "support_pause": true, "emotion_support": false, "support_interactive_avatar": false},
        ],
    })
}
