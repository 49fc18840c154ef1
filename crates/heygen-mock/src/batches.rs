//! v3 batches (heygen-cli `gen/video.go`, `gen/video-translate.go`,
//! `gen/lipsync.go`): `POST /v3/{videos|video-translations|lipsyncs}/batches`
//! answers a `batch_id` at once; `GET …/batches/{id}` answers the shared
//! batch read model — aggregate status, counts, and one page of items
//! ordered by `item_index` (each item's id as `video_id` for all three
//! kinds), paged by `limit` (1–100, default 100) and `token`
//! (`has_more`, `next_token`). A translation payload with several
//! `output_languages` expands to one item per language; a batch holds at
//! most 100 items, expanded, as HeyGen's does.

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use serde_json::{json, Map, Value};

use crate::envelope::{self, Generation};
use crate::routes::new_job;
use crate::state::{new_id, unix_now, Batch, JobKind, JobStatus, NewJob, Shared};
use crate::status::query_param;

type Resp = Response<Full<Bytes>>;

/// HeyGen's cap on a batch's (expanded) items.
const MAX_ITEMS: usize = 100;
/// Items per status page when the read names no `limit` (HeyGen's default).
const DEFAULT_LIMIT: usize = 100;

/// The job kind of a batch collection path (`/v3/videos/batches`, …).
pub(crate) fn kind_of(collection: &str) -> Option<JobKind> {
    match collection {
        "/v3/videos/batches" => Some(JobKind::Video),
        "/v3/video-translations/batches" => Some(JobKind::Translation),
        "/v3/lipsyncs/batches" => Some(JobKind::Lipsync),
        _ => None,
    }
}

fn invalid(msg: &str) -> Resp {
    envelope::error(
        Generation::V3,
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
        msg,
    )
}

/// `POST` of a batch: one job per item (per language for translations).
pub(crate) fn create(
    shared: &Shared,
    path: &str,
    kind: JobKind,
    body: &Map<String, Value>,
) -> Resp {
    let keys: &[&str] = match kind {
        JobKind::Translation => &["video_translations", "translations", "items"],
        JobKind::Lipsync => &["lipsyncs", "items"],
        _ => &["videos", "items"],
    };
    let Some(payloads) = keys
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_array))
        .filter(|p| !p.is_empty())
    else {
        return invalid(&format!("{} must be a non-empty array", keys[0]));
    };
    let mut items: Vec<NewJob> = Vec::new();
    for p in payloads {
        let fields = p.as_object().cloned().unwrap_or_default();
        if kind != JobKind::Translation {
            items.push(new_job(&fields));
            continue;
        }
        let languages: Vec<String> = fields
            .get("output_languages")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if languages.is_empty() {
            return invalid("each translation needs output_languages");
        }
        for lang in languages {
            items.push(NewJob {
                output_language: Some(lang),
                ..new_job(&fields)
            });
        }
    }
    if items.len() > MAX_ITEMS {
        return invalid("the expanded item count is capped at 100");
    }
    let ids: Vec<String> = items
        .into_iter()
        .map(|new| shared.create_job(kind, path, new).id)
        .collect();
    // Like HeyGen: the batch id now, the items' ids from its status.
    let batch = Batch {
        id: new_id(),
        created_at: unix_now(),
        kind,
        items: ids,
    };
    let (id, total) = (batch.id.clone(), batch.items.len());
    shared.lock().batches.push(batch);
    envelope::v3_ok(json!({"batch_id": id, "status": "processing", "total_items": total}))
}

/// `GET …/batches/{id}`: the aggregate and one page of items.
pub(crate) fn status(shared: &Shared, kind: JobKind, id: &str, query: Option<&str>) -> Resp {
    let (batch, forced) = {
        let inner = shared.lock();
        let batch = inner
            .batches
            .iter()
            .find(|b| b.id == id && b.kind == kind)
            .cloned();
        (batch, inner.batch_page_limit)
    };
    let Some(batch) = batch else {
        return envelope::error(
            Generation::V3,
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("{id:?} not found"),
        );
    };
    let limit = match query_param(query, "limit") {
        None => DEFAULT_LIMIT,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => return invalid("limit must be 1-100"),
        },
    };
    // A test may force smaller pages than asked for (`set_batch_page_limit`).
    let limit = forced.map_or(limit, |f| limit.min(f.max(1)));
    let start = match query_param(query, "token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => match t.strip_prefix('i').and_then(|n| n.parse::<usize>().ok()) {
            Some(n) if n <= batch.items.len() => n,
            _ => return invalid("invalid token"),
        },
    };
    let statuses: Vec<&str> = batch
        .items
        .iter()
        .map(
            |vid| match shared.find_job(vid, &[kind]).map(|j| j.status) {
                Some(JobStatus::Completed) => "completed",
                Some(JobStatus::Failed) | None => "failed",
                Some(JobStatus::Processing) => "processing",
                Some(JobStatus::Pending) => "queued",
            },
        )
        .collect();
    let mut counts = Map::new();
    for s in &statuses {
        let n = counts.get(*s).and_then(Value::as_u64).unwrap_or(0);
        counts.insert((*s).to_owned(), Value::from(n + 1));
    }
    let end = (start + limit).min(batch.items.len());
    let items: Vec<Value> = (start..end)
        .map(|i| {
            let failed = statuses[i] == "failed";
            json!({
                "item_index": i,
                "status": statuses[i],
                "video_id": batch.items[i],
                "error": if failed { json!({"message": "render failed"}) } else { Value::Null },
            })
        })
        .collect();
    let next = (end < batch.items.len()).then(|| format!("i{end}"));
    let done = |s: &str| counts.get(s).and_then(Value::as_u64).unwrap_or(0);
    let terminal = done("completed") + done("failed");
    let status = if terminal < batch.items.len() as u64 {
        "processing"
    } else if done("completed") > 0 {
        "completed"
    } else {
        "failed"
    };
    envelope::v3_ok(json!({
        "batch_id": batch.id,
        "status": status,
        "total_items": batch.items.len(),
        "counts_by_status": counts,
        "created_at": batch.created_at,
        "items": items,
        "has_more": next.is_some(),
        "next_token": next,
        "title": null,
    }))
}
