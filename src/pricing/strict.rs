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
    "translate_audio_only",
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
        path: Seg::Root,
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

/// Where a value sits (`video_inputs[3].voice`), kept as a chain of
/// borrowed segments and only rendered for a refusal: most bodies are fine,
/// and formatting a path per value was a fifth of the parse.
#[derive(Clone, Copy)]
enum Seg<'p> {
    Root,
    Key(&'p Seg<'p>, &'p str),
    Index(&'p Seg<'p>, usize),
}

impl Seg<'_> {
    fn render(&self) -> String {
        match self {
            Seg::Root => String::new(),
            Seg::Key(parent, key) => {
                let p = parent.render();
                if p.is_empty() {
                    (*key).to_owned()
                } else {
                    format!("{p}.{key}")
                }
            }
            Seg::Index(parent, i) => format!("{}[{i}]", parent.render()),
        }
    }
}

/// Maps with more keys than this track letter case in a hash map; smaller
/// ones scan their keys (no allocation per key).
const SCAN_KEYS: usize = 32;

/// The earlier key of `out` equal to `key` but for letter case (Unicode
/// lower-casing, as HeyGen's case-insensitive decoders may do).
fn case_twin<'o>(
    out: &'o Map<String, Value>,
    lowered: &'o HashMap<String, String>,
    key: &str,
) -> Option<&'o str> {
    if out.len() < SCAN_KEYS {
        out.keys()
            .map(String::as_str)
            .find(|k| same_but_case(k, key))
    } else {
        lowered.get(&key.to_lowercase()).map(String::as_str)
    }
}

fn same_but_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

struct Strict<'a, 'p> {
    path: Seg<'p>,
    /// Inside a caller-named map: only exact duplicates are refused.
    free_form: bool,
    found: &'a RefCell<Option<PricingError>>,
}

impl<'a> Strict<'a, '_> {
    fn child<'q>(&self, path: Seg<'q>, free_form: bool) -> Strict<'a, 'q> {
        Strict {
            path,
            free_form,
            found: self.found,
        }
    }

    /// Records the refusal and aborts the parse.
    fn refuse<E: de::Error>(&self, key: &str, what: String) -> E {
        let at = Seg::Key(&self.path, key).render();
        *self.found.borrow_mut() = Some(PricingError::invalid(&at, what));
        E::custom("refused key")
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_, '_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_, '_> {
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
        loop {
            let here = Seg::Index(&self.path, out.len());
            match seq.next_element_seed(self.child(here, self.free_form))? {
                Some(v) => out.push(v),
                None => break,
            }
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        // Lower-cased key → the spelling first seen, once the map is big.
        let mut lowered: HashMap<String, String> = HashMap::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(self.refuse(&key, "duplicate key; send each field once".into()));
            }
            if !self.free_form {
                if let Some(first) = case_twin(&out, &lowered, &key) {
                    return Err(self.refuse(
                        &key,
                        format!("differs from {first:?} only by letter case; send one"),
                    ));
                }
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
            let free = self.free_form || FREE_FORM.contains(&key.as_str());
            let value = map.next_value_seed(self.child(Seg::Key(&self.path, &key), free))?;
            if !self.free_form && out.len() + 1 >= SCAN_KEYS {
                if lowered.is_empty() {
                    lowered.extend(out.keys().map(|k| (k.to_lowercase(), k.clone())));
                }
                lowered
                    .entry(key.to_lowercase())
                    .or_insert_with(|| key.clone());
            }
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}
