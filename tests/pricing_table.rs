//! Table tests: every billable catalog route priced with hand-computed
//! credits (defaults: 150 wpm, 4.5 CJK chars/s, safety 1.1, 30 s legacy
//! increments), every policy rejection, and the settlement readers.

use heygen_gateway::catalog::{classify, Billable, RouteKind, StatusRead};
use heygen_gateway::config::Tier;
use heygen_gateway::money::Micros;
use heygen_gateway::pricing::{
    jobs_from_response, parse_webhook, quote, quote_request, status_outcome, JobOutcome,
    PlanPolicy, PriceBook, PricingError, Quote, SettleMode, WebhookOutcome,
};
use http::Method;
use serde_json::{json, Value};

const PAYG: PlanPolicy = PlanPolicy {
    tier: Tier::PayAsYouGo,
    max_video_seconds: 1800,
};
const ENT: PlanPolicy = PlanPolicy {
    tier: Tier::Enterprise,
    max_video_seconds: 1800,
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
fn v2_test_videos_are_free() {
    let quote = q(
        "/v2/video/generate",
        json!({"test": true, "video_inputs": [text_scene(&words150())]}),
    );
    assert_eq!(quote.credits, 0);
    assert_eq!(quote.settle, SettleMode::Free);
    assert_eq!(quote.billed_seconds, 90);
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
        // Template default 120 s at 1/min.
        (
            "/v2/template/t1/generate",
            json!({"variables": {}}),
            "template",
            2_000_000,
            SettleMode::PerJob,
        ),
        (
            "/v1/personalized_video/add_contact",
            json!({"project_id": "p"}),
            "template",
            2_000_000,
            SettleMode::OnSuccess,
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
        // Streaming session: 600 s at 0.2/min.
        (
            "/v1/streaming.new",
            json!({"quality": "medium"}),
            "streaming",
            2_000_000,
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
    assert_eq!(
        (gen.feature.as_str(), gen.credits),
        ("translation_fast", 15_000_000)
    );
    let va = try_quote(&ENT, "/v2/video_avatar", &json!({})).expect("ent");
    assert_eq!(
        (va.feature.as_str(), va.credits),
        ("avatar_creation", 1_000_000)
    );
}

// --- v3 ----------------------------------------------------------------------

fn v3_avatar(extra: Value) -> Value {
    let mut body =
        json!({"type": "avatar", "avatar_id": "a", "script": words150(), "voice_id": "v"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    body
}

#[test]
fn v3_videos() {
    let table: Vec<(Value, &str, Micros)> = vec![
        // Default engine is Avatar IV: 66 s → 90 s at 6/min.
        (v3_avatar(json!({})), "avatar_iv", 9_000_000),
        (
            v3_avatar(json!({"engine": {"type": "avatar_v"}, "resolution": "1080p"})),
            "avatar_iv",
            9_000_000,
        ),
        (
            v3_avatar(json!({"engine": {"type": "avatar_iii"}})),
            "standard_avatar",
            1_500_000,
        ),
        // speed 1.5: 44 s → 60 s.
        (
            v3_avatar(json!({"voice_settings": {"speed": 1.5}})),
            "avatar_iv",
            6_000_000,
        ),
        // Audio instead of script: default 180 s.
        (
            json!({"type": "avatar", "avatar_id": "a", "audio_url": "https://x"}),
            "avatar_iv",
            18_000_000,
        ),
        (
            json!({"type": "image", "image": {"type": "url", "url": "u"}, "script": words150()}),
            "avatar_iv",
            9_000_000,
        ),
        (
            json!({"type": "cinematic_avatar", "prompt": "p", "duration": 8}),
            "cinematic_avatar",
            7_000_000,
        ),
        (
            json!({"type": "studio", "scenes": [{"script": words150()}, {"audio_url": "u"}]}),
            "avatar_iv",
            27_000_000,
        ),
    ];
    for (body, feature, credits) in table {
        let quote = q("/v3/videos", body.clone());
        assert_eq!(
            (quote.feature.as_str(), quote.credits),
            (feature, credits),
            "{body}"
        );
    }
    assert_eq!(
        refused(&PAYG, "/v3/videos", v3_avatar(json!({"resolution": "4k"}))),
        (400, "resolution_not_allowed")
    );
    assert!(try_quote(&ENT, "/v3/videos", &v3_avatar(json!({"resolution": "4K"}))).is_ok());
    assert_eq!(
        refused(
            &PAYG,
            "/v3/videos",
            v3_avatar(json!({"engine": {"type": "avatar_x"}}))
        ),
        (400, "unpriceable")
    );
    assert_eq!(
        refused(
            &PAYG,
            "/v3/videos",
            json!({"type": "avatar", "avatar_id": "a"})
        ),
        (400, "invalid_parameter")
    );
    assert_eq!(
        refused(&PAYG, "/v3/videos", json!({"script": "hi"})),
        (400, "invalid_parameter")
    );
}

#[test]
fn v3_batches_sum_items() {
    let videos = json!({"videos": [v3_avatar(json!({})),
        {"type": "avatar", "avatar_id": "a", "audio_url": "u", "engine": {"type": "avatar_iii"}}]});
    // 9 + 3 credits; feature = the one carrying most credits.
    let quote = q("/v3/videos/batches", videos);
    assert_eq!(
        (quote.jobs.len(), quote.credits, quote.feature.as_str()),
        (2, 12_000_000, "avatar_iv")
    );
    let bad = json!({"videos": [v3_avatar(json!({})), v3_avatar(json!({"resolution": "4k"}))]});
    assert_eq!(
        refused(&PAYG, "/v3/videos/batches", bad),
        (400, "resolution_not_allowed")
    );
    // Lipsyncs: 10 s at 3/min (per second) + default 300 s at 6/min.
    let lips = json!({"lipsyncs": [
        {"video": {"type": "url", "url": "u"}, "audio": {"type": "url", "url": "a"}, "end_time": 10},
        {"video": {"type": "url", "url": "u"}, "audio": {"type": "url", "url": "a"}, "mode": "precision"}]});
    assert_eq!(q("/v3/lipsyncs/batches", lips).credits, 30_500_000);
    // Translations: (2 languages × 96 s → 120 s at 3/min) + 1 × default 300 s.
    let trs = json!({"video_translations": [
        {"video": {"type": "url", "url": "u"}, "output_languages": ["es", "fr"], "start_time": 0, "end_time": 95.5},
        {"video": {"type": "url", "url": "u"}, "output_language": "de"}]});
    let quote = q("/v3/video-translations/batches", trs);
    assert_eq!((quote.jobs.len(), quote.credits), (3, 27_000_000));
}

#[test]
fn v3_other_routes() {
    let tr = json!({"video": {"type": "url", "url": "u"}, "output_languages": ["es", "fr"],
                    "mode": "speed", "start_time": 0, "end_time": 95.5});
    let table: Vec<(&str, Value, &str, Micros, SettleMode)> = vec![
        (
            "/v3/templates/t1",
            json!({"variables": {}}),
            "template",
            2_000_000,
            SettleMode::PerJob,
        ),
        (
            "/v3/video-agents",
            json!({"prompt": "p"}),
            "video_agent",
            4_000_000,
            SettleMode::PerJob,
        ),
        (
            "/v3/video-agents/s1",
            json!({"message": "shorter"}),
            "video_agent",
            4_000_000,
            SettleMode::PerJob,
        ),
        // 95.5 s → 96 s → 120 s at 3/min, two languages.
        (
            "/v3/video-translations",
            tr,
            "translation_fast",
            12_000_000,
            SettleMode::PerJob,
        ),
        (
            "/v3/video-translations",
            json!({"video": {"type": "url", "url": "u"}, "output_language": "es", "mode": "precision", "end_time": 30}),
            "translation_quality",
            3_000_000,
            SettleMode::PerJob,
        ),
        // Lipsync per second: 10 s at 3/min.
        (
            "/v3/lipsyncs",
            json!({"video": {"type": "url", "url": "u"}, "audio": {"type": "url", "url": "a"}, "start_time": 5, "end_time": 15}),
            "lipsync_speed",
            500_000,
            SettleMode::PerJob,
        ),
        // TTS: 66 s at 0.02/min = 0.022 credits.
        (
            "/v3/voices/speech",
            json!({"text": words150(), "voice_id": "v"}),
            "tts",
            22_000,
            SettleMode::OnSuccess,
        ),
        (
            "/v3/voices/clone",
            json!({}),
            "voice_clone",
            1_000_000,
            SettleMode::OnSuccess,
        ),
        (
            "/v3/voices",
            json!({"prompt": "warm"}),
            "voice_design",
            1_000_000,
            SettleMode::OnSuccess,
        ),
        (
            "/v3/avatars",
            json!({"type": "photo", "name": "n", "file": {}}),
            "avatar_creation",
            1_000_000,
            SettleMode::OnSuccess,
        ),
        (
            "/v3/avatars",
            json!({"type": "prompt", "name": "n", "prompt": "p"}),
            "avatar_creation",
            1_000_000,
            SettleMode::OnSuccess,
        ),
        // Realtime session: 600 s at 3/min.
        (
            "/v3/avatar-realtime",
            json!({"type": "tts"}),
            "avatar_realtime",
            30_000_000,
            SettleMode::OnSuccess,
        ),
        (
            "/v3/ai-clipping",
            json!({}),
            "ai_clipping",
            1_000_000,
            SettleMode::OnSuccess,
        ),
        (
            "/v3/background-removals",
            json!({}),
            "background_removal",
            1_000_000,
            SettleMode::OnSuccess,
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
fn v3_policy() {
    let twin = json!({"type": "video", "name": "n", "file": {}});
    assert_eq!(
        refused(&PAYG, "/v3/avatars", twin.clone()),
        (403, "enterprise_only")
    );
    assert_eq!(
        refused(&PAYG, "/v3/avatars", json!({"type": "digital_twin"})),
        (403, "enterprise_only")
    );
    assert!(try_quote(&ENT, "/v3/avatars", &twin).is_ok());
    let pr =
        json!({"video": {"type": "url", "url": "u"}, "output_language": "es", "end_time": 100});
    assert_eq!(
        refused(&PAYG, "/v3/video-translations/proofreads", pr.clone()),
        (403, "enterprise_only")
    );
    assert_eq!(
        refused(
            &PAYG,
            "/v3/video-translations/proofreads/p1/generate",
            json!({})
        ),
        (403, "enterprise_only")
    );
    // 100 s → 120 s at 0.5/min.
    assert_eq!(
        try_quote(&ENT, "/v3/video-translations/proofreads", &pr).map(|q| q.credits),
        Ok(1_000_000)
    );
    assert_eq!(
        try_quote(
            &ENT,
            "/v3/video-translations/proofreads/p1/generate",
            &json!({})
        )
        .map(|q| q.credits),
        Ok(15_000_000)
    );
    let srt = json!({"video": {"type": "url", "url": "u"}, "output_language": "es", "srt": {"type": "url"}});
    assert_eq!(
        refused(&PAYG, "/v3/video-translations", srt),
        (403, "enterprise_only")
    );
    let long =
        json!({"video": {"type": "url", "url": "u"}, "output_language": "es", "end_time": 1801});
    assert_eq!(
        refused(&PAYG, "/v3/video-translations", long),
        (400, "video_too_long")
    );
    let agent = json!({"prompt": "p", "duration_sec": 1700});
    // 1700 s × 1.1 = 1870 s > 1800 s.
    assert_eq!(
        refused(&PAYG, "/v3/video-agents", agent),
        (400, "video_too_long")
    );
    let bad_range = json!({"video": {}, "audio": {}, "start_time": 20, "end_time": 10});
    assert_eq!(
        refused(&PAYG, "/v3/lipsyncs", bad_range),
        (400, "invalid_parameter")
    );
    assert_eq!(
        refused(&PAYG, "/v3/video-translations", json!({"video": {}})),
        (400, "invalid_parameter")
    );
    assert_eq!(
        refused(&PAYG, "/v3/voices/speech", json!({})),
        (400, "invalid_parameter")
    );
    assert_eq!(
        refused(&PAYG, "/v3/avatars", json!({"type": "robot"})),
        (400, "invalid_parameter")
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

// --- settlement readers --------------------------------------------------------

fn billable(path: &str) -> Billable {
    match classify(&Method::POST, path).kind {
        RouteKind::Billable(b) => b,
        other => panic!("{path}: {other:?}"),
    }
}

fn status_read(path: &str) -> StatusRead {
    match classify(&Method::GET, path).kind {
        RouteKind::Status(s) => s,
        other => panic!("{path}: {other:?}"),
    }
}

#[test]
fn jobs_from_v2_video_and_poll_v1_status() {
    let b = billable("/v2/video/generate");
    let quote = q(
        "/v2/video/generate",
        json!({"video_inputs": [text_scene(&words150())]}),
    );
    let jobs = jobs_from_response(
        &b,
        &quote,
        br#"{"error":null,"data":{"video_id":"abc123"}}"#,
    );
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status_path, "/v1/video_status.get?video_id=abc123");
    assert_eq!(
        (jobs[0].quoted, jobs[0].feature.as_str()),
        (1_500_000, "standard_avatar")
    );
    let (path, query) = jobs[0].status_path.split_once('?').expect("query");
    let body = br#"{"code":100,"data":{"id":"abc123","status":"completed","duration":27.43},"message":"Success"}"#;
    assert_eq!(
        status_outcome(&status_read(path), path, Some(query), body),
        Some((
            "abc123".into(),
            JobOutcome::Completed {
                duration_ms: Some(27_430)
            }
        ))
    );
    let pending = br#"{"code":100,"data":{"id":"abc123","status":"processing","duration":null}}"#;
    assert_eq!(
        status_outcome(&StatusRead::V1VideoStatus, path, Some(query), pending).map(|x| x.1),
        Some(JobOutcome::Pending)
    );
    let failed = br#"{"code":100,"data":{"id":"abc123","status":"failed","error":{"code":40119}}}"#;
    assert_eq!(
        status_outcome(&StatusRead::V1VideoStatus, path, Some(query), failed).map(|x| x.1),
        Some(JobOutcome::Failed)
    );
    assert_eq!(
        status_outcome(
            &StatusRead::V1VideoStatus,
            path,
            Some(query),
            br#"{"code":400112,"message":"Unauthorized"}"#
        ),
        None
    );
}

#[test]
fn jobs_from_translations_and_batches() {
    let tr = json!({"video": {"type": "url", "url": "u"}, "output_languages": ["es", "fr"], "end_time": 60});
    let quote = q("/v3/video-translations", tr);
    let jobs = jobs_from_response(
        &billable("/v3/video-translations"),
        &quote,
        br#"{"data":{"video_translation_ids":["t1","t2"]}}"#,
    );
    let paths: Vec<&str> = jobs.iter().map(|j| j.status_path.as_str()).collect();
    assert_eq!(
        paths,
        ["/v3/video-translations/t1", "/v3/video-translations/t2"]
    );
    assert_eq!(jobs.iter().map(|j| j.quoted).sum::<Micros>(), quote.credits);
    let body = br#"{"data":{"id":"t2","status":"completed","duration":61.2}}"#;
    assert_eq!(
        status_outcome(&status_read(paths[1]), paths[1], None, body),
        Some((
            "t2".into(),
            JobOutcome::Completed {
                duration_ms: Some(61_200)
            }
        ))
    );
    // v2: one id string for one language.
    let v2 = q(
        "/v2/video_translate",
        json!({"video_url": "u", "output_language": "fr"}),
    );
    let jobs = jobs_from_response(
        &billable("/v2/video_translate"),
        &v2,
        br#"{"error":null,"data":{"video_translate_id":"vt9"}}"#,
    );
    assert_eq!(jobs[0].status_path, "/v2/video_translate/vt9");
    let st = br#"{"error":null,"data":{"video_translate_id":"vt9","status":"success","url":"u"}}"#;
    assert_eq!(
        status_outcome(
            &status_read("/v2/video_translate/vt9"),
            "/v2/video_translate/vt9",
            None,
            st
        ),
        Some(("vt9".into(), JobOutcome::Completed { duration_ms: None }))
    );
    // A batch is one job carrying the whole quote.
    let batch = q(
        "/v3/videos/batches",
        json!({"videos": [v3_avatar(json!({})), v3_avatar(json!({}))]}),
    );
    let jobs = jobs_from_response(
        &billable("/v3/videos/batches"),
        &batch,
        br#"{"data":{"batch_id":"b1"}}"#,
    );
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        (jobs[0].status_path.as_str(), jobs[0].quoted),
        ("/v3/videos/batches/b1", 18_000_000)
    );
    let done = br#"{"data":{"batch_id":"b1","status":"failed","counts_by_status":{"failed":2,"completed":0}}}"#;
    assert_eq!(
        status_outcome(
            &status_read("/v3/videos/batches/b1"),
            "/v3/videos/batches/b1",
            None,
            done
        ),
        Some(("b1".into(), JobOutcome::Failed))
    );
    // Lipsync and agent ids.
    let lip = q(
        "/v3/lipsyncs",
        json!({"video": {}, "audio": {}, "end_time": 10}),
    );
    let jobs = jobs_from_response(
        &billable("/v3/lipsyncs"),
        &lip,
        br#"{"data":{"lipsync_id":"l1"}}"#,
    );
    assert_eq!(jobs[0].status_path, "/v3/lipsyncs/l1");
    let agent = q("/v3/video-agents", json!({"prompt": "p"}));
    let jobs = jobs_from_response(
        &billable("/v3/video-agents"),
        &agent,
        br#"{"data":{"session_id":"s1","status":"generating"}}"#,
    );
    assert_eq!(jobs[0].status_path, "/v3/video-agents/s1");
    // Per-call quotes settle on success: no jobs.
    let call = q("/v3/avatars", json!({"type": "photo"}));
    assert!(jobs_from_response(
        &billable("/v3/avatars"),
        &call,
        br#"{"data":{"avatar_id":"a"}}"#
    )
    .is_empty());
    // Ids that are not URL-safe never reach a status path.
    assert!(jobs_from_response(
        &billable("/v3/videos"),
        &q("/v3/videos", v3_avatar(json!({}))),
        br#"{"data":{"video_id":"../x"}}"#
    )
    .is_empty());
}

#[test]
fn webhooks_legacy_and_v3() {
    let legacy = br#"{"event_type":"avatar_video.success","event_data":{"video_id":"abc","url":"u","callback_id":"c"}}"#;
    let ev = parse_webhook(legacy).expect("parses");
    assert_eq!(
        (ev.job_id.as_str(), ev.outcome, ev.event_id),
        ("abc", WebhookOutcome::Success, None)
    );
    let fail = br#"{"event_type":"video_translate.fail","event_data":{"video_translate_id":"t1","message":"m"}}"#;
    let ev = parse_webhook(fail).expect("parses");
    assert_eq!(
        (ev.job_id.as_str(), ev.outcome),
        ("t1", WebhookOutcome::Failed)
    );
    let v3 = br#"{"event_id":"evt_1","event_type":"avatar_video.success","event_data":{"video_id":"v9","duration":12.5},"created_at":1}"#;
    let ev = parse_webhook(v3).expect("parses");
    assert_eq!(
        (ev.event_id.as_deref(), ev.duration_ms),
        (Some("evt_1"), Some(12_500))
    );
    let gif = br#"{"event_type":"avatar_video_gif.success","event_data":{"video_id":"v9"}}"#;
    assert_eq!(
        parse_webhook(gif).map(|e| e.event_type),
        Some("avatar_video_gif.success".to_owned())
    );
    assert_eq!(
        parse_webhook(br#"{"event_type":"x","event_data":{}}"#),
        None
    );
    assert_eq!(parse_webhook(b"nope"), None);
}

#[test]
fn quote_matches_direct_call() {
    let b = billable("/v2/video/generate");
    let body = serde_json::to_vec(&json!({"video_inputs": [text_scene("hello")]})).expect("json");
    let direct = quote(&PriceBook::builtin(), &PAYG, &b, &body).expect("quote");
    assert_eq!(
        direct,
        q(
            "/v2/video/generate",
            json!({"video_inputs": [text_scene("hello")]})
        )
    );
}

// --- properties ------------------------------------------------------------------

mod props {
    use super::*;
    use proptest::prelude::*;

    /// Every billable route in the catalog.
    const BILLABLE_PATHS: &[&str] = &[
        "/v2/video/generate",
        "/v1/video.webm",
        "/v2/video/av4/generate",
        "/v2/videos",
        "/v2/template/t/generate",
        "/v2/video_translate",
        "/v2/video_translate/proofread",
        "/v2/video_translate/proofread/p/generate",
        "/v1/video_agent/generate",
        "/v1/personalized_video/add_contact",
        "/v2/photo_avatar/photo/generate",
        "/v2/photo_avatar/look/generate",
        "/v2/photo_avatar/train",
        "/v2/photo_avatar/add_motion",
        "/v2/photo_avatar/add_sound_effect",
        "/v2/photo_avatar/upscale",
        "/v2/video_avatar",
        "/v1/streaming.new",
        "/v3/videos",
        "/v3/videos/batches",
        "/v3/templates/t",
        "/v3/video-agents",
        "/v3/video-agents/s",
        "/v3/video-translations",
        "/v3/video-translations/batches",
        "/v3/video-translations/proofreads",
        "/v3/video-translations/proofreads/p/generate",
        "/v3/lipsyncs",
        "/v3/lipsyncs/batches",
        "/v3/voices/speech",
        "/v3/voices/clone",
        "/v3/voices",
        "/v3/avatars",
        "/v3/avatar-realtime",
        "/v3/ai-clipping",
        "/v3/background-removals",
    ];

    const KEYS: &[&str] = &[
        "video_inputs",
        "voice",
        "character",
        "type",
        "input_text",
        "speed",
        "duration",
        "test",
        "dimension",
        "width",
        "height",
        "script",
        "audio_url",
        "voice_settings",
        "engine",
        "resolution",
        "videos",
        "lipsyncs",
        "video_translations",
        "output_languages",
        "output_language",
        "mode",
        "start_time",
        "end_time",
        "video",
        "audio",
        "prompt",
        "config",
        "duration_sec",
        "text",
        "use_avatar_iv_model",
        "scenes",
        "video_url",
        "srt",
        "input_audio",
    ];

    const WORDS: &[&str] = &[
        "text",
        "audio",
        "silence",
        "avatar",
        "image",
        "studio",
        "cinematic_avatar",
        "avatar_iii",
        "avatar_iv",
        "4k",
        "1080p",
        "fast",
        "quality",
        "speed",
        "precision",
        "photo",
        "video",
        "hello world <break time=\"1s\"/>",
        "中文",
    ];

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => proptest::sample::select(KEYS).prop_map(str::to_owned),
            1 => "[a-z_]{0,10}",
        ]
    }

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            (-1e12f64..1e12).prop_map(|f| json!(f)),
            proptest::sample::select(WORDS).prop_map(|s| json!(s)),
            ".{0,40}".prop_map(Value::String),
        ]
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(5, 96, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((key(), inner), 0..8)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn check(plan: &PlanPolicy, path: &str, body: &[u8]) {
        let book = PriceBook::builtin();
        if let Ok(quote) = quote_request(&book, plan, &Method::POST, path, body) {
            assert!(quote.credits >= 0, "{path}");
            assert!(!quote.jobs.is_empty(), "{path}");
            // Paid work is never let through at zero.
            assert!(
                quote.credits > 0 || quote.settle == SettleMode::Free,
                "{path}"
            );
            assert_eq!(
                quote.credits,
                quote.jobs.iter().map(|j| j.credits).sum::<Micros>()
            );
            let b = match classify(&Method::POST, path).kind {
                RouteKind::Billable(b) => b,
                other => panic!("{path}: {other:?}"),
            };
            let _ = jobs_from_response(&b, &quote, body);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn never_panics_on_arbitrary_json(path in proptest::sample::select(BILLABLE_PATHS), body in arb_json(), ent in any::<bool>()) {
            let bytes = serde_json::to_vec(&body).expect("json");
            check(if ent { &ENT } else { &PAYG }, path, &bytes);
        }

        #[test]
        fn never_panics_on_arbitrary_bytes(path in proptest::sample::select(BILLABLE_PATHS), body in prop::collection::vec(any::<u8>(), 0..256)) {
            check(&PAYG, path, &body);
            let _ = parse_webhook(&body);
            let _ = status_outcome(&StatusRead::V1VideoStatus, path, Some("video_id=x"), &body);
        }

        #[test]
        fn classify_is_total(method in "[A-Z]{1,8}", path in "(/[A-Za-z0-9._~%-]{0,12}){0,6}/?") {
            let m = Method::from_bytes(method.as_bytes()).expect("token");
            let route = classify(&m, &path);
            let unknown = matches!(route.kind, RouteKind::UnknownRead | RouteKind::UnknownWrite);
            prop_assert_eq!(unknown, route.template.starts_with("unknown_"));
        }

        #[test]
        fn projection_is_monotone_in_script_length(
            tokens in prop::collection::vec(prop_oneof![
                "[a-zA-Z]{1,8}",
                "[\u{4e00}-\u{4e20}]{1,3}",
                (0u32..3000).prop_map(|ms| format!("<break time=\"{ms}ms\"/>")),
                Just(",".to_owned()),
            ], 0..200),
            cut in 0usize..200,
            speed in 0.5f64..1.5,
        ) {
            let cut = cut.min(tokens.len());
            let body = |toks: &[String]| json!({"video_inputs": [{"voice": {"type": "text", "input_text": toks.join(" "), "speed": speed}}]});
            let short = try_quote(&ENT, "/v2/video/generate", &body(&tokens[..cut])).expect("short");
            let long = try_quote(&ENT, "/v2/video/generate", &body(&tokens)).expect("long");
            prop_assert!(short.projected_ms <= long.projected_ms);
            prop_assert!(short.credits <= long.credits);
            prop_assert!(short.credits > 0);
        }
    }
}

#[test]
fn bare_v2_video_status_body() {
    let body = br#"{"video_id":"v1","status":"completed","duration":5}"#;
    assert_eq!(
        status_outcome(&StatusRead::V2Video, "/v2/videos/v1", None, body),
        Some((
            "v1".into(),
            JobOutcome::Completed {
                duration_ms: Some(5_000)
            }
        ))
    );
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
