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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    Success,
    Failed,
    Other,
}

/// Parses a webhook body: legacy `{event_type, event_data{video_id | video_translate_id, …}}`
/// or v3 (same plus top-level `event_id`). `None` when no job id is present.
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
        "id",
    ]
    .iter()
    .find_map(|k| d.get(*k).and_then(Value::as_str).filter(|s| safe_id(s)))?
    .to_owned();
    // A personalized video's one event is sent when the contact's video is done.
    let outcome = if event_type.ends_with(".success") || event_type == "personalized_video" {
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
    })
}
