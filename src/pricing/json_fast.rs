//! The common case of [`super::strict`]: a hand-written parser for a body
//! that is valid JSON and passes the strict key checks, building the same
//! borrowed [`Value`] tree about five times faster than the serde visitor
//! (strings are found eight bytes at a time, numbers read without a
//! generic deserializer). Anything it does not take as plainly fine — any
//! error, refused key, deep nesting, exponent or long number — answers
//! `None`, and the serde path decides, with its exact refusals and
//! `line`/`column` messages. The differential test in `json_tests` checks
//! that both agree wherever this one answers.

use bumpalo::Bump;

use super::json::{same_key, Entry, Obj, Value};
use super::json_scan::{key_end, special};
use super::strict_keys::{foldable, Seen, FREE_FORM};

/// Nesting this parser leaves to the serde path (whose limit is 128).
const MAX_DEPTH: usize = 100;

/// `body` as a tree if it is valid JSON the strict rules accept (and in the
/// shapes read here), else `None`.
pub(super) fn parse<'a>(body: &'a [u8], arena: &'a Bump) -> Option<Value<'a>> {
    // simdutf8 checks the body 32 bytes at a time (std's check was a
    // twentieth of a quote); only whether it is valid is needed here.
    let text = simdutf8::basic::from_utf8(body).ok()?;
    let mut p = Parser {
        s: text,
        b: body,
        i: 0,
        ok: true,
        arena,
        items: Vec::new(),
        entries: Vec::new(),
    };
    let v = p.value(0, false);
    p.ws();
    (p.ok && p.i == body.len()).then_some(v)
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    /// Cleared at the first thing this parser leaves to serde; the values
    /// returned after that are placeholders. (A flag instead of `Option`
    /// returns: moving `Option<Value>` up the recursion was a third of it.)
    ok: bool,
    /// Where arrays, objects and unescaped strings are kept.
    arena: &'a Bump,
    /// Elements and members of the arrays and objects being read, copied
    /// into the arena at exactly their count when each closes (instead of
    /// growing a vector per container).
    items: Vec<Value<'a>>,
    entries: Vec<Entry<'a>>,
}

impl<'a> Parser<'a> {
    #[inline(always)]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// Skips whitespace and takes `byte` if it comes next.
    #[inline(always)]
    fn eat(&mut self, byte: u8) -> bool {
        // Compact bodies (what clients' JSON encoders send) have no
        // whitespace to skip: the byte is looked at first.
        if self.b.get(self.i) == Some(&byte) {
            self.i += 1;
            return true;
        }
        self.ws();
        let hit = self.b.get(self.i) == Some(&byte);
        self.i += usize::from(hit);
        hit
    }

    /// Leaves the body to the serde path.
    fn fail(&mut self) -> Value<'a> {
        self.ok = false;
        Value::Null
    }

    /// The value at the cursor, built in the caller's frame: containers
    /// come back from their (recursive, out-of-line) readers as slices in
    /// registers, because a whole `Value` returned up the recursion went
    /// through memory and reading it back stalled on the partial writes.
    #[inline(always)]
    fn value(&mut self, depth: usize, free: bool) -> Value<'a> {
        self.ws();
        let Some(&b) = self.b.get(self.i) else {
            return self.fail();
        };
        match b {
            b'"' => {
                self.i += 1;
                match self.string() {
                    Some(s) => Value::String(s),
                    None => self.fail(),
                }
            }
            b'{' => Value::Object(Obj::from_entries(self.object(depth, free))),
            b'[' => Value::Array(self.array(depth, free)),
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'n' => self.literal("null", Value::Null),
            b'0'..=b'9' => match self.number() {
                Some(n) => Value::Number(n),
                None => self.fail(),
            },
            _ => self.fail(),
        }
    }

    fn literal(&mut self, word: &str, v: Value<'a>) -> Value<'a> {
        let hit = self.b[self.i..].starts_with(word.as_bytes());
        self.i += word.len();
        if hit {
            v
        } else {
            self.fail()
        }
    }

    /// The members of the object whose `{` is at the cursor (empty after a
    /// failure: `ok` tells).
    fn object(&mut self, depth: usize, free: bool) -> &'a [Entry<'a>] {
        self.i += 1;
        if depth > MAX_DEPTH {
            self.fail();
            return &[];
        }
        let base = self.entries.len();
        let mut seen = Seen::default();
        if self.eat(b'}') {
            return &[];
        }
        loop {
            if !self.eat(b'"') {
                self.fail();
                return &[];
            }
            let Some((key, fold)) = self.key() else {
                self.fail();
                return &[];
            };
            if seen.refused(&self.entries[base..], key, fold, free) || !self.eat(b':') {
                self.fail();
                return &[];
            }
            let child_free = free || FREE_FORM.iter().any(|f| same_key(f, key));
            let v = self.value(depth + 1, child_free);
            if !self.ok {
                return &[];
            }
            self.entries.push((key, v));
            seen.add_known(&self.entries[base..], fold, free);
            if self.eat(b'}') {
                let out = self.arena.alloc_slice_copy(&self.entries[base..]);
                self.entries.truncate(base);
                return out;
            }
            if !self.eat(b',') {
                self.fail();
                return &[];
            }
        }
    }

    /// The elements of the array whose `[` is at the cursor (empty after a
    /// failure: `ok` tells).
    fn array(&mut self, depth: usize, free: bool) -> &'a [Value<'a>] {
        self.i += 1;
        if depth > MAX_DEPTH {
            self.fail();
            return &[];
        }
        let base = self.items.len();
        if self.eat(b']') {
            return &[];
        }
        loop {
            let v = self.value(depth + 1, free);
            if !self.ok {
                return &[];
            }
            self.items.push(v);
            if self.eat(b']') {
                let out = self.arena.alloc_slice_copy(&self.items[base..]);
                self.items.truncate(base);
                return out;
            }
            if !self.eat(b',') {
                self.fail();
                return &[];
            }
        }
    }

    /// A key after its opening quote, and whether it could have a case twin
    /// ([`foldable`]), read in one pass eight bytes at a time, so the
    /// strict checks need not scan the key again. A key with an escape
    /// takes the string path.
    fn key(&mut self) -> Option<(&'a str, bool)> {
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
    fn string(&mut self) -> Option<&'a str> {
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
    fn number(&mut self) -> Option<f64> {
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
