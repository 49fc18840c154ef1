//! Differential: the single-pass scanner counts exactly what the old
//! allocating one did (`text_reference`), on scripts built from words,
//! numbers, joiners, symbols, emoji, CJK, other scripts' digits and SSML
//! with random padding, attribute order and letter case.

use super::text::analyse;
use super::{ssml, ssml_reference, text_reference};
use proptest::prelude::*;

const PIECES: &[&str] = &[
    "word",
    "Hello",
    "FBI",
    "NASA",
    "I",
    "etc",
    "APPROX",
    "mph",
    "rpm",
    "don't",
    "it’s",
    "well-known",
    "a-",
    "-b",
    "1",
    "0",
    "007",
    "19",
    "2026",
    "999999999999",
    "1,000,000",
    "3.14",
    "1.2.3",
    "2026-12-03",
    "10km",
    "AB-1",
    "5'",
    "x'1",
    ",",
    ".",
    "-",
    "'",
    "’",
    "%",
    "&",
    "+",
    "@",
    "#",
    "=",
    "$",
    "€",
    "½",
    "≤",
    "±",
    "°",
    "😀",
    "⭐",
    "你好",
    "世",
    "カ",
    "한",
    "١٢٣",
    "９９",
    "३",
    "ไทย",
    "é",
    "Straße",
    "\u{212A}",
    "²",
    " ",
    "  ",
    "\t",
    "\n",
    "\u{A0}",
    "\u{0B}",
    "\u{3000}",
    "<",
    ">",
    "/",
    "\"",
    "<a",
    "<hello there>",
    "</prosody>",
    "</say-as>",
    "</speak>",
    "<p>",
    "<break/>",
    "<BREAK/>",
];

fn tag() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "break", "Break", "prosody", "PROSODY", "say-as", "Say-As", "speak", "emphasis", "sub",
        "w", "hello",
    ]);
    let attr = prop::sample::select(vec![
        "time=\"1s\"",
        "time='1.5S'",
        "TIME=2",
        "time=\"500ms\"",
        "time=\" 0.25 s \"",
        "time=junk",
        "time=\"99999999999.9999999s\"",
        "strength=\"weak\"",
        "STRENGTH='X-Strong'",
        "strength=none",
        "rate=\"x-slow\"",
        "rate='Fast'",
        "rate=\"50%\"",
        "rate=\"+20%\"",
        "rate=\"-50%\"",
        "rate=0.8",
        "rate=\"1.2345\"",
        "rate=\".5\"",
        "rate=\"%\"",
        "rate=\"10%\"",
        "interpret-as=\"digits\"",
        "interpret-as='Characters'",
        "interpret-as=telephone",
        "interpret-as=\"date\"",
        "pitch=\"high\"",
        "=x",
        "a",
        "/",
        "k = \"v\"",
        "é=\"ü\"",
        "time=\"1s",
    ]);
    let pad = prop::sample::select(vec!["", " ", "  ", "\t", "\u{A0}", "/", "\n ", "        "]);
    (
        any::<bool>(),
        name,
        prop::collection::vec((pad.clone(), attr), 0..4),
        pad,
        any::<bool>(),
    )
        .prop_map(|(closing, name, attrs, end, slash)| {
            let mut t = format!("<{}{name}", if closing { "/" } else { "" });
            for (pad, a) in attrs {
                t.push_str(if pad.is_empty() { " " } else { pad });
                t.push_str(a);
            }
            t.push_str(end);
            t.push_str(if slash { "/>" } else { ">" });
            t
        })
}

/// Words for the prose fast path: any length (chunk edges fall anywhere in
/// them), capitals, and the acronyms and abbreviations it must flag.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z]{1,9}",
        1 => "[A-Z][a-z]{0,8}",
        1 => "[A-Z]{1,7}",
        1 => "[a-zA-Z]{1,20}",
        1 => prop::sample::select(vec![
            "etc", "ETC", "Etc", "mph", "MPH", "kph", "rpm", "rPm", "approx", "APPROX", "Approx",
            "it", "at", "up", "stop", "its",
        ])
        .prop_map(str::to_owned),
    ]
}

/// Plain prose: words and the separators the fast path takes.
fn prose() -> impl Strategy<Value = String> {
    let sep = prop::sample::select(vec![
        " ", " ", " ", ", ", ". ", "! ", "\"", "\n", "\t", ".", ",",
    ]);
    // Up to ~200 bytes: across the fast path's 64-byte blocks.
    prop::collection::vec((word(), sep), 1..30)
        .prop_map(|v| v.into_iter().map(|(w, s)| w + s).collect())
}

fn script() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(PIECES).prop_map(str::to_owned),
        3 => prose(),
        1 => word(),
        1 => "<break time=\"[0-9]{1,8}(s|ms|S)\"/?>",
        1 => tag(),
        1 => "[0-9]{1,30}",
        1 => "[a-zA-Z0-9,.'’\\-%<>/ =\"é٣３你😀]{1,12}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn scanner_matches_the_reference(text in script()) {
        prop_assert_eq!(analyse(&text), text_reference::analyse(&text), "{:?}", text);
    }

    #[test]
    fn prose_is_taken_and_counted_as_before(text in prose()) {
        // Prose starts with a word and has a separator: the fast path takes
        // at least that.
        prop_assert!(super::text_plain::take(&text, 0).is_some(), "{:?}", text);
        prop_assert_eq!(analyse(&text), text_reference::analyse(&text), "{:?}", text);
    }

    #[test]
    fn tags_read_as_before(t in tag()) {
        let body = &t[1..t.len() - 1];
        prop_assert_eq!(ssml::parse(body), ssml_reference::parse(body));
        let after = &t.as_bytes()[1..];
        prop_assert_eq!(ssml::tag_len(after), ssml_reference::tag_len(after));
    }

    #[test]
    fn cardinals_match(digits in prop::collection::vec(0u8..12, 0..40)) {
        prop_assert_eq!(
            super::verbal::cardinal_words(&digits),
            text_reference::cardinal_words(&digits)
        );
    }
}
