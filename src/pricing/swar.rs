//! Byte-parallel arithmetic on a `u64` (SWAR: eight bytes per step,
//! portable, no `unsafe`), shared by the scanners of request bodies
//! ([`super::json_scan`]), words ([`super::text_scan`]) and SSML tags
//! ([`super::ssml`]). Sixteen bytes a step are in [`super::blocks`].

/// `0x01` in every byte.
pub(super) const ONES: u64 = 0x0101_0101_0101_0101;
/// Every byte's high bit.
pub(super) const HIGH: u64 = 0x8080_8080_8080_8080;
/// Every byte's low seven bits: adding to bytes masked with it never
/// carries into the next byte.
pub(super) const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// `b` in every byte.
pub(super) const fn splat(b: u8) -> u64 {
    ONES * b as u64
}

/// High bit set in the lowest zero byte of `x`, if any (bytes above it may
/// be marked wrongly: callers read only the lowest mark, or only whether
/// there is one).
#[inline]
pub(super) fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HIGH
}

/// The eight bytes of `b` from `at` as a little-endian word, if there are
/// eight.
#[inline]
pub(super) fn word_at(b: &[u8], at: usize) -> Option<u64> {
    let chunk: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}
