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

fn is_cjk(c: char) -> bool {
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

/// Scanner state: the prosody rate and say-as mode in force.
struct Scan {
    stats: TextStats,
    rates: Vec<u64>,
    say: Vec<SayAs>,
}

impl Scan {
    fn rate(&self) -> u64 {
        self.rates.last().copied().unwrap_or(1000)
    }

    /// Weight of one unit read at the current rate (1000 at normal rate),
    /// rounded up so slow speech is never undercounted.
    fn weight(&self) -> u64 {
        1_000_000u64.div_ceil(self.rate().max(1))
    }

    fn add_words(&mut self, n: u64) {
        let w = self.weight();
        self.stats.words = self.stats.words.saturating_add(n);
        self.stats.words_w = self.stats.words_w.saturating_add(n.saturating_mul(w));
    }

    fn tag(&mut self, tag: Tag) {
        match tag {
            Tag::Break(ms) => self.stats.breaks_ms = self.stats.breaks_ms.saturating_add(ms),
            Tag::ProsodyOpen(rate) => {
                let cur = self.rate();
                self.rates.push(rate.map_or(cur, |r: Rate| r.resolve(cur)));
            }
            Tag::ProsodyClose => {
                self.rates.pop();
            }
            Tag::SayAsOpen(how) => self.say.push(how),
            Tag::SayAsClose => {
                self.say.pop();
            }
            Tag::Other => {}
        }
    }

    /// Counts one run of letters, digits and joiners.
    fn run(&mut self, run: &str) {
        let alnum = run.chars().filter(|c| c.is_alphanumeric()).count() as u64;
        let w = self.weight();
        self.stats.letters = self.stats.letters.saturating_add(alnum);
        self.stats.letters_w = self.stats.letters_w.saturating_add(alnum.saturating_mul(w));
        let mode = self.say.last().copied().unwrap_or(SayAs::Normal);
        if mode == SayAs::Characters {
            self.add_words(alnum);
            return;
        }
        // Most runs have no joiner: no split (and no allocation) for them.
        let words = if run.contains(['-', '\'', '\u{2019}']) {
            split_at_digit_joiners(run)
                .into_iter()
                .map(|piece| piece_words(piece, mode))
                .sum()
        } else {
            piece_words(run, mode)
        };
        self.add_words(words);
    }
}

/// Words of a piece as maximal number and letter segments ("10km" → "10",
/// "km").
fn piece_words(piece: &str, mode: SayAs) -> u64 {
    let mut words = 0u64;
    let mut start = 0;
    let mut cur: Option<bool> = None;
    for (i, c) in piece.char_indices() {
        let digit = is_digit(c) || c == ',' || c == '.';
        if cur.is_some_and(|d| d != digit) {
            words += segment_words(&piece[start..i], cur == Some(true), mode);
            start = i;
        }
        cur = Some(digit);
    }
    if let Some(digit) = cur {
        words += segment_words(&piece[start..], digit, mode);
    }
    words
}

/// Splits a run at hyphens and apostrophes that touch a digit: "2026-12-03"
/// is three numbers, while "well-known" stays one word.
fn split_at_digit_joiners(run: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    let mut chars = run.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let joiner = matches!(c, '\'' | '\u{2019}' | '-');
        let digit_side = prev.is_some_and(is_digit) || next.is_some_and(is_digit);
        if joiner && digit_side {
            pieces.push(&run[start..i]);
            start = i + c.len_utf8();
        }
        prev = Some(c);
    }
    pieces.push(&run[start..]);
    pieces
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

/// Counts what `text` speaks: words, CJK characters and SSML breaks, each
/// weighted by the prosody rate in force.
pub fn analyse(text: &str) -> TextStats {
    let mut scan = Scan {
        stats: TextStats::default(),
        rates: Vec::new(),
        say: Vec::new(),
    };
    let bytes = text.as_bytes();
    let mut run_start: Option<usize> = None;
    let mut prev = ' ';
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        let next_i = i + c.len_utf8();
        let next = text[next_i..].chars().next();
        let in_run = c.is_alphanumeric() && !is_cjk(c);
        if in_run || (run_start.is_some() && joins(prev, c, next)) {
            run_start.get_or_insert(i);
            prev = c;
            i = next_i;
            continue;
        }
        if let Some(start) = run_start.take() {
            scan.run(&text[start..i]);
        }
        prev = c;
        if c == '<' {
            if let Some(len) = ssml::tag_len(&bytes[i + 1..]) {
                scan.tag(ssml::parse(&text[i + 1..i + 1 + len]));
                i += len + 2;
                continue;
            }
        }
        if is_cjk(c) {
            let w = scan.weight();
            scan.stats.cjk_chars += 1;
            scan.stats.cjk_w = scan.stats.cjk_w.saturating_add(w);
        } else if let Some(n) = symbol_words(c) {
            scan.add_words(n);
        }
        i = next_i;
    }
    if let Some(start) = run_start {
        scan.run(&text[start..]);
    }
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
