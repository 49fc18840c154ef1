//! One page of a v3 batch's status (`GET /v3/{videos|video-translations|lipsyncs}/batches/{id}`)
//! read for its items' ids rather than its outcome: every item HeyGen has
//! created the job of names it (`video_id`, nullable until then), whatever
//! the item's status, so the ids are known long before the batch finishes
//! and HeyGen's per-item webhooks can be matched to the batch's owner.
//! Settlement reads the same body for the outcome (`batch_status`).

use serde_json::Value;

use super::batch_status::{item_id, next_token, with_page, PAGE_LIMIT};

/// Most items one page lists (HeyGen's `limit` is 1–100; a batch holds at
/// most 100 items): more are ignored rather than trusted.
const MAX_PAGE_ITEMS: usize = PAGE_LIMIT as usize;

/// The item ids one page names and where the next page starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchPage {
    /// Ids of the page's items that have one, in page order, without repeats.
    pub item_ids: Vec<String>,
    /// `next_token` when `has_more` says there is another page.
    pub next_token: Option<String>,
    /// `total_items`: how many items the whole batch has.
    pub total: Option<u64>,
}

/// The item ids of a batch status answer; `None` when the body is not a
/// success answer of that shape.
pub fn batch_page(body: &[u8]) -> Option<BatchPage> {
    with_page(body, |d, items| {
        let mut page = BatchPage {
            total: d.get("total_items").and_then(Value::as_u64),
            next_token: next_token(d),
            ..BatchPage::default()
        };
        for item in items
            .iter()
            .take(MAX_PAGE_ITEMS)
            .filter_map(Value::as_object)
        {
            if let Some(id) = item_id(item) {
                if !page.item_ids.iter().any(|seen| seen == id) {
                    page.item_ids.push(id.to_owned());
                }
            }
        }
        page
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_with_an_id_counts_whatever_its_status() {
        let body = br#"{"data":{"batch_id":"b","status":"processing","items":[
            {"item_index":0,"status":"completed","video_id":"v0"},
            {"item_index":1,"status":"processing","video_id":"v1"},
            {"item_index":2,"status":"queued","video_id":null},
            {"item_index":3,"status":"failed","video_id":"v3","error":{"message":"x"}},
            {"item_index":4,"status":"queued","video_id":"../etc"},
            {"item_index":5,"status":"processing","video_id":"v1"}
        ],"has_more":false,"next_token":null}}"#;
        let page = batch_page(body).unwrap();
        assert_eq!(page.item_ids, ["v0", "v1", "v3"]);
        assert_eq!((page.next_token, page.total), (None, None));
    }

    #[test]
    fn a_cursor_counts_only_when_there_is_more() {
        let more = br#"{"data":{"total_items":3,"items":[],"has_more":true,"next_token":"t2"}}"#;
        let page = batch_page(more).unwrap();
        assert_eq!(
            (page.next_token.as_deref(), page.total),
            (Some("t2"), Some(3))
        );
        let done = br#"{"data":{"items":[],"has_more":false,"next_token":"t2"}}"#;
        assert_eq!(batch_page(done).unwrap().next_token, None);
    }

    #[test]
    fn errors_and_other_shapes_name_nothing() {
        assert_eq!(batch_page(br#"{"error":{"code":"not_found"}}"#), None);
        assert_eq!(batch_page(br#"{"data":{"status":"completed"}}"#), None);
        assert_eq!(batch_page(b"not json"), None);
    }
}
