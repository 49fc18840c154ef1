//! The common case of [`super::strict`]: a hand-written parser for a body
//! that is valid JSON and passes the strict key checks, building the same
//! borrowed [`Value`] tree about five times faster than the serde visitor
//! (keys and short strings are found sixteen, then eight bytes at a time,
//! long strings with memchr, numbers read without a generic deserializer). Anything it does not take as plainly
//! fine — any error, refused key, deep nesting, exponent or long number —
//! answers `None`, and the serde path decides, with its exact refusals and
//! `line`/`column` messages. The differential test in `json_tests` checks
//! that both agree wherever this one answers.
//!
//! This file holds the entry point and the descent over values, objects and
//! arrays; keys, strings and numbers are read in `scalars`.

mod scalars;

use bumpalo::Bump;

use super::json::{same_key, Entry, Obj, Value};
use super::strict_keys::{Seen, FREE_FORM};

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
}
