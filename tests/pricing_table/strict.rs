//! Strict JSON on billable routes: duplicate keys at any depth and keys that
//! differ from a known field only by letter case are refused, naming the key.

use super::*;

fn raw(path: &str, body: &str) -> Result<Quote, PricingError> {
    quote_request(
        &PriceBook::builtin(),
        &PAYG,
        &Method::POST,
        path,
        body.as_bytes(),
    )
}

#[test]
fn duplicate_and_case_variant_keys_are_refused_naming_the_key() {
    let scene = r#"{"voice":{"type":"text","input_text":"hi"}}"#;
    // (path, body, the key the message must name)
    let table: Vec<(&str, String, &str)> = vec![
        (
            "/v2/video/generate",
            format!(r#"{{"test":true,"TEST":false,"video_inputs":[{scene}]}}"#),
            "TEST:",
        ),
        (
            "/v2/video/generate",
            format!(r#"{{"Video_Inputs":[{scene}],"video_inputs":[{scene}]}}"#),
            "Video_Inputs:",
        ),
        (
            "/v2/video/generate",
            format!(r#"{{"video_inputs":[{scene}],"video_inputs":[]}}"#),
            "video_inputs:",
        ),
        (
            "/v2/video/generate",
            r#"{"video_inputs":[{"voice":{"type":"text","input_text":"hi","input_text":"x"}}]}"#
                .to_owned(),
            "video_inputs[0].voice.input_text:",
        ),
        (
            "/v3/videos",
            r#"{"type":"avatar","avatar_id":"a","script":"hi","Script":"long"}"#.to_owned(),
            "Script:",
        ),
        (
            "/v3/videos",
            r#"{"type":"avatar","avatar_id":"a","script":"hi","voice_settings":{"Speed":0.5}}"#
                .to_owned(),
            "voice_settings.Speed:",
        ),
        (
            "/v3/videos/batches",
            r#"{"videos":[{"type":"avatar","avatar_id":"a","script":"a"},{"type":"avatar","type":"studio","avatar_id":"a","script":"b"}]}"#
                .to_owned(),
            "videos[1].type:",
        ),
        // Past 32 keys the case check switches to a hash map: same answer.
        (
            "/v3/videos",
            format!(
                r#"{{"type":"avatar","avatar_id":"a","script":"hi",{},"TITLE_7":1,"title_7":2}}"#,
                (0..40)
                    .map(|i| format!(r#""k{i}":{i}"#))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            "title_7:",
        ),
        (
            "/v2/video_translate",
            r#"{"video_url":"u","output_language":"fr","translate_audio_only":false,"Translate_Audio_Only":true}"#
                .to_owned(),
            "Translate_Audio_Only:",
        ),
        // Unicode lower-casing: KELVIN SIGN lowers to "k".
        (
            "/v3/videos",
            "{\"type\":\"avatar\",\"avatar_id\":\"a\",\"script\":\"hi\",\"ok\":1,\"o\u{212A}\":2}"
                .to_owned(),
            "o\u{212A}:",
        ),
    ];
    for (path, body, key) in table {
        let err = raw(path, &body).expect_err(&body);
        assert_eq!(
            (err.status(), err.code()),
            (400, "invalid_parameter"),
            "{body}"
        );
        assert!(err.message().starts_with(key), "{body}: {}", err.message());
    }
}

#[test]
fn caller_named_maps_and_clean_bodies_pass() {
    // Template variables are the caller's names: case variants are fine there.
    let body = r#"{"variables":{"Type":{"name":"Type"},"type":{"name":"type"}}}"#;
    assert!(raw("/v2/template/t1/generate", body).is_ok());
    // ...but an exact duplicate is still ambiguous.
    let dup = r#"{"variables":{"name":1,"name":2}}"#;
    let err = raw("/v2/template/t1/generate", dup).expect_err("dup");
    assert!(
        err.message().starts_with("variables.name:"),
        "{}",
        err.message()
    );
    // Unknown keys that match no known field are left to HeyGen.
    assert!(raw(
        "/v3/videos",
        r#"{"type":"avatar","avatar_id":"a","script":"hi","Title":"x","title":"y"}"#
    )
    .is_err());
    assert!(raw(
        "/v3/videos",
        r#"{"type":"avatar","avatar_id":"a","script":"hi","Xyz":1}"#
    )
    .is_ok());
    // Malformed JSON is still reported by position.
    let err = raw("/v3/videos", r#"{"type":"avatar",}"#).expect_err("malformed");
    assert!(
        err.message().contains("malformed JSON at line 1"),
        "{}",
        err.message()
    );
    let err = raw("/v3/videos", r#"{"type":"avatar"} x"#).expect_err("trailing");
    assert!(
        err.message().contains("malformed JSON"),
        "{}",
        err.message()
    );
}
