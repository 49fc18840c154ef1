//! The fast path of [`super::text::analyse`] for ordinary prose: 64 bytes
//! at a time are classified into ASCII letters, silent separators and
//! everything else ([`super::blocks`], one bit per byte), and words are
//! counted by their first letters.
//!
//! A stretch taken here is what the byte-wise scanner would read as plain
//! words and silent bytes: it ends before the first byte that is neither an
//! ASCII letter nor a separator (controls, space, `!`, `"`, `,`, `.`) —
//! digits, joiners `'`/`-`, spoken symbols, `<`, non-ASCII — and is then cut
//! after its last separator, so no word is taken without its end. Blocks are
//! taken whole and carry their last byte's classes to the next, so the loop
//! never waits on where a word ends. Acronyms and abbreviations (the words
//! [`letters_words`] reads as more than one) are rare: a word that could be
//! one is flagged by its first letters and looked at on its own.

use super::blocks::{classify, Classes, BLOCK};
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
/// Must agree with `sep` in [`super::blocks::Classes`].
pub(super) fn is_sep(b: u8) -> bool {
    b < 0x23 || b == b',' || b == b'.'
}

/// The running state of [`take`]: counts, and the classes of the previous
/// block's last byte moved to where they continue this block (bit 0).
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
    /// Counts the bytes of block `c` (at `at` in `text`) that `keep` keeps.
    #[inline(always)]
    fn add(&mut self, text: &str, at: usize, c: &Classes, keep: u64) {
        let letter = c.letter & keep;
        let first = letter & !((letter << 1) | self.letter);
        self.words += u64::from(first.count_ones());
        self.letters += u64::from(letter.count_ones());
        // A capital (an acronym?) or `p`/`t` (an abbreviation?) second in a
        // word: flagged, then looked at. Other words are read as one.
        let second = letter & ((first << 1) | self.first);
        let mut flags = second & c.suspect;
        while flags != 0 {
            let flag = at + flags.trailing_zeros() as usize;
            if flag >= self.checked {
                let (extra, end) = look_at(text, self.start, flag);
                self.words += extra;
                self.checked = end;
            }
            flags &= flags - 1;
        }
        self.letter = letter >> (BLOCK - 1);
        self.first = first >> (BLOCK - 1);
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
    let (blocks, rest) = bytes[start..].as_chunks::<BLOCK>();
    let mut at = start;
    for block in blocks {
        let c = classify(block);
        if c.other != 0 {
            return s.finish(text, start, at, &c);
        }
        s.add(text, at, &c, u64::MAX);
        at += BLOCK;
    }
    // The last bytes, padded with zeros: separators, as the end is.
    let mut last = [0u8; BLOCK];
    last[..rest.len()].copy_from_slice(rest);
    s.finish(text, start, at, &classify(&last))
}

impl State {
    /// Counts the last block `c` (at `at`) up to its first `other` byte,
    /// and cuts the stretch after its last separator.
    fn finish(mut self, text: &str, start: usize, at: usize, c: &Classes) -> Option<Plain> {
        let bytes = text.as_bytes();
        // The bytes before the first `other` one (all when there is none).
        let keep = (c.other & c.other.wrapping_neg()).wrapping_sub(1);
        self.add(text, at, c, keep);
        let stop = (at + c.other.trailing_zeros() as usize).min(bytes.len());
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
            at + BLOCK - seps.leading_zeros() as usize
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
