//! Typed access to request JSON with errors that name the field
//! (`video_inputs[2].voice.input_text`). A missing key and `null` are the
//! same; a present value of the wrong type is an `invalid_parameter` error.
//! JSON numbers are read as `f64` here and converted once to integers.
//!
//! The body is parsed once into a [`Value`] tree that borrows its keys and
//! strings from the body (copied only when they hold escapes), with the
//! strict key checks done on the way ([`super::strict`]).

use std::borrow::Cow;

use super::PricingError;

/// A JSON value of a request body; strings borrow from the body.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value<'a> {
    Null,
    Bool(bool),
    Number(f64),
    String(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    Object(Obj<'a>),
}

/// A JSON object: keys in body order, each once (the strict parse refuses
/// duplicates). Request objects have a handful of keys, so a lookup scans.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Obj<'a> {
    entries: Vec<(Cow<'a, str>, Value<'a>)>,
}

// === impl Obj ===

impl<'a> Obj<'a> {
    pub(super) fn new() -> Self {
        Obj::default()
    }

    pub(super) fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, &Value<'a>)> {
        self.entries.iter().map(|(k, v)| (&**k, v))
    }

    pub(super) fn entries(&self) -> &[(Cow<'a, str>, Value<'a>)] {
        &self.entries
    }

    pub(super) fn push(&mut self, key: Cow<'a, str>, value: Value<'a>) {
        self.entries.push((key, value));
    }
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

/// Longest duration any single JSON number may stand for (10^7 s ≈ 115 days);
/// larger values are clamped, which still fails every plan limit.
const MAX_MS: u64 = 10_000_000_000;

/// `at.key`, or `key` at the top level.
pub(super) fn path(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

/// Parses a request body into an object; an empty body is `{}`. Duplicate
/// and case-variant keys are refused (see [`super::strict`]).
pub(super) fn parse_object(body: &[u8]) -> Result<Obj<'_>, PricingError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Obj::new());
    }
    // Plainly valid bodies take the fast parser; the serde one decides
    // the rest (and words every refusal).
    let parsed = match super::json_fast::parse(body) {
        Some(v) => v,
        None => super::strict::parse(body)?,
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

fn wrong(at: &str, key: &str, want: &str, got: &Value<'_>) -> PricingError {
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
    at: &str,
) -> Result<Option<&'a str>, PricingError> {
    match field(o, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(&**s)),
        Some(v) => Err(wrong(at, key, "a string", v)),
    }
}

pub(super) fn str_req<'a>(o: &'a Obj<'_>, key: &str, at: &str) -> Result<&'a str, PricingError> {
    str_opt(o, key, at)?.ok_or_else(|| missing(at, key))
}

pub(super) fn bool_opt(o: &Obj<'_>, key: &str, at: &str) -> Result<Option<bool>, PricingError> {
    match field(o, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(wrong(at, key, "a boolean", v)),
    }
}

pub(super) fn num_opt(o: &Obj<'_>, key: &str, at: &str) -> Result<Option<f64>, PricingError> {
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
    at: &str,
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
    at: &str,
) -> Result<&'a Obj<'b>, PricingError> {
    obj_opt(o, key, at)?.ok_or_else(|| missing(at, key))
}

pub(super) fn arr_opt<'a, 'b>(
    o: &'a Obj<'b>,
    key: &str,
    at: &str,
) -> Result<Option<&'a [Value<'b>]>, PricingError> {
    match field(o, key) {
        None => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(v) => Err(wrong(at, key, "an array", v)),
    }
}

/// An array element that must be an object.
pub(super) fn as_obj<'a, 'b>(v: &'a Value<'b>, at: &str) -> Result<&'a Obj<'b>, PricingError> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(PricingError::invalid(
            at,
            format!("expected an object, got {}", type_name(other)),
        )),
    }
}

pub(super) fn missing(at: &str, key: &str) -> PricingError {
    PricingError::invalid(&path(at, key), "is required")
}

/// Seconds (a JSON number) → milliseconds, rounded up; negative is invalid.
fn secs_ms(secs: f64, field: &str) -> Result<u64, PricingError> {
    if !secs.is_finite() || secs < 0.0 {
        return Err(PricingError::invalid(
            field,
            "must be a non-negative number of seconds",
        ));
    }
    let ms = (secs * 1000.0).ceil();
    Ok(if ms >= MAX_MS as f64 {
        MAX_MS
    } else {
        ms as u64
    })
}

/// Optional `key` in seconds → milliseconds.
pub(super) fn secs_opt(o: &Obj<'_>, key: &str, at: &str) -> Result<Option<u64>, PricingError> {
    num_opt(o, key, at)?
        .map(|s| secs_ms(s, &path(at, key)))
        .transpose()
}

/// Speed range HeyGen accepts for avatar-video voices (v2 `voice.speed`,
/// v3 `voice_settings.speed`), in thousandths.
pub(super) const VIDEO_SPEED: (u64, u64) = (500, 1500);
/// Speed range of Starfish TTS (`POST /v3/voices/speech`).
pub(super) const TTS_SPEED: (u64, u64) = (500, 2000);

/// A speed multiplier → thousandths. HeyGen rejects values outside its
/// range, so does the gateway (400 naming the field) instead of pricing a
/// speed the render would never use.
pub(super) fn speed_milli(
    o: &Obj<'_>,
    key: &str,
    at: &str,
    (min, max): (u64, u64),
) -> Result<u64, PricingError> {
    let Some(s) = num_opt(o, key, at)? else {
        return Ok(1000);
    };
    let milli = (s * 1000.0).round();
    if milli >= min as f64 && milli <= max as f64 {
        Ok(milli as u64)
    } else {
        Err(PricingError::invalid(
            &path(at, key),
            format!(
                "is {s}; must be between {} and {}",
                min as f64 / 1000.0,
                max as f64 / 1000.0
            ),
        ))
    }
}
