use super::book::*;
use super::features::{self, FEATURES};
use super::text::{analyse, script_ms, speech_ms, TextStats};
use super::*;

mod avatar_kind;

fn book() -> PriceBook {
    PriceBook::builtin()
}

#[test]
fn builtin_book_is_valid_and_complete() {
    let b = PriceBook::from_file(&FilePricing::default()).expect("builtin valid");
    assert_eq!(b.features().count(), FEATURES.len());
    assert_eq!(b.version(), features::DEFAULT_VERSION);
    let p = b.price(features::AVATAR_IV).expect("priced");
    assert_eq!(p.micros, 6_000_000);
    assert_eq!(p.increment_seconds, 30);
}

#[test]
fn text_counts_words_cjk_and_breaks() {
    assert_eq!(
        analyse("Hello, world! <break time=\"1.5s\"/> 你好 <break time='500ms'/> — ok"),
        TextStats {
            words: 3,
            letters: 12,
            cjk_chars: 2,
            breaks_ms: 2000,
            words_w: 3000,
            letters_w: 12_000,
            cjk_w: 2000,
        }
    );
    // Not tags: a lone `<`, a tag with no close, an over-long tag.
    assert_eq!(analyse("a < b").words, 2);
    // Not a tag: read as "break time equals two s".
    assert_eq!(analyse("<break time=\"2s\"").words, 5);
    assert_eq!(analyse("<break/>").breaks_ms, 1000);
    assert_eq!(analyse("<prosody rate=\"slow\">hi</prosody>").words, 1);
    assert_eq!(analyse("<break time=\"0.25s\"/>").breaks_ms, 250);
    assert_eq!(
        analyse("<break time=\"99999999999999s\"/>").breaks_ms,
        3_600_000
    );
    assert_eq!(analyse("").words, 0);
}

#[test]
fn unseparated_or_bracketed_text_is_not_projected_short() {
    // Punctuation ends words; apostrophes and hyphens do not.
    assert_eq!(analyse("one,two,three.four/five").words, 5);
    assert_eq!(analyse("don't well-known").words, 2);
    // Text in unknown `<…>` is read, only SSML tags are markup.
    assert_eq!(analyse("<hello there my friend>").words, 4);
    // No separators at all (Thai-like): the letter floor applies.
    let p = book().projection().clone();
    let glued = "a".repeat(8_000);
    assert_eq!(analyse(&glued).words, 1);
    let ms = speech_ms(&analyse(&glued), &p, 1000);
    assert_eq!(
        ms, 400_000,
        "8000 letters ÷ 8 per word = 1000 words at 150 wpm"
    );
}

#[test]
fn script_ms_applies_rate_speed_and_safety() {
    let p = book().projection().clone();
    let words = "word ".repeat(150);
    assert_eq!(script_ms(&words, &p, 1000), 66_000);
    assert_eq!(script_ms(&words, &p, 1500), 44_000);
    // 45 Hanzi at 4.5/s = 10 s, ×1.1.
    assert_eq!(script_ms(&"中".repeat(45), &p, 1000), 11_000);
}

#[test]
fn price_rounds_up_per_increment_with_minimum() {
    let p = Price {
        unit: Unit::PerMinute,
        micros: 1_000_000,
        increment_seconds: 30,
        increment_seconds_v3: 1,
        minimum_seconds: 0,
    };
    assert_eq!(p.cost(0), (30, 500_000));
    assert_eq!(p.cost(30_000), (30, 500_000));
    assert_eq!(p.cost(30_001), (60, 1_000_000));
    let s = Price {
        unit: Unit::PerMinute,
        micros: 200_000,
        increment_seconds: 1,
        increment_seconds_v3: 1,
        minimum_seconds: 30,
    };
    assert_eq!(s.cost(5_000), (30, 100_000));
    assert_eq!(s.cost(61_000), (61, 203_334));
}

fn errors(toml_text: &str) -> Vec<String> {
    let file: FilePricing = toml::from_str(toml_text).expect("parses");
    match PriceBook::from_file(&file) {
        Ok(_) => Vec::new(),
        Err(e) => e.into_iter().map(|e| e.key).collect(),
    }
}

#[test]
fn overrides_apply_and_keep_other_defaults() {
    let file: FilePricing = toml::from_str(
        "version = \"2026-03\"\n[features.avatar_iv]\ncredits_per_minute = 7.5\n\
         [projection]\nwords_per_minute = 130\nsafety_factor = 1.25\n",
    )
    .expect("parses");
    let b = PriceBook::from_file(&file).expect("valid");
    assert_eq!(b.version(), "2026-03");
    assert_eq!(b.price("avatar_iv").map(|p| p.micros), Some(7_500_000));
    assert_eq!(b.price("avatar_iv").map(|p| p.increment_seconds), Some(30));
    assert_eq!(b.projection().wpm_milli, 130_000);
    assert_eq!(b.projection().safety_permille, 1250);
}

#[test]
fn invalid_pricing_names_the_key() {
    assert_eq!(
        errors("[features.avatar_iv]\ncredits_per_minute = -1.0\n"),
        ["features.avatar_iv.credits_per_minute"]
    );
    assert_eq!(
        errors("[features.teleport]\ncredits_per_call = 1.0\n"),
        ["features.teleport"]
    );
    assert_eq!(
        errors("[features.avatar_creation]\ncredits_per_minute = 1.0\n"),
        ["features.avatar_creation"]
    );
    assert_eq!(
        errors("[features.tts]\nincrement_seconds = 0\n"),
        ["features.tts.increment_seconds"]
    );
    assert_eq!(
        errors("[projection]\nsafety_factor = 0.9\n"),
        ["projection.safety_factor"]
    );
    assert_eq!(errors("version = \"\"\n"), ["version"]);
    assert!(toml::from_str::<FilePricing>("[features.tts]\nprice = 1\n").is_err());
}

#[test]
fn without_defaults_every_catalog_feature_needs_a_price() {
    let errs = errors("inherit_defaults = false\n[features.avatar_iv]\ncredits_per_minute = 6.0\n");
    // Refinements left unpriced follow their parent instead (see
    // `features::parent`), so they are not reported themselves.
    let refinements = FEATURES
        .iter()
        .filter(|f| super::features::parent(f.name).is_some())
        .count();
    assert_eq!(errs.len(), FEATURES.len() - 1 - refinements);
    assert!(errs.contains(&"features.standard_avatar.credits_per_minute".to_owned()));
    assert!(errs.contains(&"features.avatar_creation.credits_per_call".to_owned()));
}

#[test]
fn settle_cost_uses_the_book() {
    let b = book();
    assert_eq!(settle_cost(&b, "avatar_iv", 27_430), Some(3_000_000));
    assert_eq!(settle_cost(&b, "standard_avatar", 61_000), Some(1_500_000));
    assert_eq!(settle_cost(&b, "lipsync_speed", 10_001), Some(550_000));
    assert_eq!(settle_cost(&b, "streaming", 5_000), Some(100_000));
    assert_eq!(settle_cost(&b, "avatar_creation", 0), Some(1_000_000));
    assert_eq!(settle_cost(&b, "nope", 1), None);
}

#[test]
fn pricing_error_accessors() {
    let e = PricingError::invalid("video_inputs[0].voice", "is required");
    assert_eq!((e.status(), e.code()), (400, "invalid_parameter"));
    assert_eq!(e.message(), "video_inputs[0].voice: is required");
    assert!(e.to_string().contains("invalid_parameter"));
}

#[test]
fn rounding_follows_the_api_generation() {
    let b = book();
    // (feature, generation, duration ms, billed seconds, micro-credits)
    // Sources: legacy 30 s steps (limits page); v3 per second (v3 pricing).
    let table: &[(&str, Generation, u64, u64, i64)] = &[
        ("avatar_iv", Generation::V3, 12_000, 12, 1_200_000),
        ("avatar_iv", Generation::Legacy, 12_000, 30, 3_000_000),
        ("avatar_iv", Generation::V3, 12_001, 13, 1_300_000),
        ("standard_avatar", Generation::V3, 61_000, 61, 1_016_667),
        ("standard_avatar", Generation::Legacy, 61_000, 90, 1_500_000),
        ("translation_fast", Generation::V3, 95_500, 96, 4_800_000),
        ("proofread", Generation::Legacy, 100_000, 120, 1_000_000),
        ("proofread", Generation::V3, 100_000, 100, 833_334),
        // Streaming is legacy-only: 30 s minimum either way.
        ("streaming", Generation::V3, 5_000, 30, 100_000),
        ("avatar_creation", Generation::V3, 0, 0, 1_000_000),
    ];
    for &(feature, gen, ms, secs, micros) in table {
        let p = b.price(feature).expect("priced");
        assert_eq!(p.cost_in(gen, ms), (secs, micros), "{feature} {gen:?} {ms}");
        assert_eq!(settle_cost_in(&b, feature, gen, ms), Some(micros));
    }
    // The legacy entry points keep legacy rounding.
    assert_eq!(settle_cost(&b, "avatar_iv", 12_000), Some(3_000_000));
    assert_eq!(Generation::of_path("/v3/videos/v1"), Generation::V3);
    assert_eq!(
        Generation::of_path("/v1/video_status.get?video_id=x"),
        Generation::Legacy
    );
    assert_eq!(Generation::of_path("/v2/videos/x"), Generation::Legacy);
}

#[test]
fn v3_increment_is_configurable_per_feature() {
    let file: FilePricing =
        toml::from_str("[features.avatar_iv]\nincrement_seconds_v3 = 30\n").expect("parses");
    let b = PriceBook::from_file(&file).expect("valid");
    let p = b.price("avatar_iv").expect("priced");
    assert_eq!((p.increment_seconds, p.increment_seconds_v3), (30, 30));
    assert_eq!(p.cost_in(Generation::V3, 12_000), (30, 3_000_000));
    assert_eq!(
        errors("[features.avatar_iv]\nincrement_seconds_v3 = 0\n"),
        ["features.avatar_iv.increment_seconds_v3"]
    );
    assert_eq!(
        errors("[features.avatar_creation]\nincrement_seconds_v3 = 1\n"),
        ["features.avatar_creation"]
    );
}

/// A body adding up absurd lengths (each silence capped at 10^7 s, but
/// scenes add up) is refused above [`MAX_QUOTE_MICROS`], even on an
/// enterprise plan with no length cap; up to it, it is priced.
#[test]
fn a_quote_above_the_maximum_cost_is_refused() {
    let plan = PlanPolicy {
        tier: Tier::Enterprise,
        max_video_seconds: 1800,
        test_mode: TestMode::Billed,
    };
    let scene = serde_json::json!({
        "character": {"type": "avatar", "avatar_id": "a", "use_avatar_iv_model": true},
        "voice": {"type": "silence", "duration": 1e7},
    });
    let body = |n: usize| serde_json::json!({ "video_inputs": vec![scene.clone(); n] }).to_string();
    let route = match crate::catalog::classify(&http::Method::POST, "/v2/video/generate").kind {
        crate::catalog::RouteKind::Billable(b) => b,
        other => panic!("{other:?}"),
    };
    let one = quote(&book(), &plan, &route, body(1).as_bytes()).expect("one scene");
    let most = usize::try_from(MAX_QUOTE_MICROS / one.credits).expect("fits");
    let at_most = quote(&book(), &plan, &route, body(most).as_bytes()).expect("at the maximum");
    assert!(at_most.credits <= MAX_QUOTE_MICROS);
    // Two scenes more: over it whatever the rounding of the whole video.
    let over = quote(&book(), &plan, &route, body(most + 2).as_bytes()).expect_err("over it");
    assert_eq!((over.status(), over.code()), (400, "cost_too_high"));
    assert!(over.message().contains("1000000000 credits"), "{over}");
}
