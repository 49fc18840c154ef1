//! The billable create (POST) endpoints: which path creates what, and the
//! jobs each one records. Its own file because the create answers are most
//! of the mock's routing; `routes` keeps dispatch, deletes and uploads.

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::{parse_object, str_field, Req, Resp};
use crate::envelope::{self, Generation};
use crate::state::{new_id, JobKind, NewJob, Shared};

/// Dispatches the billable POSTs; `None` if the path is not one of them.
pub(super) fn create(shared: &Shared, req: &Req<'_>) -> Option<Resp> {
    use Generation::{V1, V2, V3};
    let path = req.path;
    // The three v3 batches share one shape (`crate::batches`).
    if let Some(kind) = crate::batches::kind_of(path) {
        return Some(match parse_object(req) {
            Ok(body) => crate::batches::create(shared, path, kind, &body),
            Err(msg) => envelope::error(V3, StatusCode::BAD_REQUEST, "invalid_parameter", &msg),
        });
    }
    let seg: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    // (envelope of the answer, handler)
    let kind: CreateKind = match path {
        "/v2/video/generate" | "/v2/video/av4/generate" => CreateKind::Video(V2, false),
        "/v2/videos" => CreateKind::Video(V2, true),
        "/v1/video.webm" => CreateKind::Video(V1, false),
        // The legacy agent answers in the v2 envelope despite its v1 path (§3.5).
        "/v1/video_agent/generate" => CreateKind::Video(V2, false),
        "/v3/videos" => CreateKind::Video(V3, true),
        "/v3/video-agents" => CreateKind::V3Agent,
        // A message or revision to a session (not its `stop`).
        _ if seg.len() == 3
            && seg[..2] == ["v3", "video-agents"]
            && !["styles", "resources"].contains(&seg[2]) =>
        {
            CreateKind::V3AgentMessage(seg[2].to_owned())
        }
        "/v2/video_translate" => CreateKind::Translate(V2),
        "/v3/video-translations" => CreateKind::Translate(V3),
        "/v3/lipsyncs" => CreateKind::Lipsync,
        "/v1/streaming.new" => CreateKind::Streaming,
        "/v3/avatars" => CreateKind::Avatar,
        "/v1/personalized_video/add_contact" => CreateKind::Contacts,
        "/v2/photo_avatar/photo/generate" | "/v2/photo_avatar/look/generate" => {
            CreateKind::PhotoGeneration
        }
        _ if seg.len() == 4 && seg[0] == "v2" && seg[1] == "template" && seg[3] == "generate" => {
            CreateKind::Video(V2, false)
        }
        _ => return None,
    };
    let gen = Generation::of_path(path);
    let body = match parse_object(req) {
        Ok(b) => b,
        Err(msg) => {
            let gen = match kind {
                CreateKind::Video(g, _) => g,
                _ => gen,
            };
            return Some(envelope::error(
                gen,
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                &msg,
            ));
        }
    };
    Some(match kind {
        CreateKind::Video(g, with_status) => create_video(shared, path, g, with_status, &body),
        CreateKind::V3Agent => crate::agents::create(shared, path, &body),
        CreateKind::V3AgentMessage(session) => {
            crate::agents::message(shared, path, &session, &body)
        }
        CreateKind::Translate(g) => create_translation(shared, path, g, &body),
        CreateKind::Lipsync => {
            let job = shared.create_job(JobKind::Lipsync, path, new_job(&body));
            envelope::v3_ok(json!({"lipsync_id": job.id, "status": job.status.as_str()}))
        }
        CreateKind::Streaming => {
            let job = shared.create_job(JobKind::Streaming, path, new_job(&body));
            envelope::v1_ok(json!({
                "session_id": job.id,
                "access_token": format!("mock_session_token_{}", job.id),
                "url": "wss://mock.livekit.invalid",
                "ice_servers": [],
                "realtime_endpoint": format!("wss://mock.heygen.invalid/v1/ws/streaming.chat?session_id={}", job.id),
            }))
        }
        CreateKind::PhotoGeneration => envelope::v2_ok(json!({ "generation_id": new_id() })),
        CreateKind::Contacts => add_contacts(shared, path, &body),
        // heygen-cli: the group and its first look.
        CreateKind::Avatar => {
            let job = shared.create_job(JobKind::Avatar, path, new_job(&body));
            let group = new_id();
            envelope::v3_ok(json!({
                "avatar_group": {"id": group, "name": job.title, "status": job.status.as_str()},
                "avatar_item": {"id": job.id, "group_id": group, "name": job.title,
                                "avatar_type": "photo_avatar", "status": job.status.as_str()},
            }))
        }
    })
}

enum CreateKind {
    /// A video create answering `{video_id}` (plus `status` when the flag is set).
    Video(Generation, bool),
    V3Agent,
    /// `POST /v3/video-agents/{session_id}`.
    V3AgentMessage(String),
    Translate(Generation),
    Lipsync,
    Streaming,
    Avatar,
    /// v2 photo avatar photo or look generation: `{generation_id}`.
    PhotoGeneration,
    /// `add_contact`: one video per contact, none named in the answer.
    Contacts,
}

/// `POST /v1/personalized_video/add_contact`: one video job per entry of
/// `variables_list` (one without a list). HeyGen names no video in its
/// answer; each arrives in a `personalized_video` webhook.
fn add_contacts(shared: &Shared, path: &str, body: &Map<String, Value>) -> Resp {
    if str_field(body, "project_id").is_none() {
        return envelope::error(
            Generation::V1,
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "project_id is required",
        );
    }
    let contacts = body
        .get("variables_list")
        .and_then(Value::as_array)
        .map_or(1, Vec::len);
    for _ in 0..contacts {
        shared.create_job(JobKind::Video, path, new_job(body));
    }
    envelope::v1_ok(json!({}))
}

pub(crate) fn new_job(body: &Map<String, Value>) -> NewJob {
    NewJob {
        title: str_field(body, "title").or_else(|| str_field(body, "video_title")),
        callback_id: str_field(body, "callback_id"),
        ..NewJob::default()
    }
}

fn create_video(
    shared: &Shared,
    path: &str,
    gen: Generation,
    with_status: bool,
    body: &Map<String, Value>,
) -> Resp {
    let job = shared.create_job(JobKind::Video, path, new_job(body));
    let data = match (gen, with_status) {
        (Generation::V3, _) => {
            let format = str_field(body, "output_format").unwrap_or_else(|| "mp4".into());
            json!({"video_id": job.id, "status": "waiting", "output_format": format})
        }
        (_, true) => json!({"video_id": job.id, "status": "waiting"}),
        (_, false) => json!({ "video_id": job.id }),
    };
    envelope::ok(gen, data)
}

/// Translations: one job per output language.
fn create_translation(
    shared: &Shared,
    path: &str,
    gen: Generation,
    body: &Map<String, Value>,
) -> Resp {
    let list: Option<Vec<String>> =
        body.get("output_languages")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            });
    let single = str_field(body, "output_language");
    let languages: Vec<String> = match (&list, &single) {
        (Some(l), None) if !l.is_empty() => l.clone(),
        (None, Some(s)) => vec![s.clone()],
        _ => {
            return envelope::error(
                gen,
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                "give exactly one of output_language or output_languages",
            )
        }
    };
    let ids: Vec<String> = languages
        .into_iter()
        .map(|lang| {
            let new = NewJob {
                output_language: Some(lang),
                ..new_job(body)
            };
            shared.create_job(JobKind::Translation, path, new).id
        })
        .collect();
    match (gen, list.is_some()) {
        (Generation::V3, _) => envelope::v3_ok(json!({ "video_translation_ids": ids })),
        (_, true) => envelope::v2_ok(json!({ "video_translate_ids": ids })),
        (_, false) => envelope::v2_ok(json!({ "video_translate_id": ids.first() })),
    }
}
