//! Byte classes as bitmasks (bit `i` is byte `i`): of 64-byte blocks for
//! the prose fast path ([`super::text_plain`]), and of a string's first 16
//! bytes for the body parser ([`super::json_scan`]). Sixteen bytes are
//! compared at a step with `wide`'s safe vectors (SSE2 on x86-64, NEON on
//! aarch64, SIMD128 on wasm, plain arrays elsewhere) and their high bits gathered into
//! masks, so sixteen bytes cost about what eight did with SWAR.

use wide::i8x16;

/// A block's length.
pub(super) const BLOCK: usize = 64;

/// What the prose scanner needs to know of each byte of a block.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Classes {
    /// ASCII letters.
    pub(super) letter: u64,
    /// Silent separators: bytes below 0x20 (not DEL), space, `!`, `"`, `,`,
    /// `.` (must agree with [`super::text_plain::is_sep`]).
    pub(super) sep: u64,
    /// Neither a letter nor a separator, or not ASCII: ends a stretch.
    pub(super) other: u64,
    /// Where a word's second letter makes it worth a look: capitals (the
    /// second letter of an acronym) and `p`/`t` in either case (of `etc`,
    /// `mph`, `kph`, `rpm` and `approx`); meaningful where `letter` is.
    pub(super) suspect: u64,
}

/// Sixteen bytes as signed lanes: compared as signed bytes, every
/// non-ASCII byte is negative, below any ASCII bound.
#[inline(always)]
fn lanes(part: &[u8]) -> i8x16 {
    let mut lanes = [0i8; 16];
    for (l, &b) in lanes.iter_mut().zip(part) {
        *l = b as i8;
    }
    i8x16::new(lanes)
}

/// Of the first 16 bytes of `b` (`None` if it is shorter): those that end
/// a JSON string's plain run (`"`, `\`, control characters), and those
/// that could make a key a case twin (ASCII capitals, non-ASCII; see
/// `strict_keys::foldable`).
#[inline(always)]
pub(super) fn string_stops(b: &[u8]) -> Option<(u32, u32)> {
    let v = lanes(b.get(..16)?);
    let ascii = v.simd_ge(i8x16::splat(0));
    let stop = v.simd_eq(i8x16::splat(b'"' as i8))
        | v.simd_eq(i8x16::splat(b'\\' as i8))
        | (v.simd_lt(i8x16::splat(0x20)) & ascii);
    let capital = v.simd_gt(i8x16::splat(b'A' as i8 - 1)) & v.simd_lt(i8x16::splat(b'Z' as i8 + 1));
    Some((stop.to_bitmask(), (capital | !ascii).to_bitmask()))
}

/// The classes of `block`'s bytes.
#[inline(always)]
pub(super) fn classify(block: &[u8; BLOCK]) -> Classes {
    let mut c = Classes::default();
    for (k, part) in block.chunks_exact(16).enumerate() {
        let v = lanes(part);
        let fold = v | i8x16::splat(0x20);
        let letter =
            fold.simd_gt(i8x16::splat(b'a' as i8 - 1)) & fold.simd_lt(i8x16::splat(b'z' as i8 + 1));
        let sep = v.simd_lt(i8x16::splat(0x23))
            | v.simd_eq(i8x16::splat(b',' as i8))
            | v.simd_eq(i8x16::splat(b'.' as i8));
        let ascii = v.simd_ge(i8x16::splat(0));
        // `p` and `t` differ only in bit 2.
        let p_or_t = (fold & i8x16::splat(!4)).simd_eq(i8x16::splat(b'p' as i8));
        let capital = (v & i8x16::splat(0x20)).simd_eq(i8x16::splat(0));
        let shift = 16 * k;
        c.letter |= u64::from(letter.to_bitmask()) << shift;
        c.sep |= u64::from((sep & ascii).to_bitmask()) << shift;
        c.other |= u64::from((!(letter | sep) | !ascii).to_bitmask()) << shift;
        c.suspect |= u64::from((capital | p_or_t).to_bitmask()) << shift;
    }
    c
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{classify, string_stops, BLOCK};
    use crate::pricing::text_plain::is_sep;

    fn bit(mask: u64, i: usize) -> bool {
        mask >> i & 1 == 1
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Each string mask says of each of 16 bytes what a byte-wise test
        /// says; fewer bytes give none.
        #[test]
        fn string_masks_match_bytes(bytes in prop::collection::vec(any::<u8>(), 0..20)) {
            let Some((stop, fold)) = string_stops(&bytes) else {
                prop_assert!(bytes.len() < 16);
                return Ok(());
            };
            for (i, &b) in bytes[..16].iter().enumerate() {
                prop_assert_eq!(bit(stop.into(), i), b == b'"' || b == b'\\' || b < 0x20, "{:#x}", b);
                prop_assert_eq!(bit(fold.into(), i), b.is_ascii_uppercase() || !b.is_ascii(), "{:#x}", b);
            }
        }

        /// Each mask says of each byte what a byte-wise test says.
        #[test]
        fn masks_match_bytes(bytes in prop::collection::vec(any::<u8>(), BLOCK)) {
            let block: [u8; BLOCK] = bytes.try_into().unwrap_or([0; BLOCK]);
            let c = classify(&block);
            for (i, &b) in block.iter().enumerate() {
                let letter = b.is_ascii_alphabetic();
                let sep = b.is_ascii() && is_sep(b);
                prop_assert_eq!(bit(c.letter, i), letter, "letter {:#x}", b);
                prop_assert_eq!(bit(c.sep, i), sep, "sep {:#x}", b);
                prop_assert_eq!(bit(c.other, i), !letter && !sep, "other {:#x}", b);
                if letter {
                    let suspect = b.is_ascii_uppercase() || matches!(b, b'p' | b't');
                    prop_assert_eq!(bit(c.suspect, i), suspect, "suspect {:#x}", b);
                }
            }
        }
    }
}
