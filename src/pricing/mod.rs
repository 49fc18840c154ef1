//! Price book, duration projection and plan policy. Pure: no I/O, no clock,
//! no async. Money is integer micro-credits; floats only read JSON numbers
//! and config values, converted once.
//!
//! Flow: [`crate::catalog::classify`] → [`quote`] (policy + projection +
//! price) → hold → forward → [`jobs_from_response`] → settle each job from
//! [`status_outcome`] / [`parse_webhook`] with [`settle_cost`].

mod batch_page;
pub(crate) mod batch_status;
mod blocks;
mod book;
mod book_canonical;
mod book_file;
mod draft;
pub mod facts;
pub mod features;
pub(crate) mod jobs;
mod json;
mod json_at;
mod json_fast;
mod json_num;
mod json_scan;
#[cfg(test)]
mod json_tests;
pub mod learn;
pub mod media;
mod plan;
mod quote;
pub mod realtime;
mod rules;
mod rules_shared;
mod rules_template;
mod rules_v2_video;
mod rules_v3;
mod rules_v3_video;
mod ssml;
mod ssml_attr;
#[cfg(test)]
mod ssml_reference;
mod strict;
mod strict_keys;
mod swar;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_text;
#[cfg(test)]
mod tests_text_diff;
#[cfg(test)]
mod tests_text_plain;
pub mod text;
mod text_plain;
#[cfg(test)]
mod text_reference;
mod text_scan;
mod verbal;

use serde::Serialize;

pub use batch_page::{batch_page, BatchPage};
pub use batch_status::{BatchItems, ItemState, ListedItem};
pub use book::{Generation, Price, PriceBook, Projection};
pub use book_file::{BookError, FileFeature, FilePricing, FileProjection};
pub use facts::Facts;
pub use features::Unit;
pub use jobs::{
    jobs_from_response, parse_webhook, status_outcome, Job, JobOutcome, WebhookEvent,
    WebhookOutcome,
};
pub use media::{MediaKey, MediaLengths};
pub use plan::{PlanPolicy, TestMode, Tier};
pub use quote::{
    quote, quote_request, quote_with_facts, quote_with_media, settle_cost, settle_cost_in,
    MAX_QUOTE_MICROS,
};

use crate::money::{format_credits, Micros};

/// Whether `body` is a JSON object the strict rules accept (valid JSON, no
/// duplicate or case-twin keys; an empty body is `{}`): what a body naming
/// resources must be before the ids read from it are trusted, since HeyGen
/// may read a body the gateway's parser cannot, or read it differently.
pub fn check_json_object(body: &[u8]) -> Result<(), PricingError> {
    let arena = bumpalo::Bump::new();
    json::parse_object(body, &arena).map(|_| ())
}

/// The non-empty string values of `keys` at any depth of a JSON body, in
/// body order: what a job is made from, for the isolation check. Read with
/// the quote's own parser (a serde value tree of a 50-scene body took
/// several times as long); empty when the body is refused, as pricing then
/// refuses it too.
pub fn string_values_of(body: &[u8], keys: &[&str]) -> Vec<String> {
    fn walk(v: &json::Value<'_>, keys: &[&str], out: &mut Vec<String>) {
        match v {
            json::Value::Object(o) => {
                for (k, v) in o.iter() {
                    match v {
                        json::Value::String(s) if !s.is_empty() && keys.contains(&k) => {
                            out.push((*s).to_string())
                        }
                        _ => walk(v, keys, out),
                    }
                }
            }
            json::Value::Array(items) => items.iter().for_each(|v| walk(v, keys, out)),
            _ => {}
        }
    }
    let arena = bumpalo::Bump::new();
    let mut out = Vec::new();
    if let Ok(obj) = json::parse_object(body, &arena) {
        walk(&json::Value::Object(obj), keys, &mut out);
    }
    out
}

/// How the hold for a quote is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SettleMode {
    /// Each job is captured later at its actual duration (status/webhook/poller).
    /// A 2xx response from which no job id can be read should be captured at
    /// the quote (never undercount).
    PerJob,
    /// Per-call or session features: capture the quote when upstream answers 2xx.
    OnSuccess,
    /// `test: true` or zero-cost: nothing is held.
    Free,
}

/// A priced request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    /// Price-book key; for mixed batches the feature carrying most credits.
    pub feature: String,
    /// One per upstream job the request is expected to create, in response order.
    pub jobs: Vec<JobQuote>,
    /// Per-scene breakdown for display (may be empty).
    pub scenes: Vec<SceneQuote>,
    /// Total projected length (safety factor applied), before rounding.
    pub projected_ms: u64,
    /// Total seconds charged after per-video rounding.
    pub billed_seconds: u64,
    /// Total cost: the sum of `jobs[*].credits`.
    pub credits: Micros,
    /// Price-book version used.
    pub version: String,
    pub settle: SettleMode,
}

/// One expected upstream job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobQuote {
    pub feature: String,
    pub projected_ms: u64,
    pub billed_seconds: u64,
    pub credits: Micros,
}

/// One scene (or item) of a job, for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SceneQuote {
    /// Index into [`Quote::jobs`].
    pub job: usize,
    /// A price-book key (static: a 50-scene quote built 50 strings for it).
    pub feature: &'static str,
    pub projected_ms: u64,
    /// What the length is based on — probed: `probed` (the media's own
    /// header, read through the egress guard), `recorded` (an uploaded
    /// asset's header, read as it streamed through the gateway); declared:
    /// `text`, `silence`, `time_range`, `duration_sec`, `duration`,
    /// `template_script`; defaulted: `audio_default`, `source_default`,
    /// `template_default` (a personalized-video contact),
    /// `template_scene_default`, `agent_default`, `render_default`; the
    /// plan's longest job: `template_unread`; and `first_minute`
    /// (sessions), `per_call`.
    pub basis: &'static str,
}

#[derive(Serialize)]
struct QuoteJson<'a> {
    feature: &'a str,
    jobs: &'a [JobQuote],
    scenes: &'a [SceneQuote],
    projected_ms: u64,
    billed_seconds: u64,
    credits: String,
    credits_micros: Micros,
    version: &'a str,
    settle: SettleMode,
}

impl Serialize for Quote {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        QuoteJson {
            feature: &self.feature,
            jobs: &self.jobs,
            scenes: &self.scenes,
            projected_ms: self.projected_ms,
            billed_seconds: self.billed_seconds,
            credits: format_credits(self.credits),
            credits_micros: self.credits,
            version: &self.version,
            settle: self.settle,
        }
        .serialize(s)
    }
}

#[derive(Serialize)]
struct JobQuoteJson<'a> {
    feature: &'a str,
    projected_ms: u64,
    billed_seconds: u64,
    credits: String,
    credits_micros: Micros,
}

impl Serialize for JobQuote {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        JobQuoteJson {
            feature: &self.feature,
            projected_ms: self.projected_ms,
            billed_seconds: self.billed_seconds,
            credits: format_credits(self.credits),
            credits_micros: self.credits,
        }
        .serialize(s)
    }
}

/// Why a request was refused before forwarding, in HeyGen's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricingError {
    status: u16,
    code: &'static str,
    message: String,
}

// === impl PricingError ===

impl PricingError {
    /// 400 `invalid_parameter`: `field` names the JSON path.
    pub fn invalid(field: &str, what: impl std::fmt::Display) -> Self {
        Self::new(400, "invalid_parameter", format!("{field}: {what}"))
    }

    fn new(status: u16, code: &'static str, message: String) -> Self {
        Self {
            status,
            code,
            message,
        }
    }

    /// HTTP status: 400 or 403.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// HeyGen-style code: `invalid_parameter`, `video_too_long`,
    /// `resolution_not_allowed`, `enterprise_only`, `unpriceable`,
    /// `cost_too_high`, `unknown_route`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for PricingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for PricingError {}
