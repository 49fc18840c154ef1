//! Typed access to request JSON with errors that name the field
//! (`video_inputs[2].voice.input_text`). A missing key and `null` are the
//! same; a present value of the wrong type is an `invalid_parameter` error.
//! JSON numbers are read as `f64` here and converted once to integers.
//!
//! The body is parsed once into a [`Value`] tree held in an arena
//! ([`bumpalo::Bump`]) that lives as long as the quote: keys and strings
//! are slices of the body (copied into the arena only when they hold
//! escapes), and arrays and objects are arena slices, so the tree is
//! `Copy`, costs no allocation per container and is freed at once. The
//! strict key checks are done on the way ([`super::strict`]).

use bumpalo::Bump;

pub(super) use super::json_at::{path, At, Loc};
pub(super) use super::json_num::{secs_opt, speed_milli, TTS_SPEED, VIDEO_SPEED};
use super::PricingError;

/// A JSON value of a request body, borrowed from the body and its arena.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Value<'a> {
    Null,
    Bool(bool),
    Number(f64),
    String(&'a str),
    Array(&'a [Value<'a>]),
    Object(Obj<'a>),
}

/// One member of an object.
pub(super) type Entry<'a> = (&'a str, Value<'a>);

/// A JSON object: keys in body order, each once (the strict parse refuses
/// duplicates). Request objects have a handful of keys, so a lookup scans.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(super) struct Obj<'a> {
    entries: &'a [Entry<'a>],
}

// === impl Obj ===

impl<'a> Obj<'a> {
    pub(super) fn new() -> Self {
        Obj::default()
    }

    pub(super) fn get(&self, key: &str) -> Option<&'a Value<'a>> {
        self.entries
            .iter()
            .find(|(k, _)| same_key(k, key))
            .map(|(_, v)| v)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&'a str, &'a Value<'a>)> {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    /// An object of `entries` (the parser has checked the keys).
    pub(super) fn from_entries(entries: &'a [Entry<'a>]) -> Self {
        Obj { entries }
    }
}

/// Key equality in line: keys are short, and a call to `memcmp` per
/// comparison was a twentieth of a quote.
#[inline]
pub(super) fn same_key(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

// === impl Value ===

impl<'a> Value<'a> {
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub(super) fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }

    pub(super) fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub(super) fn as_object(&self) -> Option<&Obj<'a>> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The member `key` of an object (`None` for other values).
    pub(super) fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.as_object()?.get(key)
    }
}

/// What reading a media input needs of a JSON value, for request trees
/// ([`Value`]) and response/probe documents (`serde_json::Value`) alike.
pub(super) trait JsonRead {
    fn as_str(&self) -> Option<&str>;
    /// The member `key` of an object (`None` for other values).
    fn member(&self, key: &str) -> Option<&Self>;
}

impl JsonRead for Value<'_> {
    fn as_str(&self) -> Option<&str> {
        Value::as_str(self)
    }

    fn member(&self, key: &str) -> Option<&Self> {
        self.get(key)
    }
}

impl JsonRead for serde_json::Value {
    fn as_str(&self) -> Option<&str> {
        serde_json::Value::as_str(self)
    }

    fn member(&self, key: &str) -> Option<&Self> {
        self.get(key)
    }
}

/// Parses a request body into an object; an empty body is `{}`. Duplicate
/// and case-variant keys are refused (see [`super::strict`]).
pub(super) fn parse_object<'a>(body: &'a [u8], arena: &'a Bump) -> Result<Obj<'a>, PricingError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Obj::new());
    }
    // Plainly valid bodies take the fast parser; the serde one decides
    // the rest (and words every refusal).
    let parsed = match super::json_fast::parse(body, arena) {
        Some(v) => v,
        None => super::strict::parse(body, arena)?,
    };
    match parsed {
        Value::Object(o) => Ok(o),
        _ => Err(PricingError::invalid("body", "expected a JSON object")),
    }
}

fn type_name(v: &Value<'_>) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong(at: &(impl Loc + ?Sized), key: &str, want: &str, got: &Value<'_>) -> PricingError {
    PricingError::invalid(
        &path(at, key),
        format!("expected {want}, got {}", type_name(got)),
    )
}

/// The value of `key` unless missing or `null`.
pub(super) fn field<'a, 'b>(o: &'a Obj<'b>, key: &str) -> Option<&'a Value<'b>> {
    o.get(key).filter(|v| !v.is_null())
}

pub(super) fn str_opt<'a>(
    o: &'a Obj<'_>,
    key: &str,
    at: &(impl Loc + ?Sized),
) -> Result<Option<&'a str>, PricingError> {
    match field(o, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(wrong(at, key, "a string", v)),
    }
}

pub(super) fn str_req<'a>(
    o: &'a Obj<'_>,
    key: &str,
    at: &(impl Loc + ?Sized),
) -> Result<&'a str, PricingError> {
    str_opt(o, key, at)?.ok_or_else(|| missing(at, key))
}

pub(super) fn bool_opt(
    o: &Obj<'_>,
    key: &str,
    at: &(impl Loc + ?Sized),
) -> Result<Option<bool>, PricingError> {
    match field(o, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(wrong(at, key, "a boolean", v)),
    }
}

pub(super) fn num_opt(
    o: &Obj<'_>,
    key: &str,
    at: &(impl Loc + ?Sized),
) -> Result<Option<f64>, PricingError> {
    match field(o, key) {
        None => Ok(None),
        Some(Value::Number(f)) if f.is_finite() => Ok(Some(*f)),
        Some(Value::Number(_)) => Err(PricingError::invalid(
            &path(at, key),
            "is not a finite number",
        )),
        Some(v) => Err(wrong(at, key, "a number", v)),
    }
}

pub(super) fn obj_opt<'a, 'b>(
    o: &'a Obj<'b>,
    key: &str,
    at: &(impl Loc + ?Sized),
) -> Result<Option<&'a Obj<'b>>, PricingError> {
    match field(o, key) {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(v) => Err(wrong(at, key, "an object", v)),
    }
}

pub(super) fn obj_req<'a, 'b>(
    o: &'a Obj<'b>,
    key: &str,
    at: &(impl Loc + ?Sized),
) -> Result<&'a Obj<'b>, PricingError> {
    obj_opt(o, key, at)?.ok_or_else(|| missing(at, key))
}

pub(super) fn arr_opt<'a, 'b>(
    o: &'a Obj<'b>,
    key: &str,
    at: &(impl Loc + ?Sized),
) -> Result<Option<&'a [Value<'b>]>, PricingError> {
    match field(o, key) {
        None => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(v) => Err(wrong(at, key, "an array", v)),
    }
}

/// An array element that must be an object.
pub(super) fn as_obj<'a, 'b>(
    v: &'a Value<'b>,
    at: &(impl Loc + ?Sized),
) -> Result<&'a Obj<'b>, PricingError> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(PricingError::invalid(
            &at.render(),
            format!("expected an object, got {}", type_name(other)),
        )),
    }
}

pub(super) fn missing(at: &(impl Loc + ?Sized), key: &str) -> PricingError {
    PricingError::invalid(&path(at, key), "is required")
}
