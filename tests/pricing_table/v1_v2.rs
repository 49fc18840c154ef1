//! The other v1/v2 routes priced row by row, and the routes only the
//! enterprise plan may use.

use super::*;

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
