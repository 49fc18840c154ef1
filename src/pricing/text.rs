//! Speech-length estimation for TTS scripts: words at a words-per-minute
//! rate, CJK characters at a characters-per-second rate, plus SSML
//! `<break time="…"/>` pauses. Integer milliseconds; linear time in the
//! length of the text (tags are only looked for within a bounded window).

use super::book::Projection;

/// What a script contains, as far as duration is concerned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextStats {
    /// Runs of letters and digits (apostrophes and hyphens join a word;
    /// whitespace and punctuation end it).
    pub words: u64,
    /// Letters and digits outside CJK: a floor for scripts without word
    /// separators (Thai, Lao, or words glued together) so they are not
    /// projected as one word.
    pub letters: u64,
    /// Han, kana and Hangul characters, each read on its own.
    pub cjk_chars: u64,
    /// Sum of SSML break durations.
    pub breaks_ms: u64,
}

/// Longest SSML tag considered; longer `<…>` runs are read as text.
const MAX_TAG_BYTES: usize = 256;
/// A `<break>` without a readable `time` counts as one second (errs high).
const DEFAULT_BREAK_MS: u64 = 1000;
/// One break never counts for more than an hour.
const MAX_BREAK_MS: u64 = 3_600_000;
/// Letters per spoken word for the floor: English averages about 4.7, so
/// ordinary text is counted by its words and only unseparated text by this.
const LETTERS_PER_WORD: u64 = 8;
/// SSML elements whose tags are markup, not speech. Anything else in `<…>`
/// is read as text, so wrapping a script in brackets does not hide it.
const SSML_TAGS: &[&str] = &[
    "break", "prosody", "emphasis", "say-as", "phoneme", "sub", "voice", "speak", "p", "s", "lang",
    "mark", "audio", "w",
];

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

/// Counts words, CJK characters and SSML breaks in `text`.
pub fn analyse(text: &str) -> TextStats {
    let mut stats = TextStats::default();
    let mut word_has_alnum = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        if c == '<' {
            if let Some(len) = tag_len(&bytes[i + 1..]) {
                let tag = &text[i + 1..i + 1 + len];
                stats.words += u64::from(word_has_alnum);
                word_has_alnum = false;
                if let Some(ms) = break_ms(tag) {
                    stats.breaks_ms = stats.breaks_ms.saturating_add(ms);
                }
                i += len + 2;
                continue;
            }
        }
        if is_cjk(c) {
            stats.words += u64::from(word_has_alnum);
            word_has_alnum = false;
            stats.cjk_chars += 1;
        } else if c.is_alphanumeric() {
            word_has_alnum = true;
            stats.letters += 1;
        } else if !matches!(c, '\'' | '\u{2019}' | '-') {
            stats.words += u64::from(word_has_alnum);
            word_has_alnum = false;
        }
        i += c.len_utf8();
    }
    stats.words += u64::from(word_has_alnum);
    stats
}

/// Length of the tag body after a `<` if it looks like markup (`<break …/>`,
/// `</prosody>`): starts with a letter or `/` and closes within the window.
fn tag_len(after: &[u8]) -> Option<usize> {
    let first = *after.first()?;
    if !(first.is_ascii_alphabetic() || first == b'/') {
        return None;
    }
    let window = &after[..after.len().min(MAX_TAG_BYTES)];
    let len = window.iter().position(|&b| b == b'>')?;
    // `<` inside means this was not one tag.
    if window[..len].contains(&b'<') {
        return None;
    }
    let body = window[..len].strip_prefix(b"/").unwrap_or(&window[..len]);
    let name_len = body
        .iter()
        .position(|&b| b.is_ascii_whitespace() || b == b'/')
        .unwrap_or(body.len());
    let name = body[..name_len].to_ascii_lowercase();
    SSML_TAGS
        .iter()
        .any(|t| t.as_bytes() == name.as_slice())
        .then_some(len)
}

/// Duration of a `break` tag body (`break time="1.5s"/`), `None` for other tags.
fn break_ms(tag: &str) -> Option<u64> {
    let lower = tag.to_ascii_lowercase();
    let rest = lower.strip_prefix("break")?;
    if !(rest.is_empty() || rest.starts_with(|c: char| c.is_whitespace() || c == '/')) {
        return None;
    }
    let Some(pos) = rest.find("time") else {
        return Some(DEFAULT_BREAK_MS);
    };
    let value = rest[pos + 4..].trim_start();
    let value = value.strip_prefix('=').map(str::trim_start).unwrap_or("");
    let value = value.trim_start_matches(['"', '\'']);
    let end = value
        .find(|c: char| c == '"' || c == '\'' || c == '/' || c.is_whitespace())
        .unwrap_or(value.len());
    Some(parse_time_ms(&value[..end]).unwrap_or(DEFAULT_BREAK_MS))
}

/// `"1.5s"` → 1500, `"500ms"` → 500, `"2"` → 2000 (seconds), rounded up.
fn parse_time_ms(v: &str) -> Option<u64> {
    let (num, scale_ms) = if let Some(n) = v.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1000)
    } else {
        (v, 1000)
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Cap the digits so the arithmetic below cannot overflow.
    let int_v: u64 = if int.len() > 9 {
        999_999_999
    } else {
        int.parse().unwrap_or(0)
    };
    let frac = &frac[..frac.len().min(6)];
    let frac_v: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse().unwrap_or(0)
    };
    let frac_den = 10u64.pow(frac.len() as u32);
    let ms = int_v * scale_ms + (frac_v * scale_ms).div_ceil(frac_den);
    Some(ms.min(MAX_BREAK_MS))
}

/// Speech time of `stats` at `speed_milli` (1000 = normal), without breaks
/// or safety factor: words ÷ (wpm × speed) + CJK chars ÷ (cps × speed).
pub fn speech_ms(stats: &TextStats, p: &Projection, speed_milli: u64) -> u64 {
    let speed = u128::from(speed_milli.max(1));
    let words = stats.words.max(stats.letters.div_ceil(LETTERS_PER_WORD));
    let words = u128::from(words) * 60_000_000_000;
    let words_ms = words.div_ceil(u128::from(p.wpm_milli.max(1)) * speed);
    let cjk = u128::from(stats.cjk_chars) * 1_000_000_000;
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
