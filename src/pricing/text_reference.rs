//! The text scanner as it was before the single-pass rewrite (allocating,
//! char by char), kept for tests only: the differential property test in
//! `tests_text` checks the fast scanner against it on random scripts.

use super::ssml::{Rate, SayAs, Tag};
use super::ssml_reference::{parse, tag_len};
use super::text_scan::{is_cjk, TextStats};
use super::verbal::{digit_value, is_digit, symbol_words};

fn joins(prev: char, c: char, next: Option<char>) -> bool {
    let Some(next) = next else { return false };
    match c {
        '\'' | '\u{2019}' | '-' => prev.is_alphanumeric() && next.is_alphanumeric(),
        ',' | '.' => is_digit(prev) && is_digit(next),
        _ => false,
    }
}

struct Scan {
    stats: TextStats,
    rates: Vec<u64>,
    say: Vec<SayAs>,
}

impl Scan {
    fn rate(&self) -> u64 {
        self.rates.last().copied().unwrap_or(1000)
    }

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

/// The old `text::analyse`.
pub(super) fn analyse(text: &str) -> TextStats {
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
            if let Some(len) = tag_len(&bytes[i + 1..]) {
                scan.tag(parse(&text[i + 1..i + 1 + len]));
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

fn letters_words(run: &str) -> u64 {
    let n = run.chars().count() as u64;
    if (2..=5).contains(&n) && run.bytes().all(|b| b.is_ascii_uppercase()) {
        return n;
    }
    const SPOKEN_LONGER: [(&str, u64); 5] = [
        ("etc", 2),
        ("approx", 2),
        ("mph", 3),
        ("kph", 3),
        ("rpm", 3),
    ];
    SPOKEN_LONGER
        .iter()
        .find(|(w, _)| run.eq_ignore_ascii_case(w))
        .map_or(1, |(_, n)| *n)
}

fn number_words(token: &str) -> u64 {
    let parts: Vec<&str> = token.split('.').collect();
    match parts.as_slice() {
        [int] => integer_words(int),
        [int, frac] => integer_words(int) + 1 + digit_count(frac),
        many => {
            let sum = many.iter().map(|p| integer_words(p)).sum::<u64>();
            sum + many.len() as u64 - 1
        }
    }
}

fn digit_count(s: &str) -> u64 {
    s.chars().filter(|&c| is_digit(c)).count() as u64
}

fn integer_words(s: &str) -> u64 {
    let digits: Vec<u8> = s.chars().filter_map(digit_value).collect();
    match digits.as_slice() {
        [] => 0,
        [0, _, ..] => digits.len() as u64,
        d => cardinal_words(d),
    }
}

/// The old `verbal::cardinal_words`.
pub(super) fn cardinal_words(digits: &[u8]) -> u64 {
    if digits.iter().all(|&d| d == 0) {
        return 1;
    }
    let val = |d: u8| u64::from(d.min(9));
    let mut words = 0u64;
    let groups = digits.len().div_ceil(3);
    let first = digits.len() - (groups - 1) * 3;
    let mut start = 0;
    for g in 0..groups {
        let len = if g == 0 { first } else { 3 };
        let group = &digits[start..start + len];
        start += len;
        let v = group.iter().fold(0u64, |a, &d| a * 10 + val(d));
        if v == 0 {
            continue;
        }
        let (hundreds, rest) = (v / 100, v % 100);
        words += if hundreds > 0 { 2 } else { 0 };
        words += match rest {
            0 => 0,
            1..=20 => 1,
            r if r % 10 == 0 => 1,
            _ => 2,
        };
        words += u64::from(g + 1 < groups);
    }
    words
}
