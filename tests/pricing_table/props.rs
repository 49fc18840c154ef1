//! Properties: no panics on arbitrary input, classify total, projection monotone.

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
    "/v3/hyperframes/renders",
];

const KEYS: &[&str] = &[
    "video_inputs",
    "variables_list",
    "scenes",
    "input",
    "fps",
    "project",
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
