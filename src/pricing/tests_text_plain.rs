//! The prose fast path (`text_plain`) and the common `<break>` reader: what
//! they take and what they leave to the byte-wise scanner, and that the
//! scanner counts as the reference does wherever a block edge falls.

use super::ssml::{self, Tag};
use super::text::analyse;
use super::text_plain::{take, Plain};
use super::text_reference;

fn plain(len: usize, words: u64, letters: u64) -> Option<Plain> {
    Some(Plain {
        len,
        words,
        letters,
    })
}

#[test]
fn plain_prose_is_taken_whole() {
    let scene = "Scene words go here and keep going. ".repeat(6);
    assert_eq!(take(&scene, 0), plain(scene.len(), 42, 168));
    // Every separator it takes: controls, space, `!`, `"`, `,`, `.`.
    let text = "a\tb\nc d!e\"f,g.h\u{1}i";
    assert_eq!(take(text, 0), plain(text.len(), 9, 9));
    // A stretch may start mid-text and end with the text, mid-block.
    assert_eq!(take("12 ab cd", 3), plain(5, 2, 4));
}

#[test]
fn what_is_not_plain_ends_the_stretch_before_its_word() {
    // Digits, joiners, spoken symbols, `<`, other punctuation and any
    // non-ASCII byte: the stretch ends after the separator before the word
    // that touches it, which the byte-wise scanner then reads.
    for x in [
        "0", "9", "'", "-", "%", "&", "+", "@", "#", "=", "$", "<", ";", ":", "?", "(", ")", "/",
        "*", "é", "’", "你", "\u{A0}", "\u{7F}",
    ] {
        for (text, len) in [
            (format!("one two{x}three"), 4),
            (format!("one two {x}three"), 8),
            (format!("one tw{x}"), 4),
            (format!("one twenty five.{x}"), 16),
        ] {
            let want = analyse_tail(&text, len);
            assert_eq!(take(&text, 0), want, "{text:?}");
        }
        // With nothing before it to take, the word is left whole.
        assert_eq!(take(&format!("one{x} two"), 0), None, "{x:?}");
        assert_eq!(take(&format!("abcdefghijklm{x}"), 0), None, "{x:?}");
    }
}

/// The plain stretch `text[..len]` as the reference counts it.
fn analyse_tail(text: &str, len: usize) -> Option<Plain> {
    let s = text_reference::analyse(&text[..len]);
    plain(len, s.words, s.letters)
}

#[test]
fn acronyms_and_abbreviations_are_read_out() {
    let table: &[(&str, u64)] = &[
        ("the NASA team", 6),
        ("OK so", 3),
        ("TV", 2),
        ("ABCDEF is long", 3),
        ("McDONALD x", 2),
        ("NASa NAsa", 2),
        ("etc mph kph rpm approx", 13),
        ("Etc. MPH, Kph! rPm APPROX", 13),
        ("it at up its stop apt ETCs approxe", 8),
        ("go 60 mph", 5),
    ];
    for &(text, want) in table {
        assert_eq!(analyse(text).words, want, "{text:?}");
        assert_eq!(analyse(text), text_reference::analyse(text), "{text:?}");
    }
    // An abbreviation or acronym ended by what is not plain is not taken.
    assert_eq!(take("a etc-b", 0), plain(2, 1, 1));
    assert_eq!(take("a NASA's", 0), plain(2, 1, 1));
}

#[test]
fn block_edges_anywhere_count_as_the_reference() {
    // Each word at each offset from the start of a stretch, so its start,
    // its second letter, its end and the byte after it each meet a block
    // edge (every 64 bytes, `blocks::BLOCK`), the first and the second;
    // followed by plain text, the text's end, or what is not plain.
    let words = [
        "a",
        "I",
        "etc",
        "ETC",
        "mph",
        "Kph",
        "rpm",
        "approx",
        "APPROX",
        "NASA",
        "OK",
        "AB",
        "ABCDEF",
        "it",
        "stop",
        "Straightforward",
        "abcdefghijklmnopq",
    ];
    for pad in 0..140 {
        for w in words {
            for after in [
                "",
                " x",
                ".",
                " 7",
                "-x",
                "'s",
                "é",
                " <p>y",
                "  end of it.",
            ] {
                let text = format!("{}{}{w}{after}", "b ".repeat(pad / 2), " ".repeat(pad % 2));
                assert_eq!(analyse(&text), text_reference::analyse(&text), "{text:?}");
            }
        }
    }
}

#[test]
fn common_breaks_read_as_the_general_tag_reader() {
    for body in [
        "break time=\"1s\"/",
        "break time=\"1s\"",
        "break time=\"0s\"/",
        "break time=\"500ms\"/",
        "break time=\"0000007ms\"/",
        "break time=\"9999999s\"/",
    ] {
        let after = format!("{body}> tail");
        let fast = ssml::common_break(after.as_bytes());
        let Some((len, ms)) = fast else {
            panic!("{body:?} is not read as a common break")
        };
        assert_eq!(ssml::tag_len(after.as_bytes()), Some(len), "{body:?}");
        assert_eq!(ssml::parse(&after[..len]), Tag::Break(ms), "{body:?}");
    }
    // Other spellings go to the general reader.
    for after in [
        "break time=\"1.5s\"/>",
        "break time=\"12345678s\"/>",
        "break time=\"s\"/>",
        "break time=\"1S\"/>",
        "Break time=\"1s\"/>",
        "break  time=\"1s\"/>",
        "break time='1s'/>",
        "break time=\"1s\" />",
        "break time=\"1s\"/",
        "break time=\"1s\"x>",
        "break time=\"1",
    ] {
        assert_eq!(ssml::common_break(after.as_bytes()), None, "{after:?}");
    }
}

/// The fast path looks again only at words whose second letter is a
/// capital or `p`/`t`: every abbreviation spoken longer must be one.
#[test]
fn every_abbreviation_is_flagged_by_its_second_letter() {
    for (word, _) in super::verbal::SPOKEN_LONGER {
        let second = word.as_bytes()[1].to_ascii_lowercase();
        assert!(matches!(second, b'p' | b't'), "{word}");
        let text = format!("and {word} then {} too ", word.to_uppercase());
        assert_eq!(analyse(&text), text_reference::analyse(&text), "{text}");
    }
}
