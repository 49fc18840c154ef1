//! Strict parsing of a priced body. `serde_json::Value` silently keeps the
//! last of two equal keys, while HeyGen's parser may keep the first, so a
//! body with `"script"` twice could be priced on one and rendered from the
//! other. Likewise `Video_Inputs` or `"TEST": false` beside `"test": true`
//! could be ignored by the gateway yet honoured upstream. Both are refused
//! with 400 `invalid_parameter` naming the key; one pass, building the
//! `Value` as it goes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::PricingError;

/// Every field a pricing rule reads. A key equal to one of these but for
/// letter case is refused (the gateway would not see it; HeyGen might).
const KNOWN_FIELDS: &[&str] = &[
    "aspect_ratio",
    "audio",
    "audio_asset_id",
    "audio_url",
    "avatar_id",
    "character",
    "config",
    "dimension",
    "duration",
    "duration_sec",
    "end_time",
    "engine",
    "fps",
    "height",
    "image",
    "image_url",
    "input",
    "input_audio",
    "input_text",
    "items",
    "lipsyncs",
    "mode",
    "output_language",
    "output_languages",
    "prompt",
    "quality",
    "resolution",
    "scenes",
    "script",
    "source",
    "speed",
    "srt",
    "srt_role",
    "start_time",
    "test",
    "text",
    "translations",
    "type",
    "use_avatar_iv_model",
    "variables_list",
    "video",
    "video_inputs",
    "video_translations",
    "video_url",
    "videos",
    "voice",
    "voice_settings",
    "width",
];

/// Objects whose keys are the caller's own names (template variables):
/// only exact duplicates are refused inside them.
const FREE_FORM: &[&str] = &["variables", "variables_list", "metadata"];

/// Parses `body` as JSON, refusing duplicate and case-variant keys.
pub(super) fn parse(body: &[u8]) -> Result<Value, PricingError> {
    let found = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(body);
    let seed = Strict {
        path: String::new(),
        free_form: false,
        found: &found,
    };
    let parsed = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    if let Some(e) = found.into_inner() {
        return Err(e);
    }
    parsed.map_err(|e| {
        PricingError::invalid(
            "body",
            format!("malformed JSON at line {} column {}", e.line(), e.column()),
        )
    })
}

struct Strict<'a> {
    path: String,
    /// Inside a caller-named map: only exact duplicates are refused.
    free_form: bool,
    found: &'a RefCell<Option<PricingError>>,
}

impl<'a> Strict<'a> {
    fn child(&self, path: String, free_form: bool) -> Strict<'a> {
        Strict {
            path,
            free_form,
            found: self.found,
        }
    }

    /// Records the refusal and aborts the parse.
    fn refuse<E: de::Error>(&self, key: &str, what: String) -> E {
        let at = if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        };
        *self.found.borrow_mut() = Some(PricingError::invalid(&at, what));
        E::custom("refused key")
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(
            self.child(format!("{}[{}]", self.path, out.len()), self.free_form),
        )? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        // Lower-cased key → the spelling first seen.
        let mut seen: HashMap<String, String> = HashMap::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(self.refuse(&key, "duplicate key; send each field once".into()));
            }
            let lower = key.to_lowercase();
            match seen.get(&lower) {
                Some(first) if !self.free_form => {
                    return Err(self.refuse(
                        &key,
                        format!("differs from {first:?} only by letter case; send one"),
                    ));
                }
                _ => {}
            }
            if !self.free_form {
                if let Some(known) = KNOWN_FIELDS
                    .iter()
                    .find(|k| **k != key && k.eq_ignore_ascii_case(&key))
                {
                    return Err(self.refuse(
                        &key,
                        format!(
                            "unknown key; field names are case-sensitive, did you mean {known:?}?"
                        ),
                    ));
                }
            }
            seen.entry(lower).or_insert_with(|| key.clone());
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            let free = self.free_form || FREE_FORM.contains(&key.as_str());
            let value = map.next_value_seed(self.child(path, free))?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}
