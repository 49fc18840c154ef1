//! Table tests for the hardened text projection: what TTS speaks, SSML.

use super::book::PriceBook;
use super::text::{analyse, script_ms};
use super::verbal::cardinal_words;

fn proj() -> super::book::Projection {
    PriceBook::builtin().projection().clone()
}

fn words(text: &str) -> u64 {
    analyse(text).words
}

#[test]
fn numbers_are_counted_as_spoken() {
    // (text, spoken words, as read)
    let table: &[(&str, u64)] = &[
        ("0", 1),             // zero
        ("7", 1),             // seven
        ("19", 1),            // nineteen
        ("20", 1),            // twenty
        ("21", 2),            // twenty one
        ("100", 2),           // one hundred
        ("115", 3),           // one hundred fifteen
        ("1000", 2),          // one thousand
        ("1,000,000", 2),     // one million
        ("2026", 4),          // two thousand twenty six
        ("999999999999", 19), // nine hundred ninety nine billion … (4 groups × 4 + 3 scales)
        ("3.14", 4),          // three point one four
        ("007", 3),           // oh oh seven
        ("1.2.3", 5),         // one dot two dot three
        ("2026-12-03", 7),    // two thousand twenty six, twelve, oh three
        ("10km", 2),          // ten km
        ("well-known 10", 2), // a hyphenated word stays one
    ];
    for &(text, want) in table {
        assert_eq!(words(text), want, "{text:?}");
    }
    assert_eq!(cardinal_words(&[1, 0, 0, 0, 0, 0, 1]), 3, "one million one");
    // Digits of other scripts are numbers too (fullwidth, Arabic-Indic).
    assert_eq!(words("９９９９９９９９９９９９"), 19);
    assert_eq!(words("٩٩٩٩٩٩٩٩٩٩٩٩"), 19);
    assert_eq!(words("<say-as interpret-as=\"digits\">１２３</say-as>"), 3);
}

#[test]
fn symbols_currencies_emoji_and_acronyms_are_spoken() {
    let table: &[(&str, u64)] = &[
        ("%", 1),   // percent
        ("50%", 2), // fifty percent
        ("$5", 2),  // five dollars
        ("€ £ ¥", 3),
        ("a & b + c @ d # e", 9),
        ("30°", 2), // thirty degrees
        ("±", 3),   // plus or minus
        ("😀", 2),  // grinning face
        ("FBI", 3), // eff bee eye
        ("I", 1),
        ("etc.", 2),          // et cetera
        ("60 mph", 4),        // sixty miles per hour
        ("Hello, world!", 2), // punctuation is silent
    ];
    for &(text, want) in table {
        assert_eq!(words(text), want, "{text:?}");
    }
}

#[test]
fn adversarial_scripts_project_their_real_length() {
    let p = proj();
    // 2500 × "percent" = 2500 words at 150 wpm = 16.7 min, ×1.1 = 18.3 min.
    let pct = script_ms(&"% ".repeat(2500), &p, 1000);
    assert!(pct >= 17 * 60_000, "{pct} ms");
    assert_eq!(pct, 1_100_000);
    // 380 × 19 words = 7220 words = 48.1 min, ×1.1 = 52.9 min.
    let nums = script_ms(&"999999999999 ".repeat(380), &p, 1000);
    assert!(nums >= 45 * 60_000, "{nums} ms");
    assert_eq!(nums, 3_176_800);
}

#[test]
fn breaks_in_any_attribute_order_and_length_count() {
    let table: &[(&str, u64)] = &[
        ("<break time=\"2s\"/>", 2000),
        ("<break strength=\"weak\" time=\"3s\"/>", 3000),
        ("<break time='3s' strength='x-strong'/>", 3000),
        ("<break strength=\"x-strong\"/>", 2000),
        ("<break strength=\"none\"/>", 0),
        ("<break/>", 1000),
        ("<BREAK TIME=\"1500ms\"/>", 1500),
        ("<break time=junk/>", 1000),
    ];
    for &(text, want) in table {
        assert_eq!(analyse(text).breaks_ms, want, "{text:?}");
    }
    // Padding past any fixed window still parses as a tag.
    let padded = format!("<break{}time=\"10s\"/>", " ".repeat(5000));
    let s = analyse(&padded);
    assert_eq!((s.breaks_ms, s.words), (10_000, 0));
    let many = "<break time=\"10s\"/>".repeat(100);
    assert_eq!(analyse(&many).breaks_ms, 1_000_000);
}

#[test]
fn prosody_rate_scales_the_enclosed_text() {
    let p = proj();
    let plain = "word ".repeat(150);
    let base = script_ms(&plain, &p, 1000);
    assert_eq!(base, 66_000);
    let table: &[(&str, u64)] = &[
        ("x-slow", 132_000), // 0.5 → twice as long
        ("slow", 103_158),   // 0.64
        ("medium", 66_000),
        ("fast", 42_636),   // 1.55
        ("x-fast", 33_000), // 2.0
        ("50%", 132_000),
        ("10%", 330_000),  // clamped to 20 %
        ("-50%", 132_000), // relative to 1.0
        ("pitchonly", 66_000),
    ];
    for &(rate, want) in table {
        let text = format!("<prosody rate=\"{rate}\">{plain}</prosody>");
        assert_eq!(script_ms(&text, &p, 1000), want, "rate {rate}");
    }
    // Only the enclosed part is scaled; the rate ends with the element.
    let half = format!("<prosody rate=\"x-slow\">{plain}</prosody>{plain}");
    assert_eq!(script_ms(&half, &p, 1000), 198_000);
    // Nested relative rates compound: 0.5 × 0.5 = 0.25.
    let nested =
        format!("<prosody rate=\"x-slow\"><prosody rate=\"-50%\">{plain}</prosody></prosody>");
    assert_eq!(script_ms(&nested, &p, 1000), 264_000);
}

#[test]
fn say_as_spells_characters_and_digits() {
    let table: &[(&str, u64)] = &[
        ("<say-as interpret-as=\"characters\">hello</say-as>", 5),
        ("<say-as interpret-as=\"spell-out\">AB12</say-as>", 4),
        ("<say-as interpret-as=\"digits\">999999999999</say-as>", 12),
        ("<say-as interpret-as=\"telephone\">555-0100</say-as>", 7),
        ("<say-as interpret-as=\"cardinal\">1000</say-as>", 2),
        ("<say-as interpret-as=\"date\">2026-12-03</say-as>", 7),
        ("<say-as interpret-as=\"characters\">ab</say-as> ab", 3),
    ];
    for &(text, want) in table {
        assert_eq!(words(text), want, "{text:?}");
    }
}

#[test]
fn unknown_brackets_are_text_and_scanning_is_linear() {
    assert_eq!(words("<hello there my friend>"), 4);
    // Many unclosed `<` do not make the scan quadratic (this would time out).
    let s = "<a".repeat(200_000);
    assert_eq!(words(&s), 200_000);
}
