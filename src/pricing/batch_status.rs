//! A v3 batch's status (`GET /v3/{videos|video-translations|lipsyncs}/batches/{id}`,
//! one read model for the three: heygen-cli `gen/video.go`): `status`
//! (processing | completed | failed), `total_items`, `counts_by_status` and
//! one page of `items` (`item_index`, `status`, the item's own id as
//! `video_id` once it exists), paged by `limit` (1–100) and `token`
//! (`has_more`, `next_token`). Batches carry no length: settlement reads
//! each completed item's own status, and the pages after the first.

use serde_json::Value;

use super::jobs::{safe_id, JobOutcome};
use crate::catalog::StatusRead;

type Obj = serde_json::Map<String, Value>;

/// Items asked for per page when settlement reads the pages (HeyGen's most).
pub(crate) const PAGE_LIMIT: u32 = 100;

/// Longest pagination token followed; HeyGen's are short opaque strings.
const MAX_TOKEN_LEN: usize = 1024;

/// What a batch status page said about its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchItems {
    /// Items submitted (`total_items`, else the items listed).
    pub total: u64,
    /// The items listed, in page order; an `item_index` listed twice (the
    /// list moved between pages) is kept once.
    pub listed: Vec<ListedItem>,
    /// The next page's cursor, when HeyGen says there is more.
    pub next_token: Option<String>,
    /// The page began at the first item (it was read without a `token`).
    pub from_start: bool,
}

/// One item of a batch page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedItem {
    /// `item_index`: the item's zero-based position in the request.
    pub index: Option<u64>,
    pub state: ItemState,
}

/// Where a listed item stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemState {
    /// Completed: where its own status is read, when the page names a
    /// usable id.
    Completed(Option<String>),
    /// Failed: HeyGen bills nothing.
    Failed,
    /// Queued or processing.
    Running,
}

impl BatchItems {
    /// Appends a later page's items (and its cursor), skipping any index
    /// already listed.
    pub fn extend(&mut self, page: BatchItems) {
        for item in page.listed {
            let repeat =
                item.index.is_some() && self.listed.iter().any(|seen| seen.index == item.index);
            if !repeat {
                self.listed.push(item);
            }
        }
        self.next_token = page.next_token;
    }
}

/// The outcome of a batch status: pending while any item runs; failed when
/// nothing completed; else completed, with its items. `query` is the read's
/// own (a page read with a `token` does not start at the first item).
pub(super) fn outcome(read: &StatusRead, query: Option<&str>, d: &Obj) -> Option<JobOutcome> {
    let status = d.get("status")?.as_str()?;
    let completed = d
        .get("counts_by_status")
        .and_then(|c| c.get("completed"))
        .and_then(Value::as_u64);
    Some(match status {
        "failed" if completed == Some(0) => JobOutcome::Failed,
        "completed" | "failed" => {
            let mut items = items(read, d);
            items.from_start = !query
                .unwrap_or_default()
                .split('&')
                .any(|kv| kv.starts_with("token=") && kv.len() > "token=".len());
            JobOutcome::Completed {
                duration_ms: None,
                output_url: None,
                batch: Some(items),
            }
        }
        _ => JobOutcome::Pending,
    })
}

/// `path?query` of a page of the batch whose status is read at
/// `status_path` (`token` from the previous page; none for the first).
pub(crate) fn page_path(status_path: &str, token: Option<&str>) -> String {
    let path = status_path.split_once('?').map_or(status_path, |(p, _)| p);
    match token {
        Some(t) => format!(
            "{path}?limit={PAGE_LIMIT}&token={}",
            crate::http::percent_encode(t)
        ),
        None => format!("{path}?limit={PAGE_LIMIT}"),
    }
}

/// A page's items from a 2xx batch status body; `None` when the body is
/// not one (an error envelope, another shape).
pub(crate) fn page(read: &StatusRead, body: &[u8]) -> Option<BatchItems> {
    with_page(body, |d, _| items(read, d))
}

/// `f` of a batch status body's `data` and its `items`; `None` when the
/// body is not a success answer of that shape.
pub(super) fn with_page<T>(body: &[u8], f: impl FnOnce(&Obj, &[Value]) -> T) -> Option<T> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let root = v.as_object()?;
    if root.get("error").is_some_and(|e| !e.is_null()) {
        return None;
    }
    let d = root.get("data")?.as_object()?;
    let items = d.get("items")?.as_array()?;
    Some(f(d, items))
}

/// `next_token` when `has_more` says there is another page. The cursor is
/// sent back as one query value; one that could not be (empty, huge) ends
/// the paging instead.
pub(super) fn next_token(d: &Obj) -> Option<String> {
    let more = d.get("has_more").and_then(Value::as_bool) == Some(true);
    d.get("next_token")
        .and_then(Value::as_str)
        .filter(|t| more && !t.is_empty() && t.len() <= MAX_TOKEN_LEN)
        .map(str::to_owned)
}

/// An item's own id, under any of the keys HeyGen's batch pages use.
pub(super) fn item_id(item: &Obj) -> Option<&str> {
    ["video_id", "video_translation_id", "lipsync_id", "id"]
        .iter()
        .find_map(|k| item.get(*k).and_then(Value::as_str))
        .filter(|id| safe_id(id))
}

fn items(read: &StatusRead, d: &Obj) -> BatchItems {
    let listed = d.get("items").and_then(Value::as_array);
    let total = d
        .get("total_items")
        .and_then(Value::as_u64)
        .unwrap_or_else(|| listed.map_or(0, |l| l.len() as u64));
    let next_token = next_token(d);
    let mut out = BatchItems {
        total,
        listed: Vec::new(),
        next_token: None,
        from_start: true,
    };
    // Through `extend`, so an index repeated on the page counts once.
    out.extend(BatchItems {
        listed: listed
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .map(|item| listed_item(read, item))
            .collect(),
        next_token,
        ..out.clone()
    });
    out
}

fn listed_item(read: &StatusRead, item: &Obj) -> ListedItem {
    let state = match item.get("status").and_then(Value::as_str) {
        Some("completed") => ItemState::Completed(item_id(item).map(|id| item_path(read, id))),
        Some("failed") => ItemState::Failed,
        _ => ItemState::Running,
    };
    ListedItem {
        index: item.get("item_index").and_then(Value::as_u64),
        state,
    }
}

/// Where one item's own status is read.
fn item_path(read: &StatusRead, id: &str) -> String {
    match read {
        StatusRead::V3TranslationBatch => format!("/v3/video-translations/{id}"),
        StatusRead::V3LipsyncBatch => format!("/v3/lipsyncs/{id}"),
        _ => format!("/v3/videos/{id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_asked_for_by_the_hundred_with_the_token_encoded() {
        let status = "/v3/video-translations/batches/b1";
        assert_eq!(
            page_path(status, None),
            "/v3/video-translations/batches/b1?limit=100"
        );
        assert_eq!(
            page_path(&format!("{status}?limit=5"), Some("a/b=c&d")),
            "/v3/video-translations/batches/b1?limit=100&token=a%2Fb%3Dc%26d"
        );
    }

    #[test]
    fn a_page_is_read_from_a_data_envelope_only() {
        let read = StatusRead::V3VideoBatch;
        let ok = br#"{"data":{"total_items":2,"items":[{"item_index":1,"status":"failed"}],
            "has_more":true,"next_token":"n2"}}"#;
        let p = page(&read, ok).expect("a page");
        assert_eq!((p.total, p.listed.len()), (2, 1));
        assert_eq!(p.next_token.as_deref(), Some("n2"));
        assert!(page(&read, br#"{"error":{"code":"x"},"data":{"items":[]}}"#).is_none());
        assert!(page(&read, br#"{"data":{"status":"completed"}}"#).is_none());
        assert!(page(&read, b"not json").is_none());
    }
}
