//! Properties: the projection never decreases when a word, scene, contact,
//! language or batch item is added (so no padding trick lowers a price).

use super::*;
use proptest::prelude::*;

/// Script tokens, including what the hardened projection verbalises and
/// the SSML it honours.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z]{1,8}",
        "[A-Z]{2,5}",
        "[\u{4e00}-\u{4e20}]{1,3}",
        "[0-9]{1,15}",
        "[0-9]{1,3}(,[0-9]{3}){0,3}(\\.[0-9]{1,3})?",
        proptest::sample::select(vec![
            "%", "&", "+", "@", "#", "$", "€", "°", "±", "😀", "etc.", "—", ","
        ])
        .prop_map(str::to_owned),
        (0u32..3000).prop_map(|ms| format!("<break time=\"{ms}ms\"/>")),
        proptest::sample::select(vec!["weak", "strong", "x-strong", "none"])
            .prop_map(|s| format!("<break strength=\"{s}\"/>")),
        proptest::sample::select(vec![
            "x-slow", "slow", "fast", "x-fast", "50%", "+20%", "-30%"
        ])
        .prop_map(|r| format!("<prosody rate=\"{r}\">")),
        Just("</prosody>".to_owned()),
        proptest::sample::select(vec!["characters", "digits", "date", "cardinal"])
            .prop_map(|k| format!("<say-as interpret-as=\"{k}\">")),
        Just("</say-as>".to_owned()),
    ]
}

fn scene() -> impl Strategy<Value = Value> {
    let src = json!({"type": "url", "url": "u"});
    prop_oneof![
        prop::collection::vec(token(), 1..30).prop_map(|t| json!({"type": "avatar_video",
            "input": {"type": "avatar", "avatar_id": "a", "script": t.join(" ")}})),
        (1u32..300).prop_map(move |d| json!({"type": "image", "source": src, "duration": d})),
        Just(json!({"type": "video", "source": {"type": "url", "url": "u"}})),
        Just(
            json!({"type": "avatar_video", "input": {"type": "avatar", "avatar_id": "a",
            "audio_url": "u", "engine": {"type": "avatar_iii"}}})
        ),
    ]
}

fn quoted(path: &str, body: &Value) -> Quote {
    try_quote(&ENT, path, body).unwrap_or_else(|e| panic!("{path}: {e} for {body}"))
}

fn no_less(short: &Quote, long: &Quote) -> Result<(), TestCaseError> {
    prop_assert!(
        short.projected_ms <= long.projected_ms,
        "{} > {}",
        short.projected_ms,
        long.projected_ms
    );
    prop_assert!(
        short.credits <= long.credits,
        "{} > {}",
        short.credits,
        long.credits
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn adding_a_word_never_lowers_the_projection(
        tokens in prop::collection::vec(token(), 1..120),
        cut in 0usize..120,
        speed in 0.5f64..1.5,
    ) {
        let cut = cut.min(tokens.len());
        let body = |t: &[String]| json!({"type": "avatar", "avatar_id": "a",
            "script": t.join(" "), "voice_settings": {"speed": speed}});
        no_less(&quoted("/v3/videos", &body(&tokens[..cut])), &quoted("/v3/videos", &body(&tokens)))?;
        let v2 = |t: &[String]| json!({"video_inputs": [{"voice": {"type": "text",
            "input_text": t.join(" "), "speed": speed}}]});
        no_less(&quoted("/v2/video/generate", &v2(&tokens[..cut])), &quoted("/v2/video/generate", &v2(&tokens)))?;
    }

    #[test]
    fn adding_a_scene_never_lowers_the_projection(
        scenes in prop::collection::vec(scene(), 2..12),
        cut in 1usize..12,
    ) {
        let cut = cut.min(scenes.len());
        let body = |s: &[Value]| json!({"type": "studio", "scenes": s});
        no_less(&quoted("/v3/videos", &body(&scenes[..cut])), &quoted("/v3/videos", &body(&scenes)))?;
        // The same scenes as batch items: adding an item adds a job.
        let batch = |s: &[Value]| json!({"videos": s.iter().map(|x| body(std::slice::from_ref(x))).collect::<Vec<_>>()});
        no_less(&quoted("/v3/videos/batches", &batch(&scenes[..cut])), &quoted("/v3/videos/batches", &batch(&scenes)))?;
    }

    #[test]
    fn adding_a_contact_or_language_never_lowers_the_projection(
        n in 1usize..40,
        extra in 1usize..5,
        end in proptest::option::of(1u32..3600),
        precision in any::<bool>(),
    ) {
        let contacts = |k: usize| json!({"project_id": "p",
            "variables_list": (0..k).map(|i| json!({"name": i})).collect::<Vec<_>>()});
        let path = "/v1/personalized_video/add_contact";
        no_less(&quoted(path, &contacts(n)), &quoted(path, &contacts(n + extra)))?;
        let mode = if precision { "precision" } else { "speed" };
        let tr = |k: usize| {
            let mut b = json!({"video": {"type": "url", "url": "u"}, "mode": mode,
                "output_languages": (0..k).map(|i| format!("l{i}")).collect::<Vec<_>>()});
            if let Some(e) = end { b["end_time"] = json!(e); }
            b
        };
        let short = quoted("/v3/video-translations", &tr(n));
        let long = quoted("/v3/video-translations", &tr(n + extra));
        no_less(&short, &long)?;
        prop_assert_eq!(long.jobs.len(), n + extra);
        let pr = "/v3/video-translations/proofreads";
        no_less(&quoted(pr, &tr(n)), &quoted(pr, &tr(n + extra)))?;
    }
}
