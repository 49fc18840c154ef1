//! Video Agent v3 sessions (heygen-cli gen/video-agent.go): a create
//! starts a session and its first video; each message or revision
//! (`POST /v3/video-agents/{id}`) answers `{session_id, run_id, title}`,
//! naming no video, and (unless a test says otherwise) starts a new video
//! in the session; `GET /v3/video-agents/{id}/videos` lists the session's
//! videos newest first, paged by `limit` and `token`; the session's status
//! names its latest video.

use http::StatusCode;
use serde_json::{json, Map, Value};

use crate::envelope::{self, Generation};
use crate::routes::new_job;
use crate::state::{new_id, Job, JobKind, JobStatus, NewJob, Shared};
use crate::status::v3_video;

type Resp = http::Response<http_body_util::Full<bytes::Bytes>>;

/// Videos per page when the request names no `limit`.
const DEFAULT_LIMIT: usize = 10;

/// `POST /v3/video-agents`: a session whose first video is the job.
pub(crate) fn create(shared: &Shared, path: &str, body: &Map<String, Value>) -> Resp {
    let session = new_id();
    let job = start_video(shared, path, &session, body);
    let later = shared.lock().agent_video_id_later;
    envelope::v3_ok(json!({
        "session_id": session,
        "status": session_status(job.status),
        "video_id": if later { Value::Null } else { Value::from(job.id) },
        "created_at": job.created_at,
    }))
}

/// `POST /v3/video-agents/{id}`: a follow-up message or revision.
pub(crate) fn message(
    shared: &Shared,
    path: &str,
    session: &str,
    body: &Map<String, Value>,
) -> Resp {
    if videos_of(shared, session).is_empty() {
        return not_found(session);
    }
    if shared.lock().agent_revisions_render {
        start_video(shared, path, session, body);
    }
    envelope::v3_ok(json!({"session_id": session, "run_id": new_id(), "title": null}))
}

/// `GET /v3/video-agents/{id}`: the session, described by its latest video.
pub(crate) fn status(shared: &Shared, session: &str) -> Resp {
    let Some(latest) = videos_of(shared, session).pop() else {
        return not_found(session);
    };
    envelope::v3_ok(json!({
        "session_id": session,
        "title": latest.title,
        "status": session_status(latest.status),
        "progress": if latest.status == JobStatus::Completed { 100 } else { 0 },
        "messages": [],
        "video_id": latest.id,
        "created_at": latest.created_at,
    }))
}

/// `GET /v3/video-agents/{id}/videos?limit=&token=`: newest first; the
/// token is the offset of the next page.
pub(crate) fn videos(shared: &Shared, session: &str, query: Option<&str>) -> Resp {
    let mut all = videos_of(shared, session);
    if all.is_empty() {
        return not_found(session);
    }
    all.reverse();
    let param =
        |k: &str| crate::status::query_param(query, k).and_then(|v| v.parse::<usize>().ok());
    let limit = param("limit").unwrap_or(DEFAULT_LIMIT).clamp(1, 100);
    let from = param("token").unwrap_or(0).min(all.len());
    let to = (from + limit).min(all.len());
    let items: Vec<Value> = all[from..to]
        .iter()
        .map(|job| v3_video(job, &shared.base))
        .collect();
    let more = to < all.len();
    json_page(items, more.then(|| to.to_string()))
}

fn json_page(items: Vec<Value>, next: Option<String>) -> Resp {
    let body = json!({"data": items, "has_more": next.is_some(), "next_token": next});
    envelope::json_response(StatusCode::OK, &body)
}

/// The session's videos, oldest first (the order they were made).
fn videos_of(shared: &Shared, session: &str) -> Vec<Job> {
    shared
        .lock()
        .jobs
        .iter()
        .filter(|j| j.kind == JobKind::Video && j.session_id.as_deref() == Some(session))
        .cloned()
        .collect()
}

fn start_video(shared: &Shared, path: &str, session: &str, body: &Map<String, Value>) -> Job {
    let new = NewJob {
        session_id: Some(session.to_owned()),
        ..new_job(body)
    };
    shared.create_job(JobKind::Video, path, new)
}

/// The session status word for its latest video's state.
fn session_status(video: JobStatus) -> &'static str {
    match video {
        JobStatus::Pending | JobStatus::Processing => "generating",
        JobStatus::Completed => "completed",
        JobStatus::Failed => "failed",
    }
}

fn not_found(session: &str) -> Resp {
    envelope::error(
        Generation::V3,
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("session {session:?} not found"),
    )
}
