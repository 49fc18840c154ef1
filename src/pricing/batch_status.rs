//! A v3 batch's status (`GET /v3/{videos|video-translations|lipsyncs}/batches/{id}`):
//! `status` (processing | completed | failed), `total_items`,
//! `counts_by_status` and a page of `items` (`item_index`, `status`, the
//! item's own id once it exists). Batches carry no length: settlement reads
//! each completed item's own status.

use serde_json::Value;

use super::jobs::{safe_id, JobOutcome};
use crate::catalog::StatusRead;

type Obj = serde_json::Map<String, Value>;

/// What a finished batch said about its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchItems {
    /// Items submitted (`total_items`, else the items listed).
    pub total: u64,
    /// Status paths of completed items whose id the page names.
    pub completed: Vec<String>,
    /// Items that failed (billed nothing).
    pub failed: u64,
}

/// The outcome of a batch status: pending while any item runs; failed when
/// nothing completed; else completed, with its items.
pub(super) fn outcome(read: &StatusRead, d: &Obj) -> Option<JobOutcome> {
    let status = d.get("status")?.as_str()?;
    let completed = d
        .get("counts_by_status")
        .and_then(|c| c.get("completed"))
        .and_then(Value::as_u64);
    Some(match status {
        "failed" if completed == Some(0) => JobOutcome::Failed,
        "completed" | "failed" => JobOutcome::Completed {
            duration_ms: None,
            output_url: None,
            batch: Some(items(read, d)),
        },
        _ => JobOutcome::Pending,
    })
}

fn items(read: &StatusRead, d: &Obj) -> BatchItems {
    let listed = d.get("items").and_then(Value::as_array);
    let mut out = BatchItems {
        total: d
            .get("total_items")
            .and_then(Value::as_u64)
            .unwrap_or_else(|| listed.map_or(0, |l| l.len() as u64)),
        completed: Vec::new(),
        failed: 0,
    };
    for item in listed.into_iter().flatten().filter_map(Value::as_object) {
        match item.get("status").and_then(Value::as_str) {
            Some("completed") => {
                let id = ["video_id", "video_translation_id", "lipsync_id", "id"]
                    .iter()
                    .find_map(|k| item.get(*k).and_then(Value::as_str))
                    .filter(|id| safe_id(id));
                if let Some(id) = id {
                    out.completed.push(item_path(read, id));
                }
            }
            Some("failed") => out.failed += 1,
            _ => {}
        }
    }
    out
}

/// Where one item's own status is read.
fn item_path(read: &StatusRead, id: &str) -> String {
    match read {
        StatusRead::V3TranslationBatch => format!("/v3/video-translations/{id}"),
        StatusRead::V3LipsyncBatch => format!("/v3/lipsyncs/{id}"),
        _ => format!("/v3/videos/{id}"),
    }
}
