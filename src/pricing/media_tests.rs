//! Which media a body names, and pricing at probed and recorded lengths.

mod urls {
    use super::super::*;

    #[test]
    fn finds_the_urls_that_decide_a_price() {
        let body = serde_json::json!({
            "video_inputs": [
                {"voice": {"type": "audio", "audio_url": "https://x/a.mp3"}},
                {"voice": {"type": "text", "input_text": "hi"}},
            ],
            "video": {"type": "url", "url": "https://x/src.mp4"},
            "audio": {"type": "asset_id", "asset_id": "a1"},
            "callback_url": "https://x/hook",
            "video_url": "ftp://nope",
        });
        assert_eq!(
            urls(body.to_string().as_bytes()),
            ["https://x/a.mp3", "https://x/src.mp4"]
        );
        assert!(urls(b"not json").is_empty());
        let many: Vec<Value> = (0..20)
            .map(|i| serde_json::json!({"audio_url": format!("https://x/{i}.mp3")}))
            .collect();
        assert_eq!(
            urls(Value::Array(many).to_string().as_bytes()).len(),
            MAX_PROBED_URLS
        );
    }
}

mod assets {
    use super::super::*;

    #[test]
    fn finds_the_asset_ids_that_decide_a_price() {
        let body = serde_json::json!({
            "video_inputs": [
                {"voice": {"type": "audio", "audio_asset_id": "a2"}},
                {"background": {"type": "video", "video_asset_id": "bg"}},
            ],
            "audio": {"type": "asset_id", "asset_id": "a1"},
            "video": {"type": "url", "url": "https://x/v.mp4"},
            "audio_asset_id": "",
        });
        assert_eq!(asset_ids(body.to_string().as_bytes()), ["a1", "a2"]);
        assert!(asset_ids(br#"{"audio_url": "https://x/a.mp3"}"#).is_empty());
        let many: Vec<Value> = (0..100)
            .map(|i| serde_json::json!({"audio_asset_id": format!("a{i:03}")}))
            .collect();
        assert_eq!(
            asset_ids(Value::Array(many).to_string().as_bytes()).len(),
            MAX_RECORDED_ASSETS
        );
    }

    #[test]
    fn a_key_finds_its_length_and_basis() {
        let mut m = MediaLengths::new();
        m.insert("https://x/a.mp3".into(), 1_000);
        m.insert_recorded("a1".into(), 7_300);
        assert_eq!(
            m.length(MediaKey::Url("https://x/a.mp3")),
            Some((1_000, "probed"))
        );
        assert_eq!(m.length(MediaKey::Asset("a1")), Some((7_300, "recorded")));
        // An asset id is not a URL, nor the other way round.
        assert_eq!(m.length(MediaKey::Url("a1")), None);
        assert_eq!(m.length(MediaKey::Asset("https://x/a.mp3")), None);
        let v = serde_json::json!({"type": "asset_id", "asset_id": "a1"});
        assert_eq!(url_of(Some(&v)), Some(MediaKey::Asset("a1")));
        assert_eq!(
            asset_of(Some(&Value::from("a1"))),
            Some(MediaKey::Asset("a1"))
        );
    }
}

mod quotes {
    use super::super::*;
    use crate::catalog::Billable;
    use crate::pricing::{quote, quote_with_media, PlanPolicy, PriceBook, TestMode, Tier};

    #[test]
    fn a_probed_length_replaces_the_default_and_says_so() {
        let plan = PlanPolicy {
            tier: Tier::PayAsYouGo,
            max_video_seconds: 1800,
            test_mode: TestMode::Billed,
        };
        let book = PriceBook::builtin();
        let body = serde_json::json!({"video_inputs": [
            {"voice": {"type": "audio", "audio_url": "https://x/a.mp3"}},
            {"voice": {"type": "silence", "duration": 2.0}},
        ]})
        .to_string();
        let plain = quote(&book, &plan, &Billable::StudioVideo, body.as_bytes()).unwrap();
        assert_eq!(plain.scenes[0].basis, "audio_default");
        let mut media = MediaLengths::new();
        media.insert("https://x/a.mp3".into(), 7_300);
        let q = quote_with_media(
            &book,
            &plan,
            &Billable::StudioVideo,
            body.as_bytes(),
            &media,
        )
        .unwrap();
        assert_eq!(
            (q.scenes[0].basis, q.scenes[0].projected_ms),
            ("probed", 7_300)
        );
        assert!(q.credits < plain.credits);
        // An uploaded asset's recorded length, in v2 and v3 bodies.
        let mut media = media.clone();
        media.insert_recorded("as1".into(), 7_300);
        let v2 = serde_json::json!({"video_inputs": [
            {"voice": {"type": "audio", "audio_asset_id": "as1"}},
        ]})
        .to_string();
        let q =
            quote_with_media(&book, &plan, &Billable::StudioVideo, v2.as_bytes(), &media).unwrap();
        assert_eq!(
            (q.scenes[0].basis, q.scenes[0].projected_ms),
            ("recorded", 7_300)
        );
        let v3 = serde_json::json!({"type": "avatar", "avatar_id": "a", "voice_id": "v",
            "audio_asset_id": "as1"})
        .to_string();
        let q = quote_with_media(&book, &plan, &Billable::V3Video, v3.as_bytes(), &media).unwrap();
        assert_eq!(q.scenes[0].basis, "recorded");
        let unknown = v3.replace("as1", "as2");
        let q =
            quote_with_media(&book, &plan, &Billable::V3Video, unknown.as_bytes(), &media).unwrap();
        assert_eq!(q.scenes[0].basis, "audio_default");
        // A script longer than its audio still wins (the longer of the two).
        let both = serde_json::json!({"type": "avatar", "avatar_id": "a", "voice_id": "v",
            "audio_url": "https://x/a.mp3", "script": "word ".repeat(200)})
        .to_string();
        let q =
            quote_with_media(&book, &plan, &Billable::V3Video, both.as_bytes(), &media).unwrap();
        assert_eq!(q.scenes[0].basis, "text");
    }
    /// A v2 proofread (captured on 2xx, never corrected) and a v3
    /// translation naming its source as `video_url` are priced at the
    /// probed source, not at the 300 s default.
    #[test]
    fn proofreads_and_v3_video_url_translations_use_the_probed_source() {
        let plan = PlanPolicy {
            tier: Tier::Enterprise,
            max_video_seconds: 1800,
            test_mode: TestMode::Billed,
        };
        let book = PriceBook::builtin();
        let mut media = MediaLengths::new();
        media.insert("https://x/src.mp4".into(), 1_200_000);
        let proofread = serde_json::json!({"video_url": "https://x/src.mp4",
            "output_language": "French"})
        .to_string();
        let q = quote_with_media(
            &book,
            &plan,
            &Billable::V2ProofreadCreate,
            proofread.as_bytes(),
            &media,
        )
        .unwrap();
        assert_eq!(q.jobs[0].projected_ms, 1_200_000, "{q:?}");
        let v3 = serde_json::json!({"video_url": "https://x/src.mp4",
            "output_languages": ["es"]})
        .to_string();
        let q = quote_with_media(
            &book,
            &plan,
            &Billable::V3Translation,
            v3.as_bytes(),
            &media,
        )
        .unwrap();
        assert_eq!(q.jobs[0].projected_ms, 1_200_000, "{q:?}");
    }
}
