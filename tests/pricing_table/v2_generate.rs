//! `POST /v2/video/generate`: text, silence, audio and multi-scene inputs,
//! speed, breaks and CJK, Avatar IV scenes, test videos, and the dimension,
//! length and parameter policies.

use super::*;

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
