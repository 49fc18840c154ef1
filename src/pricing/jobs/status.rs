//! Outcomes from status reads: the job id and whether it is pending,
//! completed (with its length or file) or failed, from a
//! status body passing through the proxy or fetched by the poller. Its own
//! file because each status route names its job and result differently.

use serde_json::Value;

use super::{duration_ms, safe_id, JobOutcome, Obj};
use crate::catalog::StatusRead;

fn outcome_of(d: &Obj) -> Option<JobOutcome> {
    let status = d.get("status")?.as_str()?.to_ascii_lowercase();
    Some(match status.as_str() {
        "completed" | "success" | "succeeded" | "done" => JobOutcome::Completed {
            duration_ms: duration_ms(d.get("duration")),
            // v1/v3 name it `video_url`; the v2 translation status `url`.
            output_url: ["video_url", "url"]
                .iter()
                .find_map(|k| d.get(*k).and_then(Value::as_str))
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .map(str::to_owned),
            batch: None,
        },
        "failed" | "fail" | "error" => JobOutcome::Failed,
        _ => JobOutcome::Pending,
    })
}

/// The value of `name` when the query holds exactly one key spelled that way
/// and no percent-encoded key at all (which some servers decode to `name`).
fn single_query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    let pairs: Vec<(&str, &str)> = query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    if pairs.iter().any(|(k, _)| k.contains('%')) {
        return None;
    }
    let mut matches = pairs.iter().filter(|(k, _)| *k == name);
    let (_, v) = matches.next()?;
    matches.next().is_none().then_some(*v)
}

/// The job id and outcome in a status response (passing through the proxy,
/// or fetched by the poller from [`Job::status_path`](super::Job::status_path)). `None` when the body
/// is not a success body of that shape.
pub fn status_outcome(
    status: &StatusRead,
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> Option<(String, JobOutcome)> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let root = v.as_object()?;
    // v1 errors carry a non-100 `code`; v2/v3 errors a non-null `error`.
    if root.get("error").is_some_and(|e| !e.is_null()) {
        return None;
    }
    if let Some(code) = root.get("code").and_then(Value::as_i64) {
        if code != 100 {
            return None;
        }
    }
    // `GET /v2/videos/{id}` may answer without an envelope.
    let d = match root.get("data") {
        Some(Value::Object(d)) => d,
        _ if root.contains_key("status") => root,
        _ => return None,
    };
    let id = match status {
        // The body names the job it describes; the query may not (repeated or
        // encoded `video_id` keys are read differently by different servers),
        // so it is used only when the body is silent and it is unambiguous.
        StatusRead::V1VideoStatus => match d
            .get("id")
            .or_else(|| d.get("video_id"))
            .and_then(Value::as_str)
        {
            Some(id) => id,
            None => single_query_param(query, "video_id")?,
        },
        _ => path.trim_end_matches('/').rsplit('/').next()?,
    };
    if !safe_id(id) {
        return None;
    }
    let outcome = match status {
        StatusRead::V3VideoBatch | StatusRead::V3TranslationBatch | StatusRead::V3LipsyncBatch => {
            crate::pricing::batch_status::outcome(status, query, d)?
        }
        // A Video Agent session is no job: it makes a video per revision
        // and its status names only the latest, so its `completed` or
        // `failed` says nothing of one request's render. Its videos are
        // bound to the requests' placeholders and settle from their own
        // statuses (`settlement::agents`).
        StatusRead::V3VideoAgent => {
            outcome_of(d)?;
            JobOutcome::Pending
        }
        _ => outcome_of(d)?,
    };
    Some((id.to_owned(), outcome))
}
