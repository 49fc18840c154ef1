//! v3 batches: the one job a batch is carries each item's own feature and
//! projection in request order, and the batch status is read item by item
//! (`item_index`) and page by page (`has_more`, `next_token`).

use heygen_gateway::pricing::{BatchItems, ItemState, ListedItem};

use super::settle::{billable, status_read};
use super::v3::v3_avatar;
use super::*;

/// The one job of a batch answered `{batch_id: "b1"}`: (feature, quoted,
/// each item's (feature, credits)).
fn batch_job(path: &str, body: Value) -> (String, Micros, Vec<(String, Micros)>) {
    let quote = q(path, body);
    let jobs = jobs_from_response(&billable(path), &quote, br#"{"data":{"batch_id":"b1"}}"#);
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let items = jobs[0]
        .items
        .iter()
        .map(|i| (i.feature.clone(), i.credits))
        .collect();
    // The items are the quote's jobs, so they sum to the hold.
    assert_eq!(jobs[0].items, quote.jobs);
    (jobs[0].feature.clone(), jobs[0].quoted, items)
}

#[test]
fn a_batch_job_keeps_each_items_feature_and_projection() {
    // Avatar III (standard) first, Avatar IV after: 66 s each.
    let videos = json!({"videos": [
        v3_avatar(json!({"engine": {"type": "avatar_iii"}})),
        v3_avatar(json!({"engine": {"type": "avatar_iv"}}))]});
    let (feature, quoted, items) = batch_job("/v3/videos/batches", videos);
    assert_eq!((feature.as_str(), quoted), ("standard_avatar", 7_700_000));
    assert_eq!(
        items,
        [
            ("standard_avatar".into(), 1_100_000),
            ("avatar_iv".into(), 6_600_000)
        ]
    );
    // Speed then precision lipsyncs: 10 s at 3/min, 20 s at 6/min.
    let item = |mode: &str, end: u32| {
        json!({"video": {"type": "url", "url": "u"}, "audio": {"type": "url", "url": "a"},
               "mode": mode, "end_time": end})
    };
    let lips = json!({"lipsyncs": [item("speed", 10), item("precision", 20)]});
    let (_, _, items) = batch_job("/v3/lipsyncs/batches", lips);
    assert_eq!(
        items,
        [
            ("lipsync_speed".into(), 500_000),
            ("lipsync_precision".into(), 2_000_000)
        ]
    );
    // A translation payload expands to one item per language, in order.
    let tr = |mode: &str, langs: Value| {
        json!({"video": {"type": "url", "url": "u"}, "mode": mode, "output_languages": langs,
               "start_time": 0, "end_time": 60})
    };
    let trs = json!({"video_translations": [tr("speed", json!(["es", "fr"])), tr("precision", json!(["de"]))]});
    let (_, _, items) = batch_job("/v3/video-translations/batches", trs);
    let features: Vec<&str> = items.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        features,
        [
            "translation_fast",
            "translation_fast",
            "translation_quality"
        ]
    );
    // Any other job keeps no items.
    let one = q("/v3/videos", v3_avatar(json!({})));
    let jobs = jobs_from_response(
        &billable("/v3/videos"),
        &one,
        br#"{"data":{"video_id":"v1"}}"#,
    );
    assert!(jobs[0].items.is_empty());
}

fn items_of(query: Option<&str>, body: &[u8]) -> BatchItems {
    let path = "/v3/videos/batches/b1";
    match status_outcome(&status_read(path), path, query, body) {
        Some((_, JobOutcome::Completed { batch: Some(b), .. })) => b,
        other => panic!("a completed batch with items, got {other:?}"),
    }
}

#[test]
fn a_batch_status_lists_each_item_by_its_index() {
    let done = br#"{"data":{"batch_id":"b1","status":"completed","total_items":4,
        "counts_by_status":{"completed":2,"failed":1},
        "items":[{"item_index":0,"status":"completed","video_id":"va"},
                 {"item_index":1,"status":"failed","video_id":"vb"},
                 {"item_index":2,"status":"completed","video_id":"../x"},
                 {"item_index":2,"status":"completed","video_id":"vc"},
                 {"status":"processing"}],
        "has_more":false,"next_token":"ignored"}}"#;
    let at = |index, state| ListedItem { index, state };
    let listed = vec![
        at(Some(0), ItemState::Completed(Some("/v3/videos/va".into()))),
        at(Some(1), ItemState::Failed),
        // An id that is not URL-safe is not followed; the index counts once.
        at(Some(2), ItemState::Completed(None)),
        at(None, ItemState::Running),
    ];
    let want = BatchItems {
        total: 4,
        listed,
        next_token: None,
        from_start: true,
    };
    assert_eq!(items_of(None, done), want);
    // Items are read where their own status is: translations, lipsyncs.
    let lip = br#"{"data":{"status":"completed","total_items":1,"counts_by_status":{"completed":1},
        "items":[{"item_index":0,"status":"completed","video_id":"l1"}],"has_more":false}}"#;
    let path = "/v3/lipsyncs/batches/b1";
    let Some((_, JobOutcome::Completed { batch: Some(b), .. })) =
        status_outcome(&status_read(path), path, None, lip)
    else {
        panic!("a completed lipsync batch");
    };
    let want = ItemState::Completed(Some("/v3/lipsyncs/l1".into()));
    assert_eq!(b.listed[0].state, want);
}

#[test]
fn a_batch_status_page_says_where_the_next_one_is() {
    let first =
        br#"{"data":{"status":"completed","total_items":3,"counts_by_status":{"completed":3},
        "items":[{"item_index":0,"status":"completed","video_id":"va"}],
        "has_more":true,"next_token":"t/1"}}"#;
    let b = items_of(Some("limit=1"), first);
    assert_eq!((b.next_token.as_deref(), b.from_start), (Some("t/1"), true));
    // A page read with a token does not start at the first item.
    let b = items_of(Some("limit=1&token=t%2F1"), first);
    assert!(!b.from_start);
    assert!(items_of(Some("token="), first).from_start);
}
