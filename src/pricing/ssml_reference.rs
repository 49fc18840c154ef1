//! SSML tag reading as it was before the allocation-free rewrite, kept for
//! tests only (see `text_reference`).

use super::ssml::{SayAs, Tag, SSML_TAGS};
use super::ssml_attr::{Rate, DEFAULT_BREAK_MS, MAX_BREAK_MS};

pub(super) fn tag_len(after: &[u8]) -> Option<usize> {
    let first = *after.first()?;
    if !(first.is_ascii_alphabetic() || first == b'/') {
        return None;
    }
    let len = after.iter().position(|&b| b == b'>' || b == b'<')?;
    if after[len] != b'>' {
        return None;
    }
    let name = tag_name(&after[..len]);
    SSML_TAGS
        .iter()
        .any(|t| t.as_bytes().eq_ignore_ascii_case(name))
        .then_some(len)
}

fn tag_name(body: &[u8]) -> &[u8] {
    let body = body.strip_prefix(b"/").unwrap_or(body);
    let end = body
        .iter()
        .position(|&b| b.is_ascii_whitespace() || b == b'/')
        .unwrap_or(body.len());
    &body[..end]
}

/// Interprets a recognised tag body (between `<` and `>`).
pub(super) fn parse(body: &str) -> Tag {
    let closing = body.starts_with('/');
    let self_closing = body.trim_end().ends_with('/');
    let name = String::from_utf8_lossy(tag_name(body.as_bytes())).to_ascii_lowercase();
    let attrs = || attributes(body);
    match (name.as_str(), closing) {
        ("break", false) => Tag::Break(break_ms(attrs())),
        ("prosody", true) => Tag::ProsodyClose,
        ("prosody", false) if !self_closing => {
            let rate = attrs()
                .find(|(k, _)| k == "rate")
                .and_then(|(_, v)| rate(&v));
            Tag::ProsodyOpen(rate)
        }
        ("say-as", true) => Tag::SayAsClose,
        ("say-as", false) if !self_closing => {
            let how = attrs()
                .find(|(k, _)| k == "interpret-as")
                .map(|(_, v)| v.to_ascii_lowercase());
            Tag::SayAsOpen(match how.as_deref() {
                Some("characters" | "spell-out" | "verbatim" | "letters") => SayAs::Characters,
                Some("digits" | "telephone") => SayAs::Digits,
                _ => SayAs::Normal,
            })
        }
        _ => Tag::Other,
    }
}

/// `key="value"`, `key='value'` or `key=value` pairs after the tag name;
/// keys lower-cased. Tolerant: malformed pieces are skipped.
fn attributes(body: &str) -> impl Iterator<Item = (String, String)> + '_ {
    let body = body.trim_start_matches('/');
    let start = body
        .find(|c: char| c.is_whitespace() || c == '/')
        .unwrap_or(body.len());
    let mut rest = &body[start..];
    std::iter::from_fn(move || loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() {
            return None;
        }
        let key_end = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        let key = rest[..key_end].to_ascii_lowercase();
        rest = rest[key_end..].trim_start();
        let Some(after_eq) = rest.strip_prefix('=') else {
            if key_end == 0 {
                // Not a key character at all: skip it so the loop advances.
                let skip = rest.chars().next().map_or(0, char::len_utf8);
                rest = &rest[skip..];
            }
            continue;
        };
        let v = after_eq.trim_start();
        let (value, tail) = match v.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let inner = &v[1..];
                let end = inner.find(q).unwrap_or(inner.len());
                (&inner[..end], &inner[(end + 1).min(inner.len())..])
            }
            _ => {
                let end = v
                    .find(|c: char| c.is_whitespace() || c == '/')
                    .unwrap_or(v.len());
                (&v[..end], &v[end..])
            }
        };
        rest = tail;
        return Some((key, value.trim().to_owned()));
    })
}

/// A break's length: the larger of `time` and `strength` when both are
/// given (engines differ on which wins), the default when neither reads.
fn break_ms(attrs: impl Iterator<Item = (String, String)>) -> u64 {
    let mut best: Option<u64> = None;
    for (k, v) in attrs {
        let ms = match k.as_str() {
            "time" => parse_time_ms(&v.to_ascii_lowercase()),
            "strength" => strength_ms(&v.to_ascii_lowercase()),
            _ => None,
        };
        if let Some(ms) = ms {
            best = Some(best.map_or(ms, |b| b.max(ms)));
        }
    }
    best.unwrap_or(DEFAULT_BREAK_MS)
}

/// SSML break strengths (Azure/Polly figures, rounded up).
fn strength_ms(v: &str) -> Option<u64> {
    Some(match v {
        "none" => 0,
        "x-weak" => 250,
        "weak" => 500,
        "medium" => 750,
        "strong" => 1000,
        "x-strong" => 2000,
        _ => return None,
    })
}

/// `x-slow|slow|medium|fast|x-fast|default`, `NN%` (absolute), `+NN%`/`-NN%`
/// and bare multipliers `0.8` (relative). Unknown values keep the rate.
fn rate(v: &str) -> Option<Rate> {
    let v = v.trim().to_ascii_lowercase();
    let named = match v.as_str() {
        "x-slow" => Some(500),
        "slow" => Some(640),
        "medium" | "default" => Some(1000),
        "fast" => Some(1550),
        "x-fast" => Some(2000),
        _ => None,
    };
    if let Some(r) = named {
        return Some(Rate::Absolute(r));
    }
    if let Some(pct) = v.strip_suffix('%') {
        let (sign, num) = match pct.as_bytes().first() {
            Some(b'+') => (1i64, &pct[1..]),
            Some(b'-') => (-1, &pct[1..]),
            _ => (0, pct),
        };
        let p = parse_milli(num)? / 100; // percent → thousandths of 1.0 … ×10
        let p = p.min(1_000_000);
        return Some(match sign {
            0 => Rate::Absolute(p),
            1 => Rate::Relative(1000 + p),
            _ => Rate::Relative(1000u64.saturating_sub(p)),
        });
    }
    parse_milli(&v).map(|m| Rate::Relative(m.min(1_000_000)))
}

/// A non-negative decimal ×1000 (`"0.8"` → 800, `"50"` → 50000), digits capped.
fn parse_milli(v: &str) -> Option<u64> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let int_v: u64 = if int.len() > 9 {
        999_999_999
    } else {
        int.parse().unwrap_or(0)
    };
    let frac3: String = frac.chars().chain("000".chars()).take(3).collect();
    Some(int_v * 1000 + frac3.parse::<u64>().unwrap_or(0))
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
    let num = num.trim();
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
