//! How many words a TTS engine speaks for what is not a plain word: digit
//! runs ("999999999999" is nineteen words, not one), symbols (`%` is
//! "percent"), currencies, emoji, acronyms and a few abbreviations.
//!
//! Only word *counts* are needed, so this is a small table rather than a
//! number-to-words crate (`num2words` 1.2 exists, but it converts machine
//! numbers to strings, while scripts hold digit runs of any length and only
//! their count matters): no strings are built, and every function is linear
//! in its input. Counts err high where engines differ (an emoji may be read
//! as its name, "NASA" may be spelled out).

/// The value of a decimal digit in the scripts TTS engines read as numbers:
/// ASCII, fullwidth (common in CJK text), Arabic-Indic, Extended
/// Arabic-Indic and Devanagari. Without this, a run of non-ASCII digits
/// would count as one word.
pub(super) fn digit_value(c: char) -> Option<u8> {
    let zero = match c {
        '0'..='9' => '0',
        '\u{FF10}'..='\u{FF19}' => '\u{FF10}',
        '\u{0660}'..='\u{0669}' => '\u{0660}',
        '\u{06F0}'..='\u{06F9}' => '\u{06F0}',
        '\u{0966}'..='\u{096F}' => '\u{0966}',
        _ => return None,
    };
    u8::try_from(c as u32 - zero as u32).ok()
}

pub(super) fn is_digit(c: char) -> bool {
    digit_value(c).is_some()
}

/// Words spoken for one symbol character outside a word, or `None` when the
/// engine is silent on it (punctuation).
pub(super) fn symbol_words(c: char) -> Option<u64> {
    let n = match c {
        // percent, and, plus, at, number, equals, degrees, times, section,
        // copyright, registered, infinity, per (slash in units is not read).
        '%' | '&' | '+' | '@' | '#' | '=' | '°' | '×' | '§' | '©' | '®' | '∞' => 1,
        // Currencies: "dollars", "euros", …
        '$' | '€' | '£' | '¥' | '₹' | '₩' | '₽' | '¢' | '₿' | '₺' | '₴' | '₦' | '₱' | '₫' | '₪' => {
            1
        }
        // "per mille", "divided by", "trade mark", "one half", "square root".
        '‰' | '÷' | '™' | '½' | '¼' | '¾' | '√' => 2,
        // "plus or minus", "not equal to", "approximately equal to".
        '±' | '≠' | '≈' => 3,
        // "less than or equal to".
        '≤' | '≥' => 4,
        _ if is_emoji(c) => 2,
        _ => return None,
    };
    Some(n)
}

/// Pictographs engines may read by name ("grinning face"): two words each.
fn is_emoji(c: char) -> bool {
    matches!(c,
        '\u{1F000}'..='\u{1FAFF}'   // emoticons, pictographs, transport, flags, …
        | '\u{2600}'..='\u{27BF}'   // miscellaneous symbols, dingbats
        | '\u{2B00}'..='\u{2BFF}'   // arrows and stars (⭐)
    )
}

/// Abbreviations spoken as more than one word. The prose fast path
/// (`text_plain`) reads on its own only a word whose second letter is a
/// capital or `p`/`t`: an entry added here must keep to that (a test says
/// so) or the fast path learn its letter.
pub(super) const SPOKEN_LONGER: [(&str, u64); 5] = [
    // "et cetera", "approximately" (five syllables).
    ("etc", 2),
    ("approx", 2),
    // "miles per hour", "kilometres per hour", "revolutions per minute".
    ("mph", 3),
    ("kph", 3),
    ("rpm", 3),
];

/// Words of a letter run: acronyms (2–5 capitals) are spelled letter by
/// letter, a few abbreviations expand, anything else is one word. Reads
/// bytes only: all-capital runs are ASCII, and the abbreviations are 3 or 6
/// bytes long.
#[inline]
pub(super) fn letters_words(run: &str) -> u64 {
    let len = run.len();
    if (2..=5).contains(&len) && run.bytes().all(|b| b.is_ascii_uppercase()) {
        return len as u64;
    }
    if len != 3 && len != 6 {
        return 1;
    }
    // Compared without lower-casing a copy: this runs for every word.
    SPOKEN_LONGER
        .iter()
        .find(|(w, _)| run.eq_ignore_ascii_case(w))
        .map_or(1, |(_, n)| *n)
}

/// Words of a number token made of digits, `,` and `.` (as scanned:
/// it starts and ends with a digit). `1,000,000` is one number; `3.14` is
/// "three point one four"; `1.2.3` is "one dot two dot three".
pub(super) fn number_words(token: &str) -> u64 {
    match token.split_once('.') {
        None => integer_words(token),
        Some((int, frac)) if !frac.contains('.') => integer_words(int) + 1 + digit_count(frac),
        Some(_) => {
            let parts = token.split('.');
            let dots = token.bytes().filter(|&b| b == b'.').count() as u64;
            parts.map(integer_words).sum::<u64>() + dots
        }
    }
}

pub(super) fn digit_count(s: &str) -> u64 {
    if s.is_ascii() {
        return s.bytes().filter(u8::is_ascii_digit).count() as u64;
    }
    s.chars().filter(|&c| is_digit(c)).count() as u64
}

/// An integer with optional `,` separators. Leading zeros ("007", phone
/// numbers) are read digit by digit; otherwise as a cardinal.
fn integer_words(s: &str) -> u64 {
    let n = digit_count(s);
    let mut digits = s.chars().filter_map(digit_value);
    match digits.next() {
        None => 0,
        Some(0) if n >= 2 => n,
        Some(first) => cardinal(std::iter::once(first).chain(digits), n),
    }
}

/// Words of a cardinal in English (`digits` are values 0–9): per group of three, "nine hundred" (2)
/// plus the tens ("ninety nine": 2, "nineteen": 1) plus its scale word
/// ("billion"). Numbers past the named scales still count a scale word per
/// group, which errs high.
#[cfg(test)]
pub(super) fn cardinal_words(digits: &[u8]) -> u64 {
    cardinal(digits.iter().copied(), digits.len() as u64)
}

/// [`cardinal_words`] over the `len` digits `digits` yields, in one pass.
fn cardinal(digits: impl Iterator<Item = u8>, len: u64) -> u64 {
    let groups = len.div_ceil(3);
    // The first group may be shorter than three digits.
    let mut group_len = len - groups.saturating_sub(1) * 3;
    let (mut words, mut g, mut filled, mut v) = (0u64, 0u64, 0u64, 0u64);
    let mut all_zero = true;
    for d in digits {
        v = v * 10 + u64::from(d.min(9));
        filled += 1;
        if filled < group_len {
            continue;
        }
        if v != 0 {
            all_zero = false;
            let (hundreds, rest) = (v / 100, v % 100);
            words += if hundreds > 0 { 2 } else { 0 };
            words += match rest {
                0 => 0,
                1..=20 => 1,
                r if r % 10 == 0 => 1,
                _ => 2,
            };
            // Every group but the last carries a scale word.
            words += u64::from(g + 1 < groups);
        }
        (g, filled, v, group_len) = (g + 1, 0, 0, 3);
    }
    if all_zero {
        1 // "zero"
    } else {
        words
    }
}
