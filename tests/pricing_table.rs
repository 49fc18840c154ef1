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
#[path = "pricing_table/v3.rs"]
mod v3;
#[path = "pricing_table/v3_more.rs"]
mod v3_more;
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

// --- POST /v2/video/generate -------------------------------------------------

#[test]
fn v2_text_scene() {
    // 66 s → 90 s at 1 credit/min = 1.5 credits.
    let quote = q(
        "/v2/video/generate",
        json!({"video_inputs": [text_scene(&words150())]}),
    );
    assert_eq!(quote.feature, "standard_avatar");
    assert_eq!(quote.projected_ms, 66_000);
    assert_eq!(quote.billed_seconds, 90);
    assert_eq!(quote.credits, 1_500_000);
    assert_eq!(quote.settle, SettleMode::PerJob);
    assert_eq!(quote.jobs.len(), 1);
}

#[test]
fn v2_silence_audio_and_multi_scene() {
    let silence = json!({"voice": {"type": "silence", "duration": 3.0}});
    let audio = json!({"voice": {"type": "audio", "audio_url": "https://x/a.mp3"}});
    // 3 s → 30 s = 0.5 credit.
    assert_eq!(
        q("/v2/video/generate", json!({"video_inputs": [silence]})).credits,
        500_000
    );
    // Default audio 180 s = 3 credits.
    assert_eq!(
        q("/v2/video/generate", json!({"video_inputs": [audio]})).credits,
        3_000_000
    );
    // 66 + 3 + 180 = 249 s → 270 s = 4.5 credits; one video, three scenes.
    let multi = q(
        "/v2/video/generate",
        json!({"video_inputs": [text_scene(&words150()), silence, audio]}),
    );
    assert_eq!(multi.projected_ms, 249_000);
    assert_eq!(multi.billed_seconds, 270);
    assert_eq!(multi.credits, 4_500_000);
    assert_eq!(multi.scenes.len(), 3);
    assert_eq!(multi.scenes[1].basis, "silence");
    // Silence without duration defaults to 1 s.
    let one = q(
        "/v2/video/generate",
        json!({"video_inputs": [{"voice": {"type": "silence"}}]}),
    );
    assert_eq!(one.projected_ms, 1000);
}

#[test]
fn v2_speed_breaks_and_cjk() {
    let mut scene = text_scene(&words150());
    scene["voice"]["speed"] = json!(1.5);
    // 40 s × 1.1 = 44 s → 60 s = 1 credit.
    assert_eq!(
        q("/v2/video/generate", json!({"video_inputs": [scene]})).credits,
        1_000_000
    );
    // 60 words: 24 s × 1.1 = 26.4 s → 30 s; a 5 s break pushes it to 31.4 s → 60 s.
    let sixty = "word ".repeat(60);
    let without = q(
        "/v2/video/generate",
        json!({"video_inputs": [text_scene(&sixty)]}),
    );
    assert_eq!(without.credits, 500_000);
    let with = format!("{sixty}<break time=\"5s\"/>");
    let with = q(
        "/v2/video/generate",
        json!({"video_inputs": [text_scene(&with)]}),
    );
    assert_eq!(with.projected_ms, 31_400);
    assert_eq!(with.credits, 1_000_000);
    let ms = q(
        "/v2/video/generate",
        json!({"video_inputs": [text_scene("<break time=\"500ms\"/>")]}),
    );
    assert_eq!(ms.projected_ms, 500);
    // 450 Hanzi at 4.5/s = 100 s × 1.1 = 110 s → 120 s = 2 credits.
    let cjk = q(
        "/v2/video/generate",
        json!({"video_inputs": [text_scene(&"中".repeat(450))]}),
    );
    assert_eq!(cjk.projected_ms, 110_000);
    assert_eq!(cjk.credits, 2_000_000);
}

#[test]
fn v2_avatar_iv_scene_bills_the_video_at_avatar_iv() {
    let mut iv = text_scene(&words150());
    iv["character"]["use_avatar_iv_model"] = json!(true);
    let silence = json!({"voice": {"type": "silence", "duration": 3}});
    // 66 + 3 = 69 s → 90 s at 6 credits/min = 9 credits.
    let quote = q("/v2/video/generate", json!({"video_inputs": [iv, silence]}));
    assert_eq!(quote.feature, "avatar_iv");
    assert_eq!(quote.scenes[0].feature, "avatar_iv");
    assert_eq!(quote.scenes[1].feature, "standard_avatar");
    assert_eq!(quote.credits, 9_000_000);
}

#[test]
fn v2_test_videos_are_held_at_full_price() {
    let body = json!({"test": true, "video_inputs": [text_scene(&words150())]});
    // Billed test mode (the default): an ordinary render.
    let billed = q("/v2/video/generate", body.clone());
    assert_eq!(billed.credits, 1_500_000);
    assert_eq!(billed.settle, SettleMode::PerJob);
    // Free test mode: still priced (the hold must fit the budget), released
    // once HeyGen accepts it.
    let free = PlanPolicy {
        test_mode: TestMode::Free,
        ..PAYG
    };
    let quote = try_quote(&free, "/v2/video/generate", &body).expect("quote");
    assert_eq!(quote.credits, 1_500_000);
    assert_eq!(quote.settle, SettleMode::Free);
    assert_eq!(quote.billed_seconds, 90);
    // The plan's length limit applies to test renders too.
    let long = json!({"test": true, "video_inputs": [text_scene(&"word ".repeat(5000))]});
    assert_eq!(
        refused(&free, "/v2/video/generate", long),
        (400, "video_too_long")
    );
}

#[test]
fn v2_dimension_policy() {
    let body = |w: u32, h: u32| json!({"dimension": {"width": w, "height": h}, "video_inputs": [text_scene("hi")]});
    assert_eq!(q("/v2/video/generate", body(1920, 1080)).credits, 500_000);
    assert_eq!(q("/v2/video/generate", body(1080, 1920)).credits, 500_000);
    for (w, h) in [(3840, 2160), (2160, 3840), (2000, 1000), (1200, 1200)] {
        assert_eq!(
            refused(&PAYG, "/v2/video/generate", body(w, h)),
            (400, "resolution_not_allowed"),
            "{w}x{h}"
        );
    }
    assert!(try_quote(&ENT, "/v2/video/generate", &body(3840, 2160)).is_ok());
}

#[test]
fn v2_length_policy() {
    // 19 scenes × 100 s = 1900 s > 1800 s.
    let scenes: Vec<Value> = (0..19)
        .map(|_| json!({"voice": {"type": "silence", "duration": 100}}))
        .collect();
    let body = json!({"video_inputs": scenes});
    assert_eq!(
        refused(&PAYG, "/v2/video/generate", body.clone()),
        (400, "video_too_long")
    );
    // 1900 s at 1/min = 31.666… → 1900 s is a multiple of... 1920 s billed = 32 credits.
    assert_eq!(
        try_quote(&ENT, "/v2/video/generate", &body).map(|q| q.credits),
        Ok(32_000_000)
    );
}

#[test]
fn v2_invalid_parameters_name_the_field() {
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "video_inputs"),
        (json!({"video_inputs": []}), "video_inputs"),
        (
            json!({"video_inputs": [{"voice": {"type": "text"}}]}),
            "video_inputs[0].voice.input_text",
        ),
        (
            json!({"video_inputs": [{"character": {}}]}),
            "video_inputs[0].voice",
        ),
        (
            json!({"video_inputs": [{"voice": {"type": "text", "input_text": "a", "speed": "fast"}}]}),
            "video_inputs[0].voice.speed",
        ),
        (
            json!({"video_inputs": [{"voice": {"type": "silence", "duration": -1}}]}),
            "video_inputs[0].voice.duration",
        ),
        (
            json!({"video_inputs": [{"voice": {"type": "song"}}]}),
            "video_inputs[0].voice.type",
        ),
        (
            json!({"test": "yes", "video_inputs": [text_scene("a")]}),
            "test",
        ),
        (
            json!({"dimension": {"width": 1920}, "video_inputs": [text_scene("a")]}),
            "dimension.height",
        ),
    ];
    for (body, field) in cases {
        let e = try_quote(&PAYG, "/v2/video/generate", &body).expect_err("refused");
        assert_eq!((e.status(), e.code()), (400, "invalid_parameter"), "{body}");
        assert!(
            e.message().starts_with(&format!("{field}:")),
            "{}",
            e.message()
        );
    }
    for raw in [&b"{not json"[..], b"[1,2]", b"42"] {
        let e = quote_request(
            &PriceBook::builtin(),
            &PAYG,
            &Method::POST,
            "/v2/video/generate",
            raw,
        )
        .expect_err("refused");
        assert_eq!(e.code(), "invalid_parameter");
    }
}

// --- other v1/v2 routes ------------------------------------------------------

#[test]
fn v1_v2_routes() {
    let w = words150();
    let table: Vec<(&str, Value, &str, Micros, SettleMode)> = vec![
        (
            "/v1/video.webm",
            json!({"input_text": w}),
            "standard_avatar",
            1_500_000,
            SettleMode::PerJob,
        ),
        (
            "/v1/video.webm",
            json!({"input_audio": "https://x/a.mp3"}),
            "standard_avatar",
            3_000_000,
            SettleMode::PerJob,
        ),
        // Avatar IV: 66 s → 90 s at 6/min.
        (
            "/v2/video/av4/generate",
            json!({"image_key": "k", "script": w, "voice_id": "v"}),
            "avatar_iv",
            9_000_000,
            SettleMode::PerJob,
        ),
        (
            "/v2/video/av4/generate",
            json!({"image_key": "k", "audio_url": "https://x"}),
            "avatar_iv",
            18_000_000,
            SettleMode::PerJob,
        ),
        (
            "/v2/videos",
            json!({"avatar_id": "a", "script": w}),
            "avatar_iv",
            9_000_000,
            SettleMode::PerJob,
        ),
        // A template not read (no facts): the plan's longest job, 1800 s at 1/min.
        (
            "/v2/template/t1/generate",
            json!({"variables": {}}),
            "template",
            30_000_000,
            SettleMode::PerJob,
        ),
        (
            "/v1/personalized_video/add_contact",
            json!({"project_id": "p"}),
            "template",
            // A contact: the template default, 120 s at 1/min.
            2_000_000,
            SettleMode::PerJob,
        ),
        // Translation default 300 s at 3/min (fast) or 6/min (quality), per language.
        (
            "/v2/video_translate",
            json!({"video_url": "u", "output_language": "French"}),
            "translation_fast",
            15_000_000,
            SettleMode::PerJob,
        ),
        (
            "/v2/video_translate",
            json!({"video_url": "u", "output_languages": ["a", "b", "c"], "mode": "quality"}),
            "translation_quality",
            90_000_000,
            SettleMode::PerJob,
        ),
        // `translate_audio_only` at the fast mode is its own feature (v3
        // enterprise: 3/min like speed; PAYG half); precision has no
        // audio-only rate and stays precision.
        (
            "/v2/video_translate",
            json!({"video_url": "u", "output_language": "French", "translate_audio_only": true}),
            "translation_audio_only",
            15_000_000,
            SettleMode::PerJob,
        ),
        (
            "/v2/video_translate",
            json!({"video_url": "u", "output_language": "French", "mode": "quality",
                   "translate_audio_only": true}),
            "translation_quality",
            30_000_000,
            SettleMode::PerJob,
        ),
        // Video Agent: 60 s × 1.1 = 66 s → 90 s at 2/min; default 120 s.
        (
            "/v1/video_agent/generate",
            json!({"prompt": "p", "config": {"duration_sec": 60}}),
            "video_agent",
            3_000_000,
            SettleMode::PerJob,
        ),
        (
            "/v1/video_agent/generate",
            json!({"prompt": "p"}),
            "video_agent",
            4_000_000,
            SettleMode::PerJob,
        ),
        // HeyGen's 5–300 s range: 0 is read as 5 s (5.5 s → 30 s = 1 credit),
        // 10000 as 300 s (330 s = 11 credits).
        (
            "/v1/video_agent/generate",
            json!({"prompt": "p", "config": {"duration_sec": 0}}),
            "video_agent",
            1_000_000,
            SettleMode::PerJob,
        ),
        (
            "/v1/video_agent/generate",
            json!({"prompt": "p", "config": {"duration_sec": 10000}}),
            "video_agent",
            11_000_000,
            SettleMode::PerJob,
        ),
        // Streaming session: the first minute at 0.2/min (metering holds the rest).
        (
            "/v1/streaming.new",
            json!({"quality": "medium"}),
            "streaming",
            200_000,
            SettleMode::OnSuccess,
        ),
        (
            "/v2/photo_avatar/photo/generate",
            json!({}),
            "photo_avatar_generate",
            1_000_000,
            SettleMode::OnSuccess,
        ),
        (
            "/v2/photo_avatar/look/generate",
            json!({}),
            "photo_avatar_look",
            1_000_000,
            SettleMode::OnSuccess,
        ),
        (
            "/v2/photo_avatar/train",
            json!({"group_id": "g"}),
            "photo_avatar_train",
            4_000_000,
            SettleMode::OnSuccess,
        ),
        (
            "/v2/photo_avatar/add_motion",
            json!({}),
            "photo_avatar_motion",
            1_000_000,
            SettleMode::OnSuccess,
        ),
        (
            "/v2/photo_avatar/upscale",
            json!({}),
            "photo_avatar_upscale",
            500_000,
            SettleMode::OnSuccess,
        ),
        // Documented free: priced at 0, so nothing is held.
        (
            "/v2/photo_avatar/add_sound_effect",
            json!({}),
            "photo_avatar_sound_effect",
            0,
            SettleMode::Free,
        ),
    ];
    for (path, body, feature, credits, settle) in table {
        let quote = q(path, body);
        assert_eq!(
            (quote.feature.as_str(), quote.credits, quote.settle),
            (feature, credits, settle),
            "{path}"
        );
    }
}

#[test]
fn enterprise_only_v2() {
    let tr = json!({"video_url": "u", "output_language": "French"});
    for path in [
        "/v2/video_translate/proofread",
        "/v2/video_translate/proofread/p1/generate",
    ] {
        assert_eq!(
            refused(&PAYG, path, tr.clone()),
            (403, "enterprise_only"),
            "{path}"
        );
    }
    assert_eq!(
        refused(&PAYG, "/v2/video_avatar", json!({})),
        (403, "enterprise_only")
    );
    // Proofread: 300 s → 360 s (2-minute steps) at 0.5/min = 3 credits.
    let pr = try_quote(&ENT, "/v2/video_translate/proofread", &tr).expect("enterprise");
    assert_eq!(
        (pr.feature.as_str(), pr.credits, pr.settle),
        ("proofread", 3_000_000, SettleMode::OnSuccess)
    );
    let gen = try_quote(
        &ENT,
        "/v2/video_translate/proofread/p1/generate",
        &json!({}),
    )
    .expect("ent");
    // The generate body does not say the proofread's mode: priced as
    // precision (300 s at 6/min), never as fast.
    assert_eq!(
        (gen.feature.as_str(), gen.credits),
        ("translation_quality", 30_000_000)
    );
    let va = try_quote(&ENT, "/v2/video_avatar", &json!({})).expect("ent");
    assert_eq!(
        (va.feature.as_str(), va.credits),
        ("avatar_creation", 1_000_000)
    );
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
