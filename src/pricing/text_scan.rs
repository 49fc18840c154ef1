//! The scanner state behind [`super::text::analyse`] and its word runs:
//! what a script contains, counted without allocating (but for nested
//! prosody/say-as); ASCII letters are taken eight at a time, and words are
//! weighted by the prosody rate once per rate change.

use super::ssml::{Rate, SayAs, Tag};
use super::text_plain::Plain;
use super::verbal::{digit_count, is_digit, letters_words, number_words};

/// What a script contains, as far as duration is concerned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextStats {
    /// Spoken words: runs of letters (apostrophes and hyphens join them),
    /// numbers as read aloud, symbols and emoji as their names.
    pub words: u64,
    /// Letters and digits outside CJK: a floor for scripts without word
    /// separators (Thai, Lao, or words glued together) so they are not
    /// projected as one word.
    pub letters: u64,
    /// Han, kana and Hangul characters, each read on its own.
    pub cjk_chars: u64,
    /// Sum of SSML break durations.
    pub breaks_ms: u64,
    /// `words`, `letters` and `cjk_chars` weighted by the prosody rate they
    /// are read at: 1000 each at normal rate, 2000 under `x-slow` (0.5).
    pub words_w: u64,
    pub letters_w: u64,
    pub cjk_w: u64,
}

pub(super) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{11FF}'     // Hangul Jamo
        | '\u{3040}'..='\u{30FF}'   // Hiragana, Katakana
        | '\u{3400}'..='\u{4DBF}'   // CJK Extension A
        | '\u{4E00}'..='\u{9FFF}'   // CJK Unified Ideographs
        | '\u{AC00}'..='\u{D7AF}'   // Hangul syllables
        | '\u{F900}'..='\u{FAFF}'   // CJK compatibility ideographs
        | '\u{20000}'..='\u{2FFFF}' // CJK Extensions B–F
    )
}

/// Characters that keep a word going when letters or digits follow:
/// apostrophes and hyphens in words, `,`/`.` inside numbers.
fn joins(prev: char, c: char, next: Option<char>) -> bool {
    let Some(next) = next else { return false };
    match c {
        '\'' | '\u{2019}' | '-' => prev.is_alphanumeric() && next.is_alphanumeric(),
        ',' | '.' => is_digit(prev) && is_digit(next),
        _ => false,
    }
}

/// A letter or digit that belongs to a word run (CJK is read per character).
pub(super) fn in_run(c: char) -> bool {
    !is_cjk(c) && c.is_alphanumeric()
}

/// Scanner state: the prosody rate and say-as mode in force.
pub(super) struct Scan {
    pub(super) stats: TextStats,
    rates: Vec<u64>,
    say: Vec<SayAs>,
    /// The say-as mode in force (the top of `say`).
    mode: SayAs,
    /// [`Scan::weight_of`] the rate in force, kept as the rate changes.
    weight: u64,
    /// Words, letters and CJK characters read since the rate last changed:
    /// weighted once when it changes (a multiplication per word, and a
    /// division for the weight, were a third of the scan).
    pending: [u64; 3],
}

impl Scan {
    pub(super) fn new() -> Self {
        Scan {
            stats: TextStats::default(),
            rates: Vec::new(),
            say: Vec::new(),
            mode: SayAs::Normal,
            weight: 1000,
            pending: [0; 3],
        }
    }

    fn rate(&self) -> u64 {
        self.rates.last().copied().unwrap_or(1000)
    }

    /// Weight of one unit read at `rate` (1000 at normal rate), rounded up
    /// so slow speech is never undercounted.
    fn weight_of(rate: u64) -> u64 {
        1_000_000u64.div_ceil(rate.max(1))
    }

    /// Adds what was read at the current rate to the weighted totals.
    pub(super) fn flush(&mut self) {
        let [words, letters, cjk] = std::mem::take(&mut self.pending);
        let w = self.weight;
        let s = &mut self.stats;
        s.words_w = s.words_w.saturating_add(words.saturating_mul(w));
        s.letters_w = s.letters_w.saturating_add(letters.saturating_mul(w));
        s.cjk_w = s.cjk_w.saturating_add(cjk.saturating_mul(w));
    }

    pub(super) fn add_words(&mut self, n: u64) {
        self.stats.words = self.stats.words.saturating_add(n);
        self.pending[0] = self.pending[0].saturating_add(n);
    }

    pub(super) fn add_letters(&mut self, n: u64) {
        self.stats.letters = self.stats.letters.saturating_add(n);
        self.pending[1] = self.pending[1].saturating_add(n);
    }

    pub(super) fn add_cjk(&mut self) {
        self.stats.cjk_chars = self.stats.cjk_chars.saturating_add(1);
        self.pending[2] = self.pending[2].saturating_add(1);
    }

    /// A run of ASCII letters alone (the common word).
    pub(super) fn word(&mut self, w: &str) {
        let n = w.len() as u64;
        self.add_letters(n);
        self.add_words(if self.mode == SayAs::Characters {
            n
        } else {
            letters_words(w)
        });
    }

    /// Plain words read by [`super::text_plain::take`].
    pub(super) fn plain(&mut self, p: Plain) {
        self.add_letters(p.letters);
        self.add_words(if self.mode == SayAs::Characters {
            p.letters
        } else {
            p.words
        });
    }

    pub(super) fn tag(&mut self, tag: Tag) {
        match tag {
            Tag::Break(ms) => self.stats.breaks_ms = self.stats.breaks_ms.saturating_add(ms),
            Tag::ProsodyOpen(rate) => {
                self.flush();
                let cur = self.rate();
                self.rates.push(rate.map_or(cur, |r: Rate| r.resolve(cur)));
                self.weight = Scan::weight_of(self.rate());
            }
            Tag::ProsodyClose => {
                self.flush();
                self.rates.pop();
                self.weight = Scan::weight_of(self.rate());
            }
            Tag::SayAsOpen(how) => {
                self.say.push(how);
                self.mode = how;
            }
            Tag::SayAsClose => {
                self.say.pop();
                self.mode = self.say.last().copied().unwrap_or(SayAs::Normal);
            }
            Tag::Other => {}
        }
    }

    /// Counts the run of letters, digits and joiners starting at `start`
    /// (a letter or digit) and returns where it ends. A run is cut into
    /// pieces at hyphens and apostrophes that touch a digit ("2026-12-03"
    /// is three numbers, "well-known" one word), and each piece into
    /// maximal number and letter segments ("10km" → "10", "km"), each
    /// counted as it closes; stretches of ASCII letters or digits are taken
    /// a byte at a time.
    pub(super) fn run(&mut self, text: &str, start: usize) -> usize {
        let bytes = text.as_bytes();
        let mode = self.mode;
        let (mut alnum, mut words) = (0u64, 0u64);
        let mut seg_start = start;
        // The class of the open segment (digits, `,`, `.` vs the rest).
        let mut seg: Option<bool> = None;
        let mut prev = '\0';
        let mut i = start;
        while let Some(&b) = bytes.get(i) {
            let (c, len) = if b.is_ascii_alphanumeric() {
                let digit = b.is_ascii_digit();
                let same = |x: &u8| {
                    if digit {
                        x.is_ascii_digit()
                    } else {
                        x.is_ascii_alphabetic()
                    }
                };
                let end = i + 1 + bytes[i + 1..].iter().take_while(|x| same(x)).count();
                if seg.is_some_and(|d| d != digit) {
                    words += segment_words(&text[seg_start..i], !digit, mode);
                    seg_start = i;
                }
                seg = Some(digit);
                alnum += (end - i) as u64;
                prev = char::from(bytes[end - 1]);
                i = end;
                continue;
            } else if b < 0x80 {
                // Other ASCII never continues a word: only these join.
                if !matches!(b, b'\'' | b'-' | b',' | b'.') {
                    break;
                }
                (char::from(b), 1)
            } else {
                match text[i..].chars().next() {
                    Some(c) => (c, c.len_utf8()),
                    None => break,
                }
            };
            let next_i = i + len;
            if in_run(c) {
                alnum += 1;
            } else {
                let next = text[next_i..].chars().next();
                if i == start || !joins(prev, c, next) {
                    break;
                }
                let joiner = matches!(c, '\'' | '\u{2019}' | '-');
                if joiner && (is_digit(prev) || next.is_some_and(is_digit)) {
                    if let Some(d) = seg.take() {
                        words += segment_words(&text[seg_start..i], d, mode);
                    }
                    seg_start = next_i;
                    prev = c;
                    i = next_i;
                    continue;
                }
            }
            let digit = is_digit(c) || c == ',' || c == '.';
            if seg.is_some_and(|d| d != digit) {
                words += segment_words(&text[seg_start..i], !digit, mode);
                seg_start = i;
            }
            seg = Some(digit);
            prev = c;
            i = next_i;
        }
        if let Some(d) = seg {
            words += segment_words(&text[seg_start..i], d, mode);
        }
        self.add_letters(alnum);
        self.add_words(if mode == SayAs::Characters {
            alnum
        } else {
            words
        });
        i
    }
}

fn segment_words(seg: &str, digits: bool, mode: SayAs) -> u64 {
    if digits && mode == SayAs::Digits {
        digit_count(seg)
    } else if digits {
        number_words(seg)
    } else {
        letters_words(seg)
    }
}

/// How many ASCII letters `b` starts with, eight bytes at a time.
pub(super) fn ascii_letters(b: &[u8]) -> usize {
    use super::swar::{word_at, HIGH, LOW7};
    let mut n = 0;
    while let Some(w) = word_at(b, n) {
        // Per byte: fold case, then `x >= b'a'` and `x > b'z'` as the high
        // bit of x + 0x1F and x + 0x05 (no carry: x < 0x80); non-ASCII
        // bytes are not letters.
        let x = (w | 0x2020_2020_2020_2020) & LOW7;
        let ge_a = x + 0x1F1F_1F1F_1F1F_1F1F;
        let past_z = x + 0x0505_0505_0505_0505;
        let letters = ge_a & !past_z & !w & HIGH;
        if letters != HIGH {
            return n + ((!letters & HIGH).trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + b[n..]
        .iter()
        .take_while(|x| x.is_ascii_alphabetic())
        .count()
}
