//! Table tests: every billable catalog route priced with hand-computed
//! credits (defaults: 150 wpm, 4.5 CJK chars/s, safety 1.1, 30 s legacy
//! increments), every policy rejection, and the settlement readers.

use heygen_gateway::catalog::{classify, Billable, RouteKind, StatusRead};
use heygen_gateway::config::Tier;
use heygen_gateway::money::Micros;
use heygen_gateway::pricing::{
    jobs_from_response, parse_webhook, quote, quote_request, settle_cost_in, status_outcome,
    Generation, JobOutcome, PlanPolicy, PriceBook, PricingError, Quote, SettleMode, TestMode,
    WebhookOutcome,
};
use http::Method;
use serde_json::{json, Value};

#[path = "pricing_table/batches.rs"]
mod batches;
#[path = "pricing_table/props.rs"]
mod props;
#[path = "pricing_table/props_monotone.rs"]
mod props_monotone;
#[path = "pricing_table/settle.rs"]
mod settle;
#[path = "pricing_table/strict.rs"]
mod strict;
#[path = "pricing_table/text.rs"]
mod text;
#[path = "pricing_table/uhd.rs"]
mod uhd;
#[path = "pricing_table/v1_v2.rs"]
mod v1_v2;
#[path = "pricing_table/v2_generate.rs"]
mod v2_generate;
#[path = "pricing_table/v3.rs"]
mod v3;
#[path = "pricing_table/v3_more.rs"]
mod v3_more;
#[path = "pricing_table/v3_routes.rs"]
mod v3_routes;
#[path = "pricing_table/v3_studio.rs"]
mod v3_studio;

const PAYG: PlanPolicy = PlanPolicy {
    tier: Tier::PayAsYouGo,
    max_video_seconds: 1800,
    test_mode: TestMode::Billed,
};
const ENT: PlanPolicy = PlanPolicy {
    tier: Tier::Enterprise,
    max_video_seconds: 1800,
    test_mode: TestMode::Billed,
};

fn try_quote(plan: &PlanPolicy, path: &str, body: &Value) -> Result<Quote, PricingError> {
    let bytes = serde_json::to_vec(body).expect("json");
    quote_request(&PriceBook::builtin(), plan, &Method::POST, path, &bytes)
}

fn q(path: &str, body: Value) -> Quote {
    try_quote(&PAYG, path, &body).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn refused(plan: &PlanPolicy, path: &str, body: Value) -> (u16, &'static str) {
    match try_quote(plan, path, &body) {
        Ok(q) => panic!("{path}: expected refusal, got {q:?}"),
        Err(e) => (e.status(), e.code()),
    }
}

/// 150 words: 60 s at 150 wpm, 66 s with the safety factor.
fn words150() -> String {
    "word ".repeat(150)
}

fn text_scene(text: &str) -> Value {
    json!({"character": {"type": "avatar", "avatar_id": "a"},
           "voice": {"type": "text", "voice_id": "v", "input_text": text}})
}

// --- quote_request on non-billable routes -------------------------------------

#[test]
fn free_and_unknown_routes() {
    let free = quote_request(
        &PriceBook::builtin(),
        &PAYG,
        &Method::GET,
        "/v3/videos/abc",
        b"",
    )
    .expect("free");
    assert_eq!(
        (free.credits, free.settle, free.feature.as_str()),
        (0, SettleMode::Free, "free")
    );
    let e = quote_request(
        &PriceBook::builtin(),
        &PAYG,
        &Method::POST,
        "/v3/teleport",
        b"{}",
    )
    .expect_err("unknown");
    assert_eq!((e.status(), e.code()), (403, "unknown_route"));
}

#[test]
fn quote_serialises_credits_as_decimal_and_micros() {
    let quote = q(
        "/v2/video/generate",
        json!({"video_inputs": [text_scene(&words150())]}),
    );
    let v = serde_json::to_value(&quote).expect("serialises");
    assert_eq!(v["credits"], json!("1.5"));
    assert_eq!(v["credits_micros"], json!(1_500_000));
    assert_eq!(v["settle"], json!("per_job"));
    assert_eq!(v["jobs"][0]["credits"], json!("1.5"));
    assert_eq!(v["version"], json!("builtin-2026-02"));
}

#[test]
fn check_config_reports_pricing_problems_with_key_paths() {
    use heygen_gateway::config::Config;
    let ok = Config::from_toml("[pricing]\nversion = \"2026-02\"\n[pricing.features.avatar_iv]\ncredits_per_minute = 6.0\nincrement_seconds = 30\n");
    if let Err(e) = &ok {
        assert!(!e.to_string().contains("pricing"), "{e}");
    }
    let err =
        Config::from_toml("[pricing]\ninherit_defaults = false\n").expect_err("unpriced features");
    assert!(
        err.to_string()
            .contains("`pricing.features.standard_avatar.credits_per_minute`"),
        "{err}"
    );
    let err = Config::from_toml("[pricing.features.avatar_iv]\ncredits_per_minute = \"six\"\n")
        .expect_err("type");
    assert!(
        err.to_string()
            .contains("pricing.features.avatar_iv.credits_per_minute"),
        "{err}"
    );
    let err = Config::from_toml("[pricing.features.teleport]\ncredits_per_call = 1\n")
        .expect_err("unknown");
    assert!(
        err.to_string().contains("`pricing.features.teleport`"),
        "{err}"
    );
}

#[test]
fn refinements_follow_their_parent_only_in_a_book_without_defaults() {
    use heygen_gateway::config::Config;
    use heygen_gateway::pricing::features::{parent, Unit, FEATURES};
    let micros = |cfg: &Config, f: &str| cfg.pricing.price(f).map(|p| p.micros);
    // With the defaults inherited a refinement has its own price: the
    // 2025-11 table raises video avatars to 2/min, photo avatars stay 1.
    let cfg = Config::from_toml(
        "[pricing.features.standard_avatar]\ncredits_per_minute = 2\n\
         [pricing.features.translation_audio_only]\ncredits_per_minute = 1.5\n",
    )
    .expect("valid");
    assert_eq!(micros(&cfg, "talking_photo"), Some(1_000_000));
    assert_eq!(micros(&cfg, "translation_audio_only"), Some(1_500_000));
    assert_eq!(micros(&cfg, "translation_fast"), Some(3_000_000));

    // A book written with `inherit_defaults = false` before the
    // refinements existed still loads: they follow their parents.
    let mut toml = String::from("[pricing]\ninherit_defaults = false\n");
    for f in FEATURES.iter().filter(|f| parent(f.name).is_none()) {
        let key = match f.unit {
            Unit::PerMinute => "credits_per_minute",
            Unit::PerCall => "credits_per_call",
        };
        toml.push_str(&format!("[pricing.features.{}]\n{key} = 4\n", f.name));
    }
    toml.push_str("[pricing.features.talking_photo]\ncredits_per_minute = 1\n");
    let cfg = Config::from_toml(&toml).expect("every parent priced");
    assert_eq!(micros(&cfg, "photo_avatar_iv"), Some(4_000_000));
    assert_eq!(micros(&cfg, "translation_audio_only"), Some(4_000_000));
    assert_eq!(micros(&cfg, "talking_photo"), Some(1_000_000));
}
