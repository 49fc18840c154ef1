//! The hardened text projection through real routes: adversarial scripts,
//! SSML, speed limits, script + audio, and the plan-length rule.

use super::v3::v3_avatar;
use super::*;

#[test]
fn adversarial_scripts_are_priced_at_their_spoken_length() {
    // (script, minimum projected minutes): each would be ~1 word per token
    // if symbols and digit runs were read as single words.
    let table: Vec<(String, u64)> = vec![
        ("% ".repeat(2500), 17),
        ("999999999999 ".repeat(380), 45),
        (
            format!(
                "<prosody rate=\"x-slow\">{}</prosody>",
                "word ".repeat(1000)
            ),
            14,
        ),
        (
            format!("<break{}time=\"20s\"/>", " ".repeat(300)).repeat(60),
            20,
        ),
    ];
    for (script, minutes) in table {
        let quote = try_quote(
            &ENT,
            "/v3/voices/speech",
            &json!({"text": script, "voice_id": "v"}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            quote.projected_ms >= minutes * 60_000,
            "{} ms < {minutes} min for {:.40}",
            quote.projected_ms,
            script
        );
    }
}

#[test]
fn plan_length_uses_the_hardened_projection() {
    // 2500 × "%" is 18.3 min: fine under 30 min; twice that is refused.
    let ok = q(
        "/v3/videos",
        v3_avatar(json!({"script": "% ".repeat(2500)})),
    );
    assert_eq!(ok.projected_ms, 1_100_000);
    // Per-second v3 billing: 1100 s at 6 credits/min = 110 credits.
    assert_eq!(ok.credits, 110_000_000);
    assert_eq!(
        refused(
            &PAYG,
            "/v3/videos",
            v3_avatar(json!({"script": "% ".repeat(5000)}))
        ),
        (400, "video_too_long")
    );
    // 380 twelve-digit numbers: 52.9 min, refused under the 30-min rule.
    assert_eq!(
        refused(
            &PAYG,
            "/v2/video/generate",
            json!({"video_inputs": [text_scene(&"999999999999 ".repeat(380))]})
        ),
        (400, "video_too_long")
    );
    // Padded breaks add up past 30 min.
    let padded = format!("<break{}time=\"60s\"/>", " ".repeat(400)).repeat(31);
    assert_eq!(
        refused(&PAYG, "/v3/videos", v3_avatar(json!({"script": padded}))),
        (400, "video_too_long")
    );
}

#[test]
fn speed_outside_heygen_range_is_refused_naming_the_field() {
    for speed in [0.4, 1.6, 2.0] {
        let body = v3_avatar(json!({"voice_settings": {"speed": speed}}));
        let err = try_quote(&PAYG, "/v3/videos", &body).expect_err("out of range");
        assert_eq!((err.status(), err.code()), (400, "invalid_parameter"));
        assert!(
            err.message().starts_with("voice_settings.speed:"),
            "{}",
            err.message()
        );
    }
    let mut scene = text_scene("hello");
    scene["voice"]["speed"] = json!(0.3);
    let err = try_quote(
        &PAYG,
        "/v2/video/generate",
        &json!({"video_inputs": [scene]}),
    )
    .expect_err("out of range");
    assert!(
        err.message().starts_with("video_inputs[0].voice.speed:"),
        "{}",
        err.message()
    );
    // The bounds themselves are accepted; Starfish TTS goes up to 2.0.
    for speed in [0.5, 1.5] {
        q(
            "/v3/videos",
            v3_avatar(json!({"voice_settings": {"speed": speed}})),
        );
    }
    q("/v3/voices/speech", json!({"text": "hi", "speed": 2.0}));
    assert_eq!(
        refused(
            &PAYG,
            "/v3/voices/speech",
            json!({"text": "hi", "speed": 2.1})
        ),
        (400, "invalid_parameter")
    );
}

#[test]
fn script_and_audio_together_price_the_longer() {
    // Short script + audio: the 180 s audio default wins.
    let short = q(
        "/v3/videos",
        v3_avatar(json!({"script": "hi", "audio_url": "https://x/a.mp3"})),
    );
    assert_eq!(
        (short.projected_ms, short.scenes[0].basis),
        (180_000, "audio_default")
    );
    // A script longer than the audio default wins over it.
    let long = q(
        "/v3/videos",
        v3_avatar(json!({"script": "word ".repeat(600), "audio_url": "https://x/a.mp3"})),
    );
    assert_eq!((long.projected_ms, long.scenes[0].basis), (264_000, "text"));
}
