//! v3 routes: videos and batches, and the plan policy on v3 routes (the
//! other v3 routes' table is in `v3_routes.rs`).

use super::*;

// --- v3 ----------------------------------------------------------------------

pub(crate) fn v3_avatar(extra: Value) -> Value {
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
        // Default engine is Avatar IV: 66 s billed per second (v3) at 6/min.
        (v3_avatar(json!({})), "avatar_iv", 6_600_000),
        (
            v3_avatar(json!({"engine": {"type": "avatar_v"}, "resolution": "1080p"})),
            "avatar_iv",
            6_600_000,
        ),
        (
            v3_avatar(json!({"engine": {"type": "avatar_iii"}})),
            "standard_avatar",
            1_100_000,
        ),
        // speed 1.5: 44 s.
        (
            v3_avatar(json!({"voice_settings": {"speed": 1.5}})),
            "avatar_iv",
            4_400_000,
        ),
        // Audio instead of script: default 180 s.
        (
            json!({"type": "avatar", "avatar_id": "a", "audio_url": "https://x"}),
            "avatar_iv",
            18_000_000,
        ),
        (
            // An animated photo: Avatar IV's photo rate (6/min by default).
            json!({"type": "image", "image": {"type": "url", "url": "u"}, "script": words150()}),
            "photo_avatar_iv",
            6_600_000,
        ),
        (
            json!({"type": "cinematic_avatar", "prompt": "p", "duration": 8}),
            "cinematic_avatar",
            7_000_000,
        ),
        (
            json!({"type": "studio", "scenes": [{"script": words150()}, {"audio_url": "u"}]}),
            "avatar_iv",
            24_600_000,
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
    // 6.6 + 3 credits; feature = the one carrying most credits.
    let quote = q("/v3/videos/batches", videos);
    assert_eq!(
        (quote.jobs.len(), quote.credits, quote.feature.as_str()),
        (2, 9_600_000, "avatar_iv")
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
    // Translations: (2 languages × 96 s at 3/min, per second) + 1 × default 300 s.
    let trs = json!({"video_translations": [
        {"video": {"type": "url", "url": "u"}, "output_languages": ["es", "fr"], "start_time": 0, "end_time": 95.5},
        {"video": {"type": "url", "url": "u"}, "output_language": "de"}]});
    let quote = q("/v3/video-translations/batches", trs);
    assert_eq!((quote.jobs.len(), quote.credits), (3, 24_600_000));
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
    // 100 s per second at 0.5/min, rounded up to the micro-credit.
    assert_eq!(
        try_quote(&ENT, "/v3/video-translations/proofreads", &pr).map(|q| q.credits),
        Ok(833_334)
    );
    assert_eq!(
        try_quote(
            &ENT,
            "/v3/video-translations/proofreads/p1/generate",
            &json!({})
        )
        .map(|q| q.credits),
        Ok(30_000_000)
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
    // v3 Video Agent has no duration field: a `duration_sec` is not
    // HeyGen's, so neither 0 nor 1700 moves the 120 s default hold.
    for given in [0, 1700] {
        let agent =
            json!({"prompt": "p", "duration_sec": given, "config": {"duration_sec": given}});
        let quote = try_quote(&PAYG, "/v3/video-agents", &agent).expect("quote");
        assert_eq!(quote.credits, 4_000_000, "duration_sec {given}");
    }
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
