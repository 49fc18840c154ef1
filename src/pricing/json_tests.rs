//! The fast parser ([`super::json_fast`]) against the serde one
//! ([`super::strict`]): wherever the fast one answers, both build the same
//! tree; refused keys and malformed bodies are always left to serde.

use proptest::prelude::*;

use super::{json_fast, strict};

/// JSON texts from a small grammar with the cases that matter: keys that
/// repeat or differ by case (also inside free-form maps), escapes, numbers
/// of every form, whitespace, nesting.
fn doc(depth: u32) -> BoxedStrategy<String> {
    let key = prop::sample::select(vec![
        "type",
        "Type",
        "TYPE",
        "voice",
        "input_text",
        "Input_Text",
        "variables",
        "metadata",
        "name",
        "Name",
        "x",
        "k\\u0065y",
        "\\u0074ype",
        "é",
        "É",
        "\u{212A}",
    ]);
    let string = prop::sample::select(vec![
        "",
        "plain",
        "with \\\"quote\\\"",
        "tab\\t",
        "\\u00e9",
        "\\uD83D\\uDE00",
        "\\uD800",
        "\\uDC00x",
        "\\/",
        "\\x",
        "你好",
        "\\u0000",
        "a\\\\b",
    ])
    .prop_map(|s| format!("\"{s}\""));
    let number = prop::sample::select(vec![
        "0",
        "7",
        "1.1",
        "2.50",
        "-3",
        "-0",
        "1e3",
        "1E-2",
        "01",
        "1.",
        ".5",
        "123456789012345",
        "1234567890123456",
        "99999999999999999999",
        "0.000001",
        "1e400",
        "-",
    ])
    .prop_map(str::to_owned);
    let leaf = prop_oneof![
        string,
        number,
        prop::sample::select(vec!["true", "false", "null", "nul", "tru"]).prop_map(str::to_owned),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let ws = prop::sample::select(vec!["", " ", "\n", "\t", "\r\n  "]);
    let inner = doc(depth - 1);
    prop_oneof![
        2 => leaf,
        2 => prop::collection::vec((key, ws.clone(), inner.clone()), 0..5).prop_map(|kv| {
            let body: Vec<String> =
                kv.into_iter().map(|(k, w, v)| format!("{w}\"{k}\"{w}:{w}{v}")).collect();
            format!("{{{}}}", body.join(","))
        }),
        1 => prop::collection::vec((ws, inner), 0..4).prop_map(|items| {
            let body: Vec<String> = items.into_iter().map(|(w, v)| format!("{w}{v}")).collect();
            format!("[{}]", body.join(","))
        }),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn fast_parse_agrees_with_serde(text in doc(3), cut in any::<prop::sample::Index>()) {
        let a = bumpalo::Bump::new();
        for body in [text.as_bytes(), &text.as_bytes()[..cut.index(text.len() + 1)]] {
            if let Some(v) = json_fast::parse(body, &a) {
                prop_assert_eq!(Ok(v), strict::parse(body, &a), "{:?}", String::from_utf8_lossy(body));
            }
        }
    }
}

#[test]
fn ordinary_bodies_take_the_fast_path() {
    let a = bumpalo::Bump::new();
    let body = br#"{"video_inputs": [{"character": {"type": "avatar"},
        "voice": {"type": "text", "input_text": "Hi <break time=\"1s\"/> \u00e9", "speed": 1.1}}],
        "dimension": {"width": 1920, "height": 1080}, "test": false, "variables": {"a": 1, "A": 2}}"#;
    let fast = json_fast::parse(body, &a);
    assert!(fast.is_some());
    assert_eq!(fast.ok_or(()), strict::parse(body, &a).map_err(|_| ()));
    for refused in [
        &br#"{"a": 1, "a": 2}"#[..],
        br#"{"test": 1, "TEST": 2}"#,
        br#"{"Voice": 1}"#,
    ] {
        assert!(json_fast::parse(refused, &a).is_none());
        assert!(strict::parse(refused, &a).is_err());
    }
}

/// Raw control bytes inside strings (before or after an escape, in long
/// strings the vector search spans) are left to serde, which refuses them;
/// a map past the scanned size still refuses duplicates and case twins.
#[test]
fn control_bytes_and_big_maps_agree_with_serde() {
    let a = bumpalo::Bump::new();
    let long = "x".repeat(70);
    for refused in [
        format!("{{\"a\": \"{long}\u{1}{long}\"}}"),
        format!("{{\"a\": \"{long}\\n{long}\u{1f}\"}}"),
        format!("{{\"a\": \"{long}"),
    ] {
        assert!(
            json_fast::parse(refused.as_bytes(), &a).is_none(),
            "{refused:?}"
        );
        assert!(
            strict::parse(refused.as_bytes(), &a).is_err(),
            "{refused:?}"
        );
    }
    let escaped = format!("{{\"a\": \"{long}\\\"{long}\"}}");
    let fast = json_fast::parse(escaped.as_bytes(), &a).ok_or(());
    assert_eq!(fast, strict::parse(escaped.as_bytes(), &a).map_err(|_| ()));
    assert!(fast.is_ok());
    let keys: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
    let fine = format!("{{{}}}", keys.join(", "));
    assert!(json_fast::parse(fine.as_bytes(), &a).is_some());
    for extra in ["\"k3\": 0", "\"K35\": 0", "\"VOICE\": 0"] {
        let body = format!("{{{}, {extra}}}", keys.join(", "));
        assert!(json_fast::parse(body.as_bytes(), &a).is_none(), "{body}");
        assert!(strict::parse(body.as_bytes(), &a).is_err(), "{body}");
    }
}

/// A string is unescaped straight into the arena at its raw length: every
/// escape form (one that shrinks most, a surrogate pair, sits at the very
/// end, or follows a long plain stretch) reads as serde reads it, and a
/// string cut inside an escape or before its closing quote is left to
/// serde, which refuses it.
#[test]
fn escaped_strings_are_unescaped_in_place_as_serde_reads_them() {
    let a = bumpalo::Bump::new();
    let long = "word ".repeat(20);
    for s in [
        r#"\"\\\/\b\f\n\r\t"#.to_owned(),
        r"\uD83D\uDE00\uD83D\uDE00".to_owned(),
        r"\u00e9\u4f60\u0041".to_owned(),
        format!(r#"{long}<break time=\"1s\"/>{long}"#),
        format!(r"{long}\n"),
        format!(r"\t{long}"),
    ] {
        let body = format!(r#"{{"input_text": "{s}", "after": "x"}}"#);
        let fast = json_fast::parse(body.as_bytes(), &a).ok_or(());
        assert!(fast.is_ok(), "{body}");
        assert_eq!(fast, strict::parse(body.as_bytes(), &a).map_err(|_| ()));
    }
    for cut in [r#"{"a": "x\"#, r#"{"a": "x\u00"#, r#"{"a": "x\n"#] {
        assert!(json_fast::parse(cut.as_bytes(), &a).is_none(), "{cut}");
        assert!(strict::parse(cut.as_bytes(), &a).is_err(), "{cut}");
    }
}
