//! How a job looks in each status read: one renderer per endpoint shape
//! (v1, v2, v3; videos, translations, lipsyncs). Its own file
//! because these are pure `Job → JSON` functions; `status` does the lookup.

use serde_json::{json, Value};

use crate::state::{Job, JobStatus};

fn done(job: &Job) -> bool {
    job.status == JobStatus::Completed
}

/// The finished output's URL: served by the mock itself (`/media/ID.mp4`
/// answers a real MP4 of the job's length), like HeyGen's signed file URLs
/// that need no API key.
fn url_if_done(job: &Job, base: &str, suffix: &str) -> Value {
    if done(job) {
        Value::from(format!("{base}/media/{}{suffix}", job.id))
    } else {
        Value::Null
    }
}

pub(super) fn v1_status(job: &Job, base: &str) -> Value {
    let error = match (&job.status, &job.error) {
        (JobStatus::Failed, msg) => {
            let msg = msg.clone().unwrap_or_else(|| "render failed".into());
            json!({"code": 40119, "message": msg, "detail": msg})
        }
        _ => Value::Null,
    };
    json!({
        "id": job.id,
        "status": job.status.as_str(),
        "duration": job.duration,
        "video_url": url_if_done(job, base, ".mp4"),
        "thumbnail_url": url_if_done(job, base, ".jpg"),
        "gif_url": url_if_done(job, base, ".gif"),
        "caption_url": null,
        "video_url_caption": null,
        "callback_id": job.callback_id,
        "created_at": job.created_at,
        "error": error,
    })
}

pub(super) fn v2_video(job: &Job, base: &str) -> Value {
    json!({
        "video_id": job.id,
        "status": job.status.as_str(),
        "duration": job.duration,
        "video_url": url_if_done(job, base, ".mp4"),
        "thumbnail_url": url_if_done(job, base, ".jpg"),
        "created_at": job.created_at,
        "error": job.error,
    })
}

pub(crate) fn v3_video(job: &Job, base: &str) -> Value {
    let failed = job.status == JobStatus::Failed;
    json!({
        "id": job.id,
        "title": job.title,
        "status": job.status.as_str(),
        "created_at": job.created_at,
        "completed_at": job.completed_at,
        "duration": job.duration,
        "video_url": url_if_done(job, base, ".mp4"),
        "captioned_video_url": null,
        "subtitle_url": null,
        "thumbnail_url": url_if_done(job, base, ".jpg"),
        "gif_url": url_if_done(job, base, ".gif"),
        "folder_id": null,
        "output_language": job.output_language,
        "failure_code": if failed { Value::from("render_failed") } else { Value::Null },
        "failure_message": if failed { Value::from(job.error.clone()) } else { Value::Null },
        "video_page_url": null,
    })
}

/// v2 translate status: exactly the fields of heygen-api.md §3.4 — no
/// duration, so the gateway must learn the length from the output (`url`).
pub(super) fn v2_translate(job: &Job, base: &str) -> Value {
    json!({
        "video_translate_id": job.id,
        "title": job.title,
        "status": job.status.translate_str(true),
        "url": url_if_done(job, base, ".mp4"),
        "message": job.error,
    })
}

pub(super) fn v3_translate(job: &Job, base: &str) -> Value {
    json!({
        "id": job.id,
        "title": job.title,
        "status": job.status.translate_str(false),
        "input_language": null,
        "output_language": job.output_language,
        "translate_audio_only": false,
        "duration": job.duration,
        "video_url": url_if_done(job, base, ".mp4"),
        "audio_url": url_if_done(job, base, ".mp3"),
        "srt_caption_url": null,
        "vtt_caption_url": null,
        "created_at": job.created_at,
        "failure_message": job.error,
        "callback_id": job.callback_id,
    })
}

pub(super) fn v3_lipsync(job: &Job, base: &str) -> Value {
    json!({
        "id": job.id,
        "title": job.title,
        "status": job.status.as_str(),
        "duration": job.duration,
        "video_url": url_if_done(job, base, ".mp4"),
        "caption_url": null,
        "created_at": job.created_at,
        "failure_message": job.error,
        "callback_id": job.callback_id,
    })
}
