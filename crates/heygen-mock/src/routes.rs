//! Routing and the create (POST) endpoints. Reads live in [`crate::status`].
//!
//! This file holds dispatch, deletes and uploads; the create endpoints
//! themselves are in `create`.

mod create;

use bytes::Bytes;
use http::{HeaderMap, Method, Response, StatusCode};
use http_body_util::Full;
use serde_json::{json, Map, Value};

use crate::envelope::{self, Generation};
use crate::state::{new_id, JobKind, Shared, Upload};
use crate::status;
use create::create;
pub(crate) use create::new_job;

/// The parts of a received request the handlers need.
pub(crate) struct Req<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
    /// The buffered body prefix (the whole body when `body_complete`).
    pub(crate) body: &'a Bytes,
    pub(crate) body_len: u64,
    pub(crate) body_complete: bool,
    pub(crate) body_sha256: &'a str,
}

type Resp = Response<Full<Bytes>>;

/// Answers an authenticated request.
pub(crate) fn route(shared: &Shared, req: &Req<'_>) -> Resp {
    let path = req.path;
    let gen = Generation::of_path(path);
    if *req.method == Method::GET {
        if let Some(resp) = status::read(shared, path, req.query) {
            return resp;
        }
    } else if *req.method == Method::POST {
        if path == "/v1/asset" {
            return upload(shared, req);
        }
        if let Some(resp) = create(shared, req) {
            return resp;
        }
        let parsed = parse_object(req).ok();
        if path == "/v1/streaming.stop" {
            // The session is gone from `streaming.list` afterwards.
            if let Some(id) = parsed.as_ref().and_then(|b| str_field(b, "session_id")) {
                shared.remove_job(&id, &[JobKind::Streaming]);
            }
        }
        let title = parsed.and_then(|b| str_field(&b, "title").or_else(|| str_field(&b, "name")));
        if let Some(resp) = crate::resources::create(shared, path, title) {
            return resp;
        }
    } else if *req.method == Method::DELETE {
        if let Some(resp) = delete(shared, req) {
            return resp;
        }
    }
    envelope::error(
        gen,
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("{} {path} not found", req.method),
    )
}

/// `DELETE /v1/video.delete?video_id=…` and `DELETE /v3/videos/{id}`
/// (heygen-api.md §13): the job and its status are gone afterwards.
/// `DELETE /v3/avatar-realtime/{stream_id}` stops a realtime stream; a
/// DELETE on any path below a stream is no route (404), as at HeyGen.
fn delete(shared: &Shared, req: &Req<'_>) -> Option<Resp> {
    if let Some(stream) = req.path.strip_prefix("/v3/avatar-realtime/") {
        if stream.is_empty() || stream.contains('/') {
            return None;
        }
        return Some(envelope::v3_ok(json!({"id": stream, "status": "stopped"})));
    }
    let (gen, id) = match req.path.strip_prefix("/v3/videos/") {
        Some(id) if !id.contains('/') => (Generation::V3, id.to_string()),
        _ if req.path == "/v1/video.delete" => (
            Generation::V1,
            crate::status::query_param(req.query, "video_id").unwrap_or_default(),
        ),
        _ => return None,
    };
    if !shared.remove_job(&id, &[JobKind::Video]) {
        return Some(envelope::error(
            gen,
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("{id:?} not found"),
        ));
    }
    Some(match gen {
        Generation::V3 => envelope::v3_ok(json!({"id": id, "deleted": true})),
        _ => envelope::v1_ok(json!({})),
    })
}

fn parse_object(req: &Req<'_>) -> Result<Map<String, Value>, String> {
    if !req.body_complete {
        return Err("request body too large for the mock (over 1 MiB)".into());
    }
    match serde_json::from_slice::<Value>(req.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("request body must be a JSON object".into()),
        Err(e) => Err(format!("invalid JSON body: {e}")),
    }
}

fn str_field(body: &Map<String, Value>, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).map(str::to_string)
}

/// `POST /v1/asset` on the upload host: the body was streamed and counted,
/// never held whole.
fn upload(shared: &Shared, req: &Req<'_>) -> Resp {
    let content_type = req
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let file_type = match content_type.as_deref().and_then(|c| c.split('/').next()) {
        Some("image") => "image",
        Some("video") => "video",
        Some("audio") => "audio",
        _ => "file",
    };
    let id = new_id();
    shared.lock().uploads.push(Upload {
        id: id.clone(),
        content_type,
        bytes: req.body_len,
        sha256: req.body_sha256.to_string(),
    });
    envelope::v1_ok(json!({
        "id": id,
        "name": id,
        "file_type": file_type,
        "url": format!("https://resource.heygen.ai/mock/{id}"),
        "image_key": if file_type == "image" { Value::from(format!("image/{id}/original")) } else { Value::Null },
    }))
}
