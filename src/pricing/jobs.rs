//! Reading upstream answers: job ids from creation responses, outcomes from
//! status reads, and HeyGen webhook events. Tolerant of the v1 (`{code,data}`),
//! v2 (`{error,data}`) and v3 (`{data}`) envelopes; returns nothing rather
//! than guessing when a body does not say.
//!
//! This file holds the job types and the creation-answer side; status reads
//! are in `status`, webhook deliveries in `webhook` (re-exported here), and
//! a Video Agent session's video list in `agent_videos`.

pub(crate) mod agent_videos;
mod status;
mod webhook;

use serde::Serialize;
use serde_json::Value;

use super::batch_status::BatchItems;
type Obj = serde_json::Map<String, Value>;
use super::{JobQuote, Quote, SettleMode};
use crate::catalog::Billable;
use crate::money::Micros;
pub use status::status_outcome;
pub use webhook::{parse_webhook, WebhookEvent, WebhookOutcome};

/// One upstream job created by a forwarded request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    pub id: String,
    pub feature: String,
    /// `path?query` to GET for this job's status; `classify` maps its path to
    /// the matching [`StatusRead`](crate::catalog::StatusRead).
    pub status_path: String,
    /// The part of the quote this job accounts for (a batch job carries the
    /// whole batch). Over all jobs of a response these sum to `quote.credits`.
    pub quoted: Micros,
    /// The projected length this job was held for (calibration compares it
    /// with the real one at settlement).
    pub projected_ms: u64,
    /// A v3 batch's items, each priced on its own, in request order (HeyGen's
    /// `item_index`; a translation payload's languages in turn): settlement
    /// prices each item at its own feature. Empty for any other job.
    pub items: Vec<JobQuote>,
}

/// What a status read says about a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Pending,
    /// `duration_ms: None` means "finished, length unknown": settlement
    /// then reads the length from `output_url` (the finished file), else
    /// captures the hold.
    Completed {
        duration_ms: Option<u64>,
        output_url: Option<String>,
        /// A finished batch's items: each settles from its own status.
        batch: Option<BatchItems>,
    },
    Failed,
}

/// Upstream ids are opaque but short and URL-safe; anything else is not
/// put into a status path.
pub(crate) fn safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// `data` of an envelope, or the body itself when there is none.
fn data(body: &[u8]) -> Option<Obj> {
    match serde_json::from_slice::<Value>(body).ok()? {
        Value::Object(mut o) => match o.remove("data") {
            Some(Value::Object(d)) => Some(d),
            _ => Some(o),
        },
        _ => None,
    }
}

fn ids(d: &Obj, keys: &[&str]) -> Vec<String> {
    for key in keys {
        match d.get(*key) {
            Some(Value::String(s)) if safe_id(s) => return vec![s.clone()],
            Some(Value::Array(list)) => {
                let found: Vec<String> = list
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|s| safe_id(s))
                    .map(str::to_owned)
                    .collect();
                if !found.is_empty() {
                    return found;
                }
            }
            _ => {}
        }
    }
    Vec::new()
}

/// Job ids (and where to poll them) from an upstream 2xx creation body.
/// Empty for [`SettleMode::OnSuccess`]/[`SettleMode::Free`] quotes and for
/// bodies that carry no id.
pub fn jobs_from_response(billable: &Billable, quote: &Quote, response_body: &[u8]) -> Vec<Job> {
    if quote.settle != SettleMode::PerJob {
        return Vec::new();
    }
    let Some(d) = data(response_body) else {
        return Vec::new();
    };
    let (found, status) = job_ids(billable, &d);
    let n = found.len();
    let batch = matches!(
        billable,
        Billable::V3VideoBatch | Billable::V3TranslationBatch | Billable::V3LipsyncBatch
    );
    let mut remaining = quote.credits;
    found
        .into_iter()
        .enumerate()
        .map(|(i, id)| {
            // Job i carries quote job i; the last one also carries any quote
            // jobs without an id of their own (a batch id covers all items).
            let quoted = if i + 1 == n {
                remaining
            } else {
                quote
                    .jobs
                    .get(i)
                    .map(|j| j.credits)
                    .unwrap_or(0)
                    .min(remaining)
            };
            remaining -= quoted;
            let feature = quote
                .jobs
                .get(i)
                .map(|j| j.feature.clone())
                .unwrap_or_else(|| quote.feature.clone());
            // Like `quoted`: the last job also carries the quote jobs after it.
            let mine = if i + 1 == n {
                quote.jobs.get(i..).unwrap_or_default()
            } else {
                quote.jobs.get(i..=i).unwrap_or_default()
            };
            Job {
                status_path: status(&id),
                id,
                feature,
                quoted,
                projected_ms: mine.iter().map(|j| j.projected_ms).sum(),
                // One `batch_id` answers for every item of a batch.
                items: if batch && i + 1 == n {
                    mine.to_vec()
                } else {
                    Vec::new()
                },
            }
        })
        .collect()
}

/// The job ids a creation answer's `data` names for `billable`, and how to
/// build each one's status path.
fn job_ids(billable: &Billable, d: &Obj) -> (Vec<String>, fn(&str) -> String) {
    match billable {
        Billable::StudioVideo
        | Billable::WebmVideo
        | Billable::Av4Video
        | Billable::V2Template { .. }
        | Billable::V1VideoAgent
        | Billable::PersonalizedVideo => (ids(d, &["video_id"]), |id| {
            format!("/v1/video_status.get?video_id={id}")
        }),
        Billable::V2AvatarIvVideo => (ids(d, &["video_id"]), |id| format!("/v2/videos/{id}")),
        Billable::V2Translation | Billable::V2ProofreadGenerate { .. } => (
            ids(d, &["video_translate_id", "video_translate_ids"]),
            |id| format!("/v2/video_translate/{id}"),
        ),
        Billable::V3Video => (ids(d, &["video_id"]), |id| format!("/v3/videos/{id}")),
        // heygen-cli: the template render answers the video itself (`id`).
        Billable::V3Template { .. } => {
            (ids(d, &["video_id", "id"]), |id| format!("/v3/videos/{id}"))
        }
        // A create may name its video; one that does not, and every
        // revision (whose answer names a run, never a video: heygen-cli
        // gen/video-agent.go), is held by a placeholder bound to the
        // session's video later (`settlement::agents`). The session id is
        // no job: a session makes a video per revision, and its status
        // names only the latest.
        Billable::V3VideoAgent => (ids(d, &["video_id"]), |id| format!("/v3/videos/{id}")),
        Billable::V3Translation | Billable::V3ProofreadGenerate { .. } => (
            ids(
                d,
                &[
                    "video_translation_ids",
                    "video_translation_id",
                    "video_translate_id",
                ],
            ),
            |id| format!("/v3/video-translations/{id}"),
        ),
        Billable::V3Lipsync => (ids(d, &["lipsync_id", "id"]), |id| {
            format!("/v3/lipsyncs/{id}")
        }),
        Billable::V3VideoBatch => (ids(d, &["batch_id"]), |id| {
            format!("/v3/videos/batches/{id}")
        }),
        Billable::V3TranslationBatch => (ids(d, &["batch_id"]), |id| {
            format!("/v3/video-translations/batches/{id}")
        }),
        Billable::V3LipsyncBatch => (ids(d, &["batch_id"]), |id| {
            format!("/v3/lipsyncs/batches/{id}")
        }),
        Billable::V3HyperframesRender => (ids(d, &["render_id", "id"]), |id| {
            format!("/v3/hyperframes/renders/{id}")
        }),
        _ => (Vec::new(), |_| String::new()),
    }
}

/// The job ids a creation answer names (what settlement will poll and the
/// ownership registry records), whatever the quote's settle mode.
#[cfg(test)]
pub(crate) fn created_job_ids(billable: &Billable, response_body: &[u8]) -> Vec<String> {
    data(response_body).map_or_else(Vec::new, |d| job_ids(billable, &d).0)
}

/// A JSON number of seconds → milliseconds, if sane.
fn duration_ms(v: Option<&Value>) -> Option<u64> {
    let s = v?.as_f64()?;
    (s.is_finite() && (0.0..1e9).contains(&s)).then(|| (s * 1000.0).ceil() as u64)
}
