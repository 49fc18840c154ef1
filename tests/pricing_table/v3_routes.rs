//! v3 routes other than videos and batches: templates, agents,
//! translations, lipsyncs, speech, avatars, realtime streams, clipping and
//! background removal.

use super::*;

#[test]
fn v3_other_routes() {
    let tr = json!({"video": {"type": "url", "url": "u"}, "output_languages": ["es", "fr"],
                    "mode": "speed", "start_time": 0, "end_time": 95.5});
    let table: Vec<(&str, Value, &str, Micros, SettleMode)> = vec![
        (
            "/v3/templates/t1",
            json!({"variables": {}}),
            "template",
            // Not read: the plan's longest job, 1800 s at 1/min.
            30_000_000,
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
        // 95.5 s → 96 s (per second) at 3/min, two languages.
        (
            "/v3/video-translations",
            tr,
            "translation_fast",
            9_600_000,
            SettleMode::PerJob,
        ),
        (
            "/v3/video-translations",
            json!({"video": {"type": "url", "url": "u"}, "output_language": "es", "mode": "precision", "end_time": 30}),
            "translation_quality",
            3_000_000,
            SettleMode::PerJob,
        ),
        // Audio-only at the fast mode: its own feature, 3/min by default.
        (
            "/v3/video-translations",
            json!({"video": {"type": "url", "url": "u"}, "output_language": "es",
                   "translate_audio_only": true, "end_time": 30}),
            "translation_audio_only",
            1_500_000,
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
        // Realtime session: the first minute at 3/min (metering holds the rest).
        (
            "/v3/avatar-realtime",
            json!({"type": "tts"}),
            "avatar_realtime",
            3_000_000,
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
