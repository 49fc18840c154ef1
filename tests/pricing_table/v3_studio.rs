//! `POST /v3/videos` of every type in HeyGen's current schema, priced scene
//! by scene (source: heygen-cli `gen/video.go`, CreateVideoFromStudio).

use super::*;

fn studio(scenes: Value) -> Value {
    json!({"type": "studio", "scenes": scenes})
}

fn avatar_input(extra: Value) -> Value {
    let mut input = json!({"type": "avatar", "avatar_id": "a", "voice_id": "v"});
    if let (Some(i), Some(e)) = (input.as_object_mut(), extra.as_object()) {
        i.extend(e.clone());
    }
    json!({"type": "avatar_video", "input": input})
}

/// Scenes, the video's feature, and each scene's (projected ms, basis).
type StudioCase = (Value, &'static str, Vec<(u64, &'static str)>);

#[test]
fn studio_scenes_are_priced_one_by_one() {
    let image_silent =
        json!({"type": "image", "source": {"type": "url", "url": "u"}, "duration": 12});
    let image_narrated =
        json!({"type": "image", "source": {"type": "url", "url": "u"}, "script": words150()});
    let clip = json!({"type": "video", "source": {"type": "url", "url": "u"}});
    let photo = json!({"type": "avatar_video", "input": {"type": "image",
        "image": {"type": "url", "url": "u"}, "audio_url": "https://x/a.mp3"}});
    // (scenes, feature of the video, per-scene (ms, basis))
    let table: Vec<StudioCase> = vec![
        (
            json!([avatar_input(json!({"script": words150()}))]),
            "avatar_iv",
            vec![(66_000, "text")],
        ),
        (
            json!([avatar_input(
                json!({"script": words150(), "engine": {"type": "avatar_iii"}})
            )]),
            "standard_avatar",
            vec![(66_000, "text")],
        ),
        (
            json!([image_silent]),
            "avatar_iv",
            vec![(12_000, "duration")],
        ),
        (json!([image_narrated]), "avatar_iv", vec![(66_000, "text")]),
        (
            json!([clip]),
            "avatar_iv",
            vec![(300_000, "source_default")],
        ),
        (
            json!([photo]),
            "avatar_iv",
            vec![(180_000, "audio_default")],
        ),
        // Mixed: one video at the costliest scene rate, lengths summed.
        (
            json!([
                avatar_input(json!({"script": words150(), "engine": {"type": "avatar_iii"}})),
                {"type": "image", "source": {"type": "url", "url": "u"}, "duration": 4.5},
                {"type": "video", "source": {"type": "asset_id", "asset_id": "x"}}
            ]),
            "avatar_iv",
            vec![
                (66_000, "text"),
                (4_500, "duration"),
                (300_000, "source_default"),
            ],
        ),
    ];
    for (scenes, feature, want) in table {
        let quote = q("/v3/videos", studio(scenes.clone()));
        assert_eq!(quote.feature, feature, "{scenes}");
        assert_eq!(quote.jobs.len(), 1);
        let got: Vec<(u64, &str)> = quote
            .scenes
            .iter()
            .map(|s| (s.projected_ms, s.basis))
            .collect();
        assert_eq!(got, want, "{scenes}");
        let total: u64 = want.iter().map(|w| w.0).sum();
        assert_eq!(quote.projected_ms, total);
    }
}

#[test]
fn studio_shapes_are_refused_naming_the_field() {
    let src = json!({"type": "url", "url": "u"});
    // (scenes, field the message names)
    let table: Vec<(Value, &str)> = vec![
        (json!([]), "scenes:"),
        (
            json!((0..51)
                .map(|_| json!({"type": "video", "source": src}))
                .collect::<Vec<_>>()),
            "scenes:",
        ),
        (
            json!([{"type": "image", "source": src}]),
            "scenes[0].duration:",
        ),
        (
            json!([{"type": "image", "source": src, "duration": 0}]),
            "scenes[0].duration:",
        ),
        (
            json!([{"type": "image", "source": src, "duration": 301}]),
            "scenes[0].duration:",
        ),
        (json!([{"type": "video"}]), "scenes[0].source:"),
        (json!([{"type": "hologram"}]), "scenes[0].type:"),
        (
            json!([{"type": "avatar_video", "input": {"type": "puppet"}}]),
            "scenes[0].input.type:",
        ),
        (
            json!([{"type": "avatar_video", "input": {"type": "avatar", "avatar_id": "a"}}]),
            "scenes[0].input.script:",
        ),
        (
            json!([avatar_input(
                json!({"script": "hi", "voice_settings": {"speed": 3}})
            )]),
            "scenes[0].input.voice_settings.speed:",
        ),
        (json!(["scene"]), "scenes[0]:"),
    ];
    for (scenes, key) in table {
        let err = try_quote(&PAYG, "/v3/videos", &studio(scenes.clone())).expect_err("refused");
        assert_eq!(
            (err.status(), err.code()),
            (400, "invalid_parameter"),
            "{scenes}"
        );
        assert!(
            err.message().starts_with(key),
            "{scenes}: {}",
            err.message()
        );
    }
    // A studio body with neither scenes nor a script names `scenes`.
    let err = try_quote(&PAYG, "/v3/videos", &json!({"type": "studio"})).expect_err("refused");
    assert!(err.message().starts_with("scenes:"), "{}", err.message());
}

#[test]
fn silent_image_with_audio_prices_the_longer_and_long_studios_hit_the_plan_limit() {
    let both = json!([{"type": "image", "source": {"type": "url", "url": "u"},
        "duration": 10, "audio_url": "https://x/a.mp3"}]);
    assert_eq!(q("/v3/videos", studio(both)).projected_ms, 180_000);
    // Seven unknown-length clips (7 × 300 s) pass 30 minutes.
    let clips: Vec<Value> = (0..7)
        .map(|_| json!({"type": "video", "source": {"type": "url", "url": "u"}}))
        .collect();
    assert_eq!(
        refused(&PAYG, "/v3/videos", studio(json!(clips))),
        (400, "video_too_long")
    );
    // Batches price each item's scenes the same way.
    let batch = json!({"videos": [
        studio(json!([{"type": "image", "source": {"type": "url", "url": "u"}, "duration": 20}])),
        {"type": "avatar", "avatar_id": "a", "script": words150()}
    ]});
    let quote = q("/v3/videos/batches", batch);
    assert_eq!(quote.jobs.len(), 2);
    assert_eq!(quote.jobs[0].projected_ms, 20_000);
}
