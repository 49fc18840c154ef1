//! The scalar readers of the fast parser: keys, strings (with their
//! escapes and `\u` surrogate pairs) and numbers. Its own file because these
//! are byte-level readers apart from the recursive descent over containers
//! in `json_fast`; they are a second `impl` of the same `Parser`.

use super::Parser;
use crate::pricing::json_scan::{key_end, special};
use crate::pricing::strict_keys::foldable;

impl<'a> Parser<'a> {
    /// A key after its opening quote, and whether it could have a case twin
    /// ([`foldable`]), read in one pass eight bytes at a time, so the
    /// strict checks need not scan the key again. A key with an escape
    /// takes the string path.
    // Called per value from the parser's other file: `inline` lets it be
    // inlined there whatever codegen unit each file lands in.
    #[inline]
    pub(super) fn key(&mut self) -> Option<(&'a str, bool)> {
        let start = self.i;
        if let Some((n, fold)) = key_end(&self.b[start..], usize::MAX) {
            if self.b[start + n] == b'"' {
                self.i = start + n + 1;
                return Some((&self.s[start..start + n], fold));
            }
        }
        let key = self.string()?;
        Some((key, foldable(key)))
    }

    /// A string after its opening quote: borrowed from the body unless it
    /// has escapes (then unescaped into the arena).
    #[inline]
    pub(super) fn string(&mut self) -> Option<&'a str> {
        let start = self.i;
        let end = start + special(&self.b[start..])?;
        if self.b[end] == b'"' {
            self.i = end + 1;
            return Some(&self.s[start..end]);
        }
        // Unescaped straight into the arena: the raw string's length bounds
        // the unescaped one (no escape is shorter than what it stands for),
        // so the buffer never grows and nothing is copied twice.
        let close = self.closing_quote(end)?;
        let mut out = bumpalo::collections::String::with_capacity_in(close - start, self.arena);
        out.push_str(&self.s[start..end]);
        let mut i = end;
        loop {
            if self.b[i] != b'\\' {
                return None; // a control character
            }
            let esc = *self.b.get(i + 1)?;
            i += 2;
            out.push(match esc {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let (c, len) = self.unicode(i)?;
                    i += len;
                    c
                }
                _ => return None,
            });
            let n = special(&self.b[i..])?;
            out.push_str(&self.s[i..i + n]);
            i += n;
            if self.b[i] == b'"' {
                self.i = i + 1;
                return Some(out.into_bump_str());
            }
        }
    }

    /// Where the string whose first escape or control character is at `i`
    /// ends (its closing quote); `None` at a control character or the
    /// body's end. Escapes are stepped over, not read.
    fn closing_quote(&self, mut i: usize) -> Option<usize> {
        loop {
            match self.b[i] {
                b'"' => return Some(i),
                b'\\' if i + 2 <= self.b.len() => i += 2,
                _ => return None,
            }
            i += special(self.b.get(i..)?)?;
        }
    }

    /// The character of a `\u` escape whose hex digits start at `i` (a
    /// surrogate pair takes two), and how many bytes it used.
    fn unicode(&self, i: usize) -> Option<(char, usize)> {
        let hi = self.hex4(i)?;
        if (0xDC00..0xE000).contains(&hi) {
            return None;
        }
        if !(0xD800..0xDC00).contains(&hi) {
            return Some((char::from_u32(hi)?, 4));
        }
        if self.b.get(i + 4..i + 6)? != b"\\u" {
            return None;
        }
        let lo = self.hex4(i + 6)?;
        if !(0xDC00..0xE000).contains(&lo) {
            return None;
        }
        let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        Some((char::from_u32(c)?, 10))
    }

    fn hex4(&self, i: usize) -> Option<u32> {
        let digits = self.b.get(i..i + 4)?;
        digits
            .iter()
            .try_fold(0u32, |a, &d| Some(a * 16 + char::from(d).to_digit(16)?))
    }

    /// A non-negative number of at most 15 digits without exponent, read
    /// as serde_json reads it (an integer converted, or the digits divided
    /// once by an exact power of ten, which is correctly rounded).
    #[inline]
    pub(super) fn number(&mut self) -> Option<f64> {
        const POW10: [f64; 16] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
        ];
        let digits = |from: usize| {
            self.b[from..]
                .iter()
                .take_while(|d| d.is_ascii_digit())
                .count()
        };
        let start = self.i;
        let int = digits(start);
        if int > 1 && self.b[start] == b'0' {
            return None;
        }
        let mut end = start + int;
        let mut frac = 0;
        if self.b.get(end) == Some(&b'.') {
            frac = digits(end + 1);
            if frac == 0 {
                return None;
            }
            end += 1 + frac;
        }
        if matches!(self.b.get(end), Some(b'e' | b'E')) || int + frac > 15 {
            return None;
        }
        let sig = self.b[start..end]
            .iter()
            .filter(|d| d.is_ascii_digit())
            .fold(0u64, |a, d| a * 10 + u64::from(d - b'0'));
        self.i = end;
        Some(sig as f64 / POW10[frac])
    }
}
