//! Typed access to request JSON with errors that name the field
//! (`video_inputs[2].voice.input_text`). A missing key and `null` are the
//! same; a present value of the wrong type is an `invalid_parameter` error.
//! JSON numbers are read as `f64` here and converted once to integers.

use serde_json::{Map, Value};

use super::PricingError;

pub(super) type Obj = Map<String, Value>;

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
pub(super) fn parse_object(body: &[u8]) -> Result<Obj, PricingError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Obj::new());
    }
    match super::strict::parse(body)? {
        Value::Object(o) => Ok(o),
        _ => Err(PricingError::invalid("body", "expected a JSON object")),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong(at: &str, key: &str, want: &str, got: &Value) -> PricingError {
    PricingError::invalid(
        &path(at, key),
        format!("expected {want}, got {}", type_name(got)),
    )
}

/// The value of `key` unless missing or `null`.
pub(super) fn field<'a>(o: &'a Obj, key: &str) -> Option<&'a Value> {
    o.get(key).filter(|v| !v.is_null())
}

pub(super) fn str_opt<'a>(
    o: &'a Obj,
    key: &str,
    at: &str,
) -> Result<Option<&'a str>, PricingError> {
    match field(o, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(wrong(at, key, "a string", v)),
    }
}

pub(super) fn str_req<'a>(o: &'a Obj, key: &str, at: &str) -> Result<&'a str, PricingError> {
    str_opt(o, key, at)?.ok_or_else(|| missing(at, key))
}

pub(super) fn bool_opt(o: &Obj, key: &str, at: &str) -> Result<Option<bool>, PricingError> {
    match field(o, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(wrong(at, key, "a boolean", v)),
    }
}

pub(super) fn num_opt(o: &Obj, key: &str, at: &str) -> Result<Option<f64>, PricingError> {
    match field(o, key) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if f.is_finite() => Ok(Some(f)),
            _ => Err(PricingError::invalid(
                &path(at, key),
                "is not a finite number",
            )),
        },
        Some(v) => Err(wrong(at, key, "a number", v)),
    }
}

pub(super) fn obj_opt<'a>(
    o: &'a Obj,
    key: &str,
    at: &str,
) -> Result<Option<&'a Obj>, PricingError> {
    match field(o, key) {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(v) => Err(wrong(at, key, "an object", v)),
    }
}

pub(super) fn obj_req<'a>(o: &'a Obj, key: &str, at: &str) -> Result<&'a Obj, PricingError> {
    obj_opt(o, key, at)?.ok_or_else(|| missing(at, key))
}

pub(super) fn arr_opt<'a>(
    o: &'a Obj,
    key: &str,
    at: &str,
) -> Result<Option<&'a [Value]>, PricingError> {
    match field(o, key) {
        None => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(v) => Err(wrong(at, key, "an array", v)),
    }
}

/// An array element that must be an object.
pub(super) fn as_obj<'a>(v: &'a Value, at: &str) -> Result<&'a Obj, PricingError> {
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
pub(super) fn secs_opt(o: &Obj, key: &str, at: &str) -> Result<Option<u64>, PricingError> {
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
    o: &Obj,
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
