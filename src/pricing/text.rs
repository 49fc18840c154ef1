//! Speech-length estimation for TTS scripts: what the engine *speaks* —
//! words, verbalised numbers and symbols ([`super::verbal`]), CJK characters
//! — at a words-per-minute rate, scaled by SSML `<prosody rate>`, plus SSML
//! `<break>` pauses ([`super::ssml`]). Integer milliseconds; one linear pass.

use super::book::Projection;
use super::ssml::{self, Rate, SayAs, Tag};
use super::verbal::{digit_count, is_digit, letters_words, number_words, symbol_words};

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

/// Letters per spoken word for the floor: English averages about 4.7, so
/// ordinary text is counted by its words and only unseparated text by this.
const LETTERS_PER_WORD: u64 = 8;

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
fn in_run(c: char) -> bool {
    !is_cjk(c) && c.is_alphanumeric()
}

/// Scanner state: the prosody rate and say-as mode in force.
struct Scan {
    stats: TextStats,
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
    fn new() -> Self {
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
    fn flush(&mut self) {
        let [words, letters, cjk] = std::mem::take(&mut self.pending);
        let w = self.weight;
        let s = &mut self.stats;
        s.words_w = s.words_w.saturating_add(words.saturating_mul(w));
        s.letters_w = s.letters_w.saturating_add(letters.saturating_mul(w));
        s.cjk_w = s.cjk_w.saturating_add(cjk.saturating_mul(w));
    }

    fn add_words(&mut self, n: u64) {
        self.stats.words = self.stats.words.saturating_add(n);
        self.pending[0] = self.pending[0].saturating_add(n);
    }

    fn add_letters(&mut self, n: u64) {
        self.stats.letters = self.stats.letters.saturating_add(n);
        self.pending[1] = self.pending[1].saturating_add(n);
    }

    fn add_cjk(&mut self) {
        self.stats.cjk_chars = self.stats.cjk_chars.saturating_add(1);
        self.pending[2] = self.pending[2].saturating_add(1);
    }

    /// A run of ASCII letters alone (the common word).
    fn word(&mut self, w: &str) {
        let n = w.len() as u64;
        self.add_letters(n);
        self.add_words(if self.mode == SayAs::Characters {
            n
        } else {
            letters_words(w)
        });
    }

    fn tag(&mut self, tag: Tag) {
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
    fn run(&mut self, text: &str, start: usize) -> usize {
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
fn ascii_letters(b: &[u8]) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let mut n = 0;
    while let Some(chunk) = b.get(n..n + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
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
        if in_run(c) {
            i = scan.run(text, i);
            continue;
        }
        if is_cjk(c) {
            scan.add_cjk();
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
    let speed = u128::from(speed_milli.max(1));
    let words = stats
        .words_w
        .max(stats.letters_w.div_ceil(LETTERS_PER_WORD));
    // words_w is in thousandths of a word: ×60 000 ms/min ×1000 (wpm_milli)
    // ×1000 (speed_milli) ÷ 1000.
    let words = u128::from(words) * 60_000_000;
    let words_ms = words.div_ceil(u128::from(p.wpm_milli.max(1)) * speed);
    let cjk = u128::from(stats.cjk_w) * 1_000_000;
    let cjk_ms = cjk.div_ceil(u128::from(p.cjk_cps_milli.max(1)) * speed);
    u64::try_from(words_ms + cjk_ms).unwrap_or(u64::MAX)
}

/// Projected length of a spoken script: speech × safety factor + breaks.
pub fn script_ms(text: &str, p: &Projection, speed_milli: u64) -> u64 {
    let stats = analyse(text);
    with_safety(speech_ms(&stats, p, speed_milli), p).saturating_add(stats.breaks_ms)
}

/// Applies the safety factor (rounded up) to an estimate.
pub fn with_safety(ms: u64, p: &Projection) -> u64 {
    let v = (u128::from(ms) * u128::from(p.safety_permille)).div_ceil(1000);
    u64::try_from(v).unwrap_or(u64::MAX)
}
