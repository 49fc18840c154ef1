//! Finding where a JSON string ends, for [`super::json_fast`]: the first
//! `"`, `\` or control character. Request strings are mostly short (keys,
//! ids, types): their first 16 bytes are read with one vector compare
//! ([`super::blocks::string_stops`]), then eight bytes at a time in a
//! `u64` (SWAR) — a search loop costs more to set up than such a string
//! takes. A value not ended within 24 bytes (a script, a URL) goes to
//! memchr's vector search; a key is read to its end this way.

use super::blocks::string_stops;
use super::swar::{splat, word_at, zero_bytes, HIGH};

/// High bit set in the lowest byte of `w` that is `"`, `\` or below 0x20
/// (bytes above the first such one may be marked wrongly: only the lowest
/// is read).
#[inline]
fn stops(w: u64) -> u64 {
    let below_space = w.wrapping_sub(splat(0x20)) & !w & HIGH;
    zero_bytes(w ^ splat(b'"')) | zero_bytes(w ^ splat(b'\\')) | below_space
}

/// High bit set in every byte of `w` that is an ASCII capital or not ASCII
/// (exact per byte: no carries cross bytes).
#[inline]
fn foldable_bytes(w: u64) -> u64 {
    let x = w & !HIGH;
    let ge_a = x + splat(0x80 - b'A');
    let gt_z = x + splat(0x80 - b'Z' - 1);
    (ge_a & !gt_z & HIGH) | (w & HIGH)
}

/// The bytes before the first stop byte of a key, and whether any of them
/// is a capital or not ASCII (see `strict_keys::foldable`); `None` if no
/// stop byte is found before `limit` (at least 16) bytes, which are read
/// in a vector and then words (the caller takes its general path then).
#[inline(always)]
pub(super) fn key_end(b: &[u8], limit: usize) -> Option<(usize, bool)> {
    scan::<true>(b, limit)
}

/// [`key_end`], telling foldable bytes apart only when `FOLD` (a string
/// value's scan does not need them: a few operations per word fewer).
#[inline(always)]
fn scan<const FOLD: bool>(b: &[u8], limit: usize) -> Option<(usize, bool)> {
    let mut at = 0;
    let mut fold = 0;
    // Most keys and short values end within 16 bytes: one vector compare,
    // then words (within the body's last 16 bytes, words from the start).
    if let Some((stop, folds)) = string_stops(b) {
        if stop != 0 {
            let n = stop.trailing_zeros();
            return Some((n as usize, FOLD && folds & ((1 << n) - 1) != 0));
        }
        fold = u64::from(FOLD && folds != 0);
        at = 16;
    }
    while at < limit {
        let Some(w) = word_at(b, at) else {
            break;
        };
        let stop = stops(w);
        let f = if FOLD { foldable_bytes(w) } else { 0 };
        if stop != 0 {
            let n = stop.trailing_zeros() as usize / 8;
            // The foldable bits of the bytes before the stop only.
            fold |= f & ((1u64 << (8 * n)) - 1);
            return Some((at + n, fold != 0));
        }
        fold |= f;
        at += 8;
    }
    if at >= limit {
        return None;
    }
    // Fewer than eight bytes left.
    for (i, &c) in b.get(at..)?.iter().enumerate() {
        if c == b'"' || c == b'\\' || c < 0x20 {
            let fold = FOLD
                && (fold != 0
                    || b[..at + i]
                        .iter()
                        .any(|c| c.is_ascii_uppercase() || !c.is_ascii()));
            return Some((at + i, fold));
        }
    }
    None
}

/// Bytes before the first `"`, `\` or control character; `None` if there
/// is none (an unterminated string). The first 24 bytes are read by
/// [`scan`] (one vector compare, one word); past them the quote or
/// backslash is found with memchr's vector search, then the bytes before
/// it are checked for a control character in one branch-free pass (rare in
/// requests: only then is its place looked for).
#[inline(always)]
pub(super) fn special(b: &[u8]) -> Option<usize> {
    const SHORT: usize = 24;
    if let Some((end, _)) = scan::<false>(b, SHORT) {
        return Some(end);
    }
    long_special(b)
}

/// [`special`] past its first 24 bytes (out of line: the short case is
/// the common one).
#[inline(never)]
fn long_special(b: &[u8]) -> Option<usize> {
    let end = memchr::memchr2(b'"', b'\\', b);
    let span = &b[..end.unwrap_or(b.len())];
    if span.iter().fold(false, |any, &c| any | (c < 0x20)) {
        return span.iter().position(|&c| c < 0x20);
    }
    end
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{key_end, special};

    fn stop(c: u8) -> bool {
        c == b'"' || c == b'\\' || c < 0x20
    }

    /// The byte-by-byte answer.
    fn reference(b: &[u8]) -> Option<(usize, bool)> {
        let n = b.iter().position(|&c| stop(c))?;
        let fold = b[..n]
            .iter()
            .any(|c| c.is_ascii_uppercase() || !c.is_ascii());
        Some((n, fold))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// Every byte class the word tricks treat apart, at every place in
        /// strings shorter and longer than a word and than the short limit.
        #[test]
        fn word_scan_matches_bytes(b in prop::collection::vec(prop::sample::select(vec![
            b'a', b'z', b'A', b'Z', b'@', b'[', b'`', b'{', b'_', b'0', b' ', b'"', b'\\',
            0x00, 0x1f, 0x20, 0x7f, 0x80, 0xc3, 0xff, 0x21, 0x5c ^ 0x80, 0x22 ^ 0x80,
        ]), 0..40)) {
            prop_assert_eq!(key_end(&b, usize::MAX), reference(&b));
            prop_assert_eq!(special(&b), reference(&b).map(|(n, _)| n));
            // With a limit, a stop is found exactly when it is before it
            // (what `special` leaves to memchr is past its 24 bytes).
            for limit in [16, 24] {
                let before = reference(&b).filter(|&(n, _)| n < limit);
                prop_assert_eq!(key_end(&b, limit), before, "limit {}", limit);
            }
        }
    }

    #[test]
    fn long_strings_go_to_the_vector_search() {
        let mut b = vec![b'x'; 100];
        b[70] = b'"';
        assert_eq!(key_end(&b, 24), None);
        assert_eq!(special(&b), Some(70));
        b[50] = 0x01;
        assert_eq!(special(&b), Some(50));
        assert_eq!(special(&[b'x'; 30]), None);
    }
}
