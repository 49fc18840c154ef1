//! End-to-end tests of pricing and the ledger through the gateway (issues 3
//! and 4), SQLite backend unless noted: budget races, billing headers,
//! releases on upstream failure, settlement by status read / webhook /
//! poller / TTL, idempotency, calendar windows, plan policy, route access,
//! ledger outage (PostgreSQL stopped) and quotes (endpoint and CLI).
//!
//! Background settlement is awaited with `eventually_async`; TTLs and window
//! resets move a `ManualClock`. Nothing asserts on elapsed time.

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/pg.rs"]
mod pg;

#[path = "billing/agents.rs"]
mod agents;
#[path = "billing/batch_features.rs"]
mod batch_features;
#[path = "billing/batches.rs"]
mod batches;
#[path = "billing/calibration.rs"]
mod calibration;
#[path = "billing/chaos.rs"]
mod chaos;
#[path = "billing/cli.rs"]
mod cli;
#[path = "billing/contacts.rs"]
mod contacts;
#[path = "billing/control_ids.rs"]
mod control_ids;
#[path = "billing/cost_bound.rs"]
mod cost_bound;
#[path = "billing/delete.rs"]
mod delete;
#[path = "billing/encoding.rs"]
mod encoding;
#[path = "billing/failures.rs"]
mod failures;
#[path = "billing/hangups.rs"]
mod hangups;
#[path = "billing/headers.rs"]
mod headers;
#[path = "billing/https_upstream.rs"]
mod https_upstream;
#[path = "billing/idempotency.rs"]
mod idempotency;
#[path = "billing/ledger_down.rs"]
mod ledger_down;
#[path = "billing/liveavatar.rs"]
mod liveavatar;
#[path = "billing/liveavatar_keys.rs"]
mod liveavatar_keys;
#[path = "billing/lookups.rs"]
mod lookups;
#[path = "billing/policy.rs"]
mod policy;
#[path = "billing/price_books.rs"]
mod price_books;
#[path = "billing/probing.rs"]
mod probing;
#[path = "billing/quote.rs"]
mod quote;
#[path = "billing/race.rs"]
mod race;
#[path = "billing/regressions.rs"]
mod regressions;
#[path = "billing/reports.rs"]
mod reports;
#[path = "billing/retries.rs"]
mod retries;
#[path = "billing/retries_scope.rs"]
mod retries_scope;
#[path = "billing/retries_sessions.rs"]
mod retries_sessions;
#[path = "billing/rig.rs"]
mod rig;
#[path = "billing/route_access.rs"]
mod route_access;
#[path = "billing/session_prices.rs"]
mod session_prices;
#[path = "billing/session_stops.rs"]
mod session_stops;
#[path = "billing/session_ticks.rs"]
mod session_ticks;
#[path = "billing/sessions.rs"]
mod sessions;
#[path = "billing/sessions_org.rs"]
mod sessions_org;
#[path = "billing/sessions_play.rs"]
mod sessions_play;
#[path = "billing/sessions_starts.rs"]
mod sessions_starts;
#[path = "billing/sessions_unmetered.rs"]
mod sessions_unmetered;
#[path = "billing/settlement.rs"]
mod settlement;
#[path = "billing/settlement_background.rs"]
mod settlement_background;
#[path = "billing/sources.rs"]
mod sources;
#[path = "billing/test_mode.rs"]
mod test_mode;
#[path = "billing/token_binding.rs"]
mod token_binding;
#[path = "billing/unregistered.rs"]
mod unregistered;
#[path = "billing/uploads.rs"]
mod uploads;
#[path = "billing/windows.rs"]
mod windows;

use std::sync::Arc;

use common::*;
use heygen_gateway::clock::ManualClock;
use serde_json::{json, Value};

pub use rig::{Rig, SETTLE_WAIT};

/// A manual clock at `rfc3339`, shared with the gateway.
pub fn manual_clock(rfc3339: &str) -> Arc<ManualClock> {
    let at = chrono::DateTime::parse_from_rfc3339(rfc3339)
        .expect("valid RFC 3339 time")
        .with_timezone(&chrono::Utc);
    Arc::new(ManualClock::new(at))
}

/// A v2 scene speaking `text` with a standard avatar.
pub fn text_scene(text: &str) -> Value {
    json!({"character": {"type": "avatar", "avatar_id": "Daisy-inskirt-20220818"},
           "voice": {"type": "text", "voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54", "input_text": text}})
}

/// `POST /v2/video/generate` body projecting 8.8 s → 30 s = 0.5 credit.
pub fn half_credit() -> Value {
    json!({"video_inputs": [text_scene(&"word ".repeat(20))]})
}

/// 150 words: 66 s with the safety factor → 90 s = 1.5 credits.
pub fn one_and_a_half() -> Value {
    json!({"video_inputs": [text_scene(&"word ".repeat(150))]})
}

/// One Avatar IV scene of 20 words: 30 s at 6 credits/min = 3 credits.
pub fn avatar_iv_three() -> Value {
    let mut scene = text_scene(&"word ".repeat(20));
    scene["character"]["use_avatar_iv_model"] = json!(true);
    json!({ "video_inputs": [scene] })
}

/// A v3 avatar video body with `extra` fields merged in.
pub fn v3_video(extra: Value) -> Value {
    let mut body = json!({"type": "avatar", "avatar_id": "Daisy-inskirt-20220818",
                          "script": "word ".repeat(20), "voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    body
}

/// The `video_id` of a create answer in any envelope.
pub fn video_id(resp: &TestResponse) -> String {
    resp.json()["data"]["video_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no video_id in {}", resp.text()))
        .to_string()
}

/// The `X-Gateway-Hold-Id` of a billable answer.
pub fn hold_id(resp: &TestResponse) -> String {
    resp.header("x-gateway-hold-id")
        .unwrap_or_else(|| panic!("no X-Gateway-Hold-Id ({}): {}", resp.status, resp.text()))
        .to_string()
}

/// Asserts a gateway refusal: status, envelope code and `X-Gateway-Rejected`.
#[track_caller]
pub fn assert_refused(resp: &TestResponse, status: u16, code: &str, reason: &str) {
    assert_eq!(resp.status, status, "body: {}", resp.text());
    assert_eq!(
        resp.header("x-gateway-rejected"),
        Some(reason),
        "X-Gateway-Rejected; body: {}",
        resp.text()
    );
    let body = resp.json();
    let got = body["error"]["code"]
        .as_str()
        .or_else(|| body["error_code"].as_str());
    assert_eq!(got, Some(code), "error code in {body}");
}

/// Asserts the v2 envelope shape `{"data": null, "error": {...}}`.
#[track_caller]
pub fn assert_v2_envelope(body: &Value) {
    assert!(body["data"].is_null(), "v2 envelope has data: null: {body}");
    assert!(body["error"].is_object(), "v2 envelope has error: {body}");
}

/// Tenant limits high enough that the rate limiter never interferes.
pub const NO_RATE_LIMIT: &str = "requests_per_minute = 1000000, burst = 100000";
