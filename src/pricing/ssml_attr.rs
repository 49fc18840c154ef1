//! Reading the attributes of an SSML tag (`time`, `strength`, `rate`,
//! `interpret-as`) in place: keys and values compare without letter case,
//! nothing is copied, padding is skipped eight bytes at a time.

/// A `<break>` without a readable `time` or `strength` counts as one second
/// (errs high; SSML's default is "medium").
pub(super) const DEFAULT_BREAK_MS: u64 = 1000;
/// One break never counts for more than an hour.
pub(super) const MAX_BREAK_MS: u64 = 3_600_000;
/// Prosody rates are clamped to what engines accept (20 %–200 %, thousandths).
const MIN_RATE: u64 = 200;
const MAX_RATE: u64 = 2000;

/// A prosody rate: absolute thousandths, or relative to the enclosing rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rate {
    Absolute(u64),
    /// Per mille of the enclosing rate (`+20%` → 1200, `0.8` → 800).
    Relative(u64),
}

impl Rate {
    /// The rate in thousandths given the enclosing one, clamped.
    pub(super) fn resolve(self, enclosing: u64) -> u64 {
        let r = match self {
            Rate::Absolute(r) => r,
            Rate::Relative(p) => enclosing.saturating_mul(p) / 1000,
        };
        r.clamp(MIN_RATE, MAX_RATE)
    }
}

/// `char::is_whitespace` for an ASCII byte.
fn ascii_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

/// Bytes of `s` before the first char that is whitespace or one of `stops`
/// (ASCII), i.e. `s.find(|c| c.is_whitespace() || stops…)`, without
/// decoding ASCII.
fn until_ws_or(s: &str, stops: &[u8]) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(&x) = b.get(i) {
        if x < 0x80 {
            if ascii_ws(x) || stops.contains(&x) {
                return i;
            }
            i += 1;
        } else {
            match s[i..].chars().next() {
                Some(c) if c.is_whitespace() => return i,
                Some(c) => i += c.len_utf8(),
                None => break,
            }
        }
    }
    b.len()
}

/// `s.trim_start_matches(|c| c.is_whitespace() || c == '/')`, skipping runs
/// of spaces eight at a time (padding).
fn skip_ws_slash(s: &str) -> &str {
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        while b.get(i..i + 8).is_some_and(|w| w == b"        ") {
            i += 8;
        }
        match b.get(i) {
            Some(&x) if x < 0x80 => {
                if !(ascii_ws(x) || x == b'/') {
                    break;
                }
                i += 1;
            }
            Some(_) => match s[i..].chars().next() {
                Some(c) if c.is_whitespace() => i += c.len_utf8(),
                _ => break,
            },
            None => break,
        }
    }
    &s[i..]
}

/// `key="value"`, `key='value'` or `key=value` pairs after the tag name,
/// borrowed as written (compare keys without case). Tolerant: malformed
/// pieces are skipped.
pub(super) fn attributes(body: &str) -> impl Iterator<Item = (&str, &str)> + '_ {
    let body = body.trim_start_matches('/');
    let mut rest = &body[until_ws_or(body, b"/")..];
    std::iter::from_fn(move || loop {
        rest = skip_ws_slash(rest);
        if rest.is_empty() {
            return None;
        }
        let key_end = until_ws_or(rest, b"=/");
        let key = &rest[..key_end];
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
                let end = until_ws_or(v, b"/");
                (&v[..end], &v[end..])
            }
        };
        rest = tail;
        return Some((key, value.trim()));
    })
}

/// A break's length: the larger of `time` and `strength` when both are
/// given (engines differ on which wins), the default when neither reads.
pub(super) fn break_ms<'a>(attrs: impl Iterator<Item = (&'a str, &'a str)>) -> u64 {
    let mut best: Option<u64> = None;
    for (k, v) in attrs {
        let ms = if k.eq_ignore_ascii_case("time") {
            parse_time_ms(v)
        } else if k.eq_ignore_ascii_case("strength") {
            strength_ms(v)
        } else {
            None
        };
        if let Some(ms) = ms {
            best = Some(best.map_or(ms, |b| b.max(ms)));
        }
    }
    best.unwrap_or(DEFAULT_BREAK_MS)
}

/// SSML break strengths (Azure/Polly figures, rounded up), any letter case.
fn strength_ms(v: &str) -> Option<u64> {
    const STRENGTHS: [(&str, u64); 6] = [
        ("none", 0),
        ("x-weak", 250),
        ("weak", 500),
        ("medium", 750),
        ("strong", 1000),
        ("x-strong", 2000),
    ];
    STRENGTHS
        .iter()
        .find(|(name, _)| v.eq_ignore_ascii_case(name))
        .map(|&(_, ms)| ms)
}

/// `x-slow|slow|medium|fast|x-fast|default` (any case), `NN%` (absolute),
/// `+NN%`/`-NN%` and bare multipliers `0.8` (relative). Unknown values keep
/// the rate.
pub(super) fn rate(v: &str) -> Option<Rate> {
    let v = v.trim();
    const NAMED: [(&str, u64); 6] = [
        ("x-slow", 500),
        ("slow", 640),
        ("medium", 1000),
        ("default", 1000),
        ("fast", 1550),
        ("x-fast", 2000),
    ];
    if let Some(&(_, r)) = NAMED.iter().find(|(n, _)| v.eq_ignore_ascii_case(n)) {
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
    parse_milli(v).map(|m| Rate::Relative(m.min(1_000_000)))
}

/// `int.frac` of ASCII digits (either part may be empty, not both), with
/// at most nine integer digits read (larger reads as 999 999 999) and the
/// first `frac_digits` fraction digits: (integer, fraction, its digits).
fn decimal(v: &str, frac_digits: usize) -> Option<(u64, u64, u32)> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let int_v = if int.len() > 9 {
        999_999_999
    } else {
        int.bytes().fold(0, |a, b| a * 10 + u64::from(b - b'0'))
    };
    let frac = &frac.as_bytes()[..frac.len().min(frac_digits)];
    let frac_v = frac.iter().fold(0, |a, b| a * 10 + u64::from(b - b'0'));
    Some((int_v, frac_v, frac.len() as u32))
}

/// A non-negative decimal ×1000 (`"0.8"` → 800, `"50"` → 50000), digits capped.
fn parse_milli(v: &str) -> Option<u64> {
    let (int, frac, n) = decimal(v, 3)?;
    Some(int * 1000 + frac * 10u64.pow(3 - n))
}

/// `"1.5s"` → 1500, `"500ms"` → 500, `"2"` → 2000 (seconds), rounded up;
/// units in any letter case.
pub(super) fn parse_time_ms(v: &str) -> Option<u64> {
    let ends = |suffix: &str| {
        v.len() >= suffix.len()
            && v.as_bytes()[v.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    let (num, scale_ms) = if ends("ms") {
        (&v[..v.len() - 2], 1)
    } else if ends("s") {
        (&v[..v.len() - 1], 1000)
    } else {
        (v, 1000)
    };
    let (int_v, frac_v, n) = decimal(num.trim(), 6)?;
    let ms = int_v * scale_ms + (frac_v * scale_ms).div_ceil(10u64.pow(n));
    Some(ms.min(MAX_BREAK_MS))
}
