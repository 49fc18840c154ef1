//! Paged lists: `GET /v1/video.list` (`limit`, `token`; heygen-api.md §4)
//! and `GET /v3/videos` (`limit`, `token` → `has_more`, `next_token`;
//! heygen-cli `gen/video.go`); one-page lists of stock content mixed with
//! what the account made (`GET /v3/voices`, `/v3/avatars/looks`). Tokens are opaque to clients; here they are
//! the offset of the page's first item, oldest first.

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use serde_json::{json, Value};

use crate::envelope::{self, Generation};
use crate::state::{Job, JobKind, Shared};
use crate::status::{query_param, v3_video};

type Resp = Response<Full<Bytes>>;

/// HeyGen's page size when the client names none.
const DEFAULT_LIMIT: usize = 10;

/// One page of the videos (and translations, which v1 lists too).
struct Page {
    items: Vec<Job>,
    next: Option<String>,
}

/// A page, or what is wrong with the query.
fn page(shared: &Shared, query: Option<&str>) -> Result<Page, &'static str> {
    let limit = match query_param(query, "limit") {
        None => DEFAULT_LIMIT,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => return Err("limit must be 1-100"),
        },
    };
    let start = match query_param(query, "token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match t.strip_prefix("p").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => n,
            None => return Err("invalid token"),
        },
    };
    let all: Vec<Job> = shared
        .lock()
        .jobs
        .iter()
        .filter(|j| matches!(j.kind, JobKind::Video | JobKind::Translation))
        .cloned()
        .collect();
    let end = (start + limit).min(all.len());
    let items = all.get(start..end).map(<[Job]>::to_vec).unwrap_or_default();
    let next = (end < all.len()).then(|| format!("p{end}"));
    Ok(Page { items, next })
}

fn bad_query(gen: Generation, msg: &str) -> Resp {
    envelope::error(gen, StatusCode::BAD_REQUEST, "invalid_parameter", msg)
}

/// `GET /v1/video.list`.
pub(crate) fn v1_videos(shared: &Shared, query: Option<&str>) -> Resp {
    let p = match page(shared, query) {
        Ok(p) => p,
        Err(msg) => return bad_query(Generation::V1, msg),
    };
    let videos: Vec<Value> = p
        .items
        .iter()
        .map(|j| {
            json!({
                "video_id": j.id,
                "video_title": j.title,
                "status": j.status.as_str(),
                "created_at": j.created_at,
                "type": if j.kind == JobKind::Translation { "TRANSLATED" } else { "GENERATED" },
            })
        })
        .collect();
    envelope::v1_ok(json!({"videos": videos, "token": p.next}))
}

/// `GET /v3/videos`: the list envelope is `{data: [...], has_more, next_token}`.
pub(crate) fn v3_videos(shared: &Shared, query: Option<&str>) -> Resp {
    let p = match page(shared, query) {
        Ok(p) => p,
        Err(msg) => return bad_query(Generation::V3, msg),
    };
    let data: Vec<Value> = p.items.iter().map(|j| v3_video(j, &shared.base)).collect();
    envelope::json_response(
        StatusCode::OK,
        &json!({"data": data, "has_more": p.next.is_some(), "next_token": p.next}),
    )
}

/// A stock voice and a stock look, listed with the account's own.
const STOCK_VOICE: &str = "2d5b0e6cf36f460aa7fc47e3eee4ba54";
const STOCK_LOOK: &str = "Daisy-inskirt-20220818";

fn one_page(data: Vec<Value>) -> Resp {
    envelope::json_response(
        StatusCode::OK,
        &json!({"data": data, "has_more": false, "next_token": null}),
    )
}

/// `GET /v3/voices`: stock voices and the account's cloned/designed ones.
pub(crate) fn v3_voices(shared: &Shared) -> Resp {
    let mut data = vec![crate::resources::designed(STOCK_VOICE, "Mock Voice")];
    let own = shared.lock().voices.clone();
    data.extend(own.iter().map(|id| crate::resources::designed(id, "Own")));
    one_page(data)
}

/// `GET /v3/avatars/looks`: a stock look and every look the account made
/// (heygen-cli look fields `id`, `name`, `avatar_type`, `group_id`).
pub(crate) fn v3_looks(shared: &Shared) -> Resp {
    let look = |id: &str, kind: &str| {
        json!({"id": id, "name": id, "avatar_type": kind, "group_id": null,
               "preview_image_url": null, "status": "completed"})
    };
    let mut data = vec![look(STOCK_LOOK, "studio_avatar")];
    let own: Vec<String> = shared
        .lock()
        .jobs
        .iter()
        .filter(|j| j.kind == JobKind::Avatar)
        .map(|j| j.id.clone())
        .collect();
    data.extend(own.iter().map(|id| look(id, "photo_avatar")));
    one_page(data)
}

/// `GET /v1/streaming.list`: the account's open sessions (§3.7), however
/// they were started (through the gateway, or by an SDK with a token).
pub(crate) fn v1_streaming(shared: &Shared) -> Resp {
    let sessions: Vec<Value> = shared
        .lock()
        .jobs
        .iter()
        .filter(|j| j.kind == JobKind::Streaming)
        .map(|j| json!({"session_id": j.id, "status": "connected", "created_at": j.created_at}))
        .collect();
    envelope::v1_ok(json!({ "sessions": sessions }))
}
