//! Speech-length estimation for TTS scripts: what the engine *speaks* —
//! words, verbalised numbers and symbols ([`super::verbal`]), CJK characters
//! — at a words-per-minute rate, scaled by SSML `<prosody rate>`, plus SSML
//! `<break>` pauses ([`super::ssml`]). Integer milliseconds; one linear pass.

use super::book::Projection;
use super::ssml::{self, Tag};
use super::text_plain;
pub use super::text_scan::TextStats;
use super::text_scan::{ascii_letters, is_cjk, Scan};
use super::verbal::symbol_words;

/// Letters per spoken word for the floor: English averages about 4.7, so
/// ordinary text is counted by its words and only unseparated text by this.
const LETTERS_PER_WORD: u64 = 8;

/// Words spoken for an ASCII character outside a word (see
/// [`symbol_words`]).
fn ascii_symbol_words(b: u8) -> u64 {
    u64::from(matches!(b, b'%' | b'&' | b'+' | b'@' | b'#' | b'=' | b'$'))
}

/// Counts what `text` speaks: words, CJK characters and SSML breaks, each
/// weighted by the prosody rate in force. One pass over the bytes with no
/// allocation (but for nested prosody/say-as): ASCII is classified by
/// byte, other characters decoded where they occur.
pub fn analyse(text: &str) -> TextStats {
    let mut scan = Scan::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b' ' {
            i += 1;
            continue;
        }
        if b.is_ascii_alphabetic() {
            // Plain prose is taken 64 bytes at a time.
            if let Some(p) = text_plain::take(text, i) {
                scan.plain(p);
                i += p.len;
                continue;
            }
            // A word of ASCII letters ended by what cannot continue it is
            // counted here; anything else goes through the full run.
            let end = i + 1 + ascii_letters(&bytes[i + 1..]);
            let ends = |t: &u8| *t < 0x80 && !t.is_ascii_digit() && *t != b'\'' && *t != b'-';
            if bytes.get(end).is_none_or(ends) {
                scan.word(&text[i..end]);
                i = end;
            } else {
                i = scan.run(text, i);
            }
            continue;
        }
        if b.is_ascii_digit() {
            i = scan.run(text, i);
            continue;
        }
        if b < 0x80 {
            if b == b'<' {
                if let Some((len, ms)) = ssml::common_break(&bytes[i + 1..]) {
                    scan.tag(Tag::Break(ms));
                    i += len + 2;
                    continue;
                }
                if let Some(len) = ssml::tag_len(&bytes[i + 1..]) {
                    scan.tag(ssml::parse(&text[i + 1..i + 1 + len]));
                    i += len + 2;
                    continue;
                }
            }
            let n = ascii_symbol_words(b);
            if n > 0 {
                scan.add_words(n);
            }
            i += 1;
            continue;
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        // CJK first: it is not in a run, and the range test is cheaper
        // than `is_alphanumeric`'s table.
        if is_cjk(c) {
            scan.add_cjk();
        } else if c.is_alphanumeric() {
            i = scan.run(text, i);
            continue;
        } else if let Some(n) = symbol_words(c) {
            scan.add_words(n);
        }
        i += c.len_utf8();
    }
    scan.flush();
    scan.stats
}

/// Speech time of `stats` at `speed_milli` (1000 = normal), without breaks
/// or safety factor: words ÷ (wpm × speed) + CJK chars ÷ (cps × speed),
/// each unit weighted by its prosody rate.
pub fn speech_ms(stats: &TextStats, p: &Projection, speed_milli: u64) -> u64 {
    let speed = speed_milli.max(1);
    let words = stats
        .words_w
        .max(stats.letters_w.div_ceil(LETTERS_PER_WORD));
    // words_w is in thousandths of a word: ×60 000 ms/min ×1000 (wpm_milli)
    // ×1000 (speed_milli) ÷ 1000.
    let words_ms = mul_div_ceil(words, 60_000_000, p.wpm_milli.max(1), speed);
    let cjk_ms = mul_div_ceil(stats.cjk_w, 1_000_000, p.cjk_cps_milli.max(1), speed);
    u64::try_from(words_ms + cjk_ms).unwrap_or(u64::MAX)
}

/// `⌈a × m ÷ (d1 × d2)⌉` without overflow (`d1`, `d2` >= 1). In 64 bits
/// when nothing overflows there: a 128-bit division is a library call, and
/// three of them were a tenth of a short script's projection.
#[inline]
fn mul_div_ceil(a: u64, m: u64, d1: u64, d2: u64) -> u128 {
    if a == 0 {
        return 0;
    }
    match (a.checked_mul(m), d1.checked_mul(d2)) {
        (Some(n), Some(d)) => u128::from(n.div_ceil(d)),
        _ => (u128::from(a) * u128::from(m)).div_ceil(u128::from(d1) * u128::from(d2)),
    }
}

/// Projected length of a spoken script: speech × safety factor + breaks.
pub fn script_ms(text: &str, p: &Projection, speed_milli: u64) -> u64 {
    let stats = analyse(text);
    with_safety(speech_ms(&stats, p, speed_milli), p).saturating_add(stats.breaks_ms)
}

/// Applies the safety factor (rounded up) to an estimate.
pub fn with_safety(ms: u64, p: &Projection) -> u64 {
    let v = mul_div_ceil(ms, p.safety_permille, 1000, 1);
    u64::try_from(v).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::mul_div_ceil;

    fn wide(a: u64, m: u64, d1: u64, d2: u64) -> u128 {
        (u128::from(a) * u128::from(m)).div_ceil(u128::from(d1) * u128::from(d2))
    }

    proptest! {
        /// The 64-bit shortcut answers as the 128-bit division, also where
        /// a product overflows 64 bits (huge weighted counts, odd speeds).
        #[test]
        fn the_shortcut_divides_as_the_wide_division(
            a in prop_oneof![0..1_000_000u64, any::<u64>()],
            m in prop_oneof![Just(60_000_000u64), Just(1_000_000), 1..2000u64, any::<u64>()],
            d1 in prop_oneof![1..1_000_000u64, 1..=u64::MAX],
            d2 in prop_oneof![1..3000u64, 1..=u64::MAX],
        ) {
            prop_assert_eq!(mul_div_ceil(a, m, d1, d2), wide(a, m, d1, d2));
        }
    }

    #[test]
    fn overflowing_products_take_the_wide_path() {
        assert_eq!(
            mul_div_ceil(u64::MAX, 60_000_000, 1, 1),
            wide(u64::MAX, 60_000_000, 1, 1)
        );
        assert_eq!(mul_div_ceil(7, 3, u64::MAX, 2), 1);
        assert_eq!(mul_div_ceil(0, u64::MAX, 1, 1), 0);
    }
}
