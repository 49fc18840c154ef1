//! The fast path of [`super::text::analyse`] for ordinary prose: eight
//! bytes at a time (SWAR on a `u64`: portable, no `unsafe`) are classified
//! into ASCII letters, silent separators and everything else, and words are
//! counted by their first letters.
//!
//! A stretch taken here is what the byte-wise scanner would read as plain
//! words and silent bytes: it ends before the first byte that is neither an
//! ASCII letter nor a separator (controls, space, `!`, `"`, `,`, `.`) —
//! digits, joiners `'`/`-`, spoken symbols, `<`, non-ASCII — and is then cut
//! after its last separator, so no word is taken without its end. Chunks are
//! taken whole and carry their last byte's classes to the next, so the loop
//! never waits on where a word ends. Acronyms and abbreviations (the words
//! [`letters_words`] reads as more than one) are rare: a word that could be
//! one is flagged by its first letters and looked at on its own.

use super::swar::{splat, HIGH, LOW7, ONES};
use super::text_scan::ascii_letters;
use super::verbal::letters_words;

/// What [`take`] read: `len` bytes holding `letters` ASCII letters in
/// `words` spoken words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Plain {
    pub(super) len: usize,
    pub(super) words: u64,
    pub(super) letters: u64,
}

/// A separator the fast path takes: silent, ends a word, joins nothing.
/// Must agree with `sep` in [`Chunk::new`].
pub(super) fn is_sep(b: u8) -> bool {
    b < 0x23 || b == b',' || b == b'.'
}

/// Classes of the bytes of one chunk, as the high bit of each byte.
struct Chunk {
    letter: u64,
    sep: u64,
    /// Bytes that end the stretch: neither a letter nor a separator.
    other: u64,
    /// Where a word's second letter makes it worth a look: capitals (the
    /// second letter of an acronym) and `p`/`t` in either case (of `etc`,
    /// `mph`, `kph`, `rpm` and `approx`); meaningful where `letter` is.
    suspect: u64,
}

impl Chunk {
    #[inline(always)]
    fn new(w: u64) -> Chunk {
        // Classes are computed on the low 7 bits, so that adding to a byte
        // never carries out of it; non-ASCII bytes are `other` whatever
        // their low bits say. Adding `0x80 - c` sets the high bit iff the
        // byte is >= c; a byte is zero iff adding 0x7F leaves it clear.
        let x = w & LOW7;
        let fold = x | splat(0x20);
        let letter = (fold + splat(0x80 - b'a')) & !(fold + splat(0x80 - b'z' - 1)) & HIGH;
        let below_23 = !(x + splat(0x80 - 0x23));
        // `,` and `.` differ only in bit 1, `p` and `t` only in bit 2.
        let comma_dot = !(((x | splat(2)) ^ splat(b'.')) + LOW7);
        let sep = (below_23 | comma_dot) & HIGH;
        let p_or_t = !(((fold & !splat(4)) ^ splat(b'p')) + LOW7);
        Chunk {
            letter,
            sep,
            other: (w | !(letter | sep)) & HIGH,
            // Bit 5 is clear in capitals; `<< 2` brings it to the high bit.
            suspect: !(w << 2) | p_or_t,
        }
    }
}

/// The bytes of a chunk before its first flagged one (all without flags).
fn before_first(flags: u64) -> u64 {
    ((flags & flags.wrapping_neg()) >> 7).wrapping_sub(1)
}

/// The running state of [`take`]: counts, and the classes of the previous
/// chunk's last byte moved to where they continue this chunk.
#[derive(Default)]
struct State {
    words: u64,
    letters: u64,
    letter: u64,
    first: u64,
    /// Where the stretch starts: a word starts there.
    start: usize,
    /// Flagged words already looked at end before this byte.
    checked: usize,
}

impl State {
    /// Counts the bytes of chunk `c` (at `at` in `text`) that `keep` keeps.
    #[inline(always)]
    fn add(&mut self, text: &str, at: usize, c: &Chunk, keep: u64) {
        let letter = c.letter & keep;
        let first = letter & !((letter << 8) | self.letter);
        // Both counts in one multiply: a chunk has at most 8 of each, so
        // word starts fit the low nibble of the sum and letters the high.
        let both = ((first >> 7) | (letter >> 3)).wrapping_mul(ONES) >> 56;
        self.words += both & 15;
        self.letters += both >> 4;
        // A capital (an acronym?) or `p`/`t` (an abbreviation?) second in a
        // word: flagged, then looked at. Other words are read as one.
        let second = letter & ((first << 8) | self.first);
        let mut flags = second & c.suspect;
        while flags != 0 {
            let flag = at + (flags.trailing_zeros() / 8) as usize;
            if flag >= self.checked {
                let (extra, end) = look_at(text, self.start, flag);
                self.words += extra;
                self.checked = end;
            }
            flags &= flags - 1;
        }
        self.letter = letter >> 56;
        self.first = first >> 56;
    }
}

/// The words beyond one that the word holding the letter at `flag` is
/// read as (the word starts at `start` or later), when it is ended by a
/// separator or the end of the text (a word ended otherwise is not taken,
/// see [`take`]); and where the word ends. Apart from the loop, so the
/// loop's state stays in registers.
#[cold]
#[inline(never)]
fn look_at(text: &str, start: usize, flag: usize) -> (u64, usize) {
    let bytes = text.as_bytes();
    let start = bytes[start..flag]
        .iter()
        .rposition(|b| !b.is_ascii_alphabetic())
        .map_or(start, |p| start + p + 1);
    let end = flag + ascii_letters(&bytes[flag..]);
    let extra = if bytes.get(end).is_none_or(|&b| is_sep(b)) {
        letters_words(&text[start..end]) - 1
    } else {
        0
    };
    (extra, end)
}

/// Takes the stretch of plain words and separators at `start` (a letter
/// at a token boundary). `None` when not one whole word can be taken.
#[inline(never)]
pub(super) fn take(text: &str, start: usize) -> Option<Plain> {
    let bytes = text.as_bytes();
    let mut s = State {
        start,
        ..State::default()
    };
    let mut chunks = bytes[start..].chunks_exact(8);
    let mut at = start;
    for c in chunks.by_ref() {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        let c = Chunk::new(w);
        if c.other != 0 {
            // Classified again there: passing `c` kept it in memory.
            return s.finish(text, start, at, w);
        }
        s.add(text, at, &c, u64::MAX);
        at += 8;
    }
    // The last bytes, padded with zeros: separators, as the end is.
    let mut last = [0u8; 8];
    for (d, b) in last.iter_mut().zip(chunks.remainder()) {
        *d = *b;
    }
    s.finish(text, start, at, u64::from_le_bytes(last))
}

impl State {
    /// Counts the last chunk `w` (at `at`) up to its first `other` byte,
    /// and cuts the stretch after its last separator.
    fn finish(mut self, text: &str, start: usize, at: usize, w: u64) -> Option<Plain> {
        let bytes = text.as_bytes();
        let c = &Chunk::new(w);
        let keep = before_first(c.other);
        self.add(text, at, c, keep);
        let stop = (at + (c.other.trailing_zeros() / 8) as usize).min(bytes.len());
        if stop == bytes.len() {
            let len = stop - start;
            return Some(Plain {
                len,
                words: self.words,
                letters: self.letters,
            });
        }
        let seps = c.sep & keep;
        let cut = if seps != 0 {
            at + (64 - seps.leading_zeros() as usize) / 8
        } else {
            start + bytes[start..at].iter().rposition(|&b| is_sep(b))? + 1
        };
        // Letters after the last separator are one word, ended at `stop`
        // by what is not plain; it is left to the byte-wise scanner.
        let tail = (stop - cut) as u64;
        Some(Plain {
            len: cut - start,
            words: self.words - u64::from(tail > 0),
            letters: self.letters - tail,
        })
    }
}
