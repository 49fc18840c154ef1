//! HeyGen webhook deliveries, legacy or v3: the event, the job it names and
//! whether it reports success or failure. Kept apart from status reads
//! because the body shape (`event_type`, `event_data`) is its own.

use serde_json::Value;

use super::{duration_ms, safe_id};

/// A HeyGen webhook delivery, legacy or v3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// v3 deliveries only (dedupe key).
    pub event_id: Option<String>,
    pub event_type: String,
    pub job_id: String,
    pub outcome: WebhookOutcome,
    /// `event_data.duration` when a delivery carries it (undocumented).
    pub duration_ms: Option<u64>,
    /// `event_data.project_id` of a `personalized_video` event: which
    /// project's contact the video is.
    pub project_id: Option<String>,
    /// `event_data.batch_id` when the event names a v3 batch: the batch of
    /// a `batch.finished` (then also [`WebhookEvent::job_id`]), or the batch
    /// an item's event belongs to, should HeyGen say so (undocumented).
    pub batch_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    Success,
    Failed,
    Other,
}

/// Parses a webhook body: legacy `{event_type, event_data{video_id | video_translate_id, …}}`
/// or v3 (same plus top-level `event_id`). `None` when no job id is present.
/// An item's own id comes before `batch_id`, so an item event that also
/// names its batch is about the item; `batch.finished` names only the batch.
pub fn parse_webhook(body: &[u8]) -> Option<WebhookEvent> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let root = v.as_object()?;
    let event_type = root.get("event_type")?.as_str()?.to_owned();
    let d = root.get("event_data")?.as_object()?;
    let job_id = [
        "video_id",
        "video_translate_id",
        "video_translation_id",
        "lipsync_id",
        "render_id",
        "session_id",
        "batch_id",
        "id",
    ]
    .iter()
    .find_map(|k| d.get(*k).and_then(Value::as_str).filter(|s| safe_id(s)))?
    .to_owned();
    // A personalized video's one event is sent when the contact's video is
    // done; `batch.finished` when every item of a batch is terminal. Both
    // only mean "read the status now", as a `.success` does.
    let finished = matches!(event_type.as_str(), "personalized_video" | "batch.finished");
    let outcome = if event_type.ends_with(".success") || finished {
        WebhookOutcome::Success
    } else if event_type.ends_with(".fail") || event_type.ends_with(".failed") {
        WebhookOutcome::Failed
    } else {
        WebhookOutcome::Other
    };
    Some(WebhookEvent {
        event_id: root
            .get("event_id")
            .and_then(Value::as_str)
            .map(str::to_owned),
        event_type,
        job_id,
        outcome,
        duration_ms: duration_ms(d.get("duration")),
        project_id: d
            .get("project_id")
            .and_then(Value::as_str)
            .filter(|s| safe_id(s))
            .map(str::to_owned),
        batch_id: d
            .get("batch_id")
            .and_then(Value::as_str)
            .filter(|s| safe_id(s))
            .map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_finished_names_its_batch_and_asks_for_a_status_read() {
        let body = br#"{"event_id":"evt_1","event_type":"batch.finished","event_data":{"batch_id":"b1","status":"completed"}}"#;
        let e = parse_webhook(body).unwrap();
        assert_eq!(e.job_id, "b1");
        assert_eq!(e.batch_id.as_deref(), Some("b1"));
        assert_eq!(e.outcome, WebhookOutcome::Success);
    }

    #[test]
    fn an_item_event_naming_its_batch_is_about_the_item() {
        let body = br#"{"event_type":"avatar_video.success","event_data":{"batch_id":"b1","video_id":"v1"}}"#;
        let e = parse_webhook(body).unwrap();
        assert_eq!(e.job_id, "v1");
        assert_eq!(e.batch_id.as_deref(), Some("b1"));
        let plain = br#"{"event_type":"avatar_video.success","event_data":{"video_id":"v1"}}"#;
        assert_eq!(parse_webhook(plain).unwrap().batch_id, None);
        let unsafe_id = br#"{"event_type":"batch.finished","event_data":{"batch_id":"../x"}}"#;
        assert_eq!(parse_webhook(unsafe_id), None);
    }
}
