//! Strict parsing of a priced body. `serde_json::Value` silently keeps the
//! last of two equal keys, while HeyGen's parser may keep the first, so a
//! body with `"script"` twice could be priced on one and rendered from the
//! other. Likewise `Video_Inputs` or `"TEST": false` beside `"test": true`
//! could be ignored by the gateway yet honoured upstream. Both are refused
//! with 400 `invalid_parameter` naming the key; one pass, building the
//! borrowed [`Value`] tree in the arena as it goes (keys and strings are
//! slices of the body unless they hold escapes).

use std::cell::RefCell;
use std::fmt;

use bumpalo::Bump;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::json::{Entry, Obj, Value};
use super::strict_keys::{known_variant, Seen, FREE_FORM};
use super::PricingError;

/// Parses `body` as JSON, refusing duplicate and case-variant keys.
pub(super) fn parse<'de>(body: &'de [u8], arena: &'de Bump) -> Result<Value<'de>, PricingError> {
    let found = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(body);
    let seed = Strict {
        path: Seg::Root,
        free_form: false,
        found: &found,
        arena,
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

struct Strict<'a, 'p, 'de> {
    path: Seg<'p>,
    /// Inside a caller-named map: only exact duplicates are refused.
    free_form: bool,
    found: &'a RefCell<Option<PricingError>>,
    arena: &'de Bump,
}

impl<'a, 'de> Strict<'a, '_, 'de> {
    fn child<'q>(&self, path: Seg<'q>, free_form: bool) -> Strict<'a, 'q, 'de> {
        Strict {
            path,
            free_form,
            found: self.found,
            arena: self.arena,
        }
    }

    /// Records the refusal and aborts the parse.
    fn refuse<E: de::Error>(&self, key: &str, what: String) -> E {
        let at = Seg::Key(&self.path, key).render();
        *self.found.borrow_mut() = Some(PricingError::invalid(&at, what));
        E::custom("refused key")
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_, '_, 'de> {
    type Value = Value<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

/// A map key, borrowed from the body unless it holds escapes (then kept
/// in the arena).
struct Key<'de>(&'de Bump);

impl<'de> DeserializeSeed<'de> for Key<'de> {
    type Value = &'de str;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<&'de str, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'de> {
    type Value = &'de str;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<&'de str, E> {
        Ok(v)
    }

    fn visit_str<E>(self, v: &str) -> Result<&'de str, E> {
        Ok(self.0.alloc_str(v))
    }
}

impl<'de> Visitor<'de> for Strict<'_, '_, 'de> {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value<'de>, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value<'de>, E> {
        Ok(Value::Number(v as f64))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value<'de>, E> {
        Ok(Value::Number(v as f64))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value<'de>, E> {
        Ok(if v.is_finite() {
            Value::Number(v)
        } else {
            Value::Null
        })
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Value<'de>, E> {
        Ok(Value::String(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value<'de>, E> {
        Ok(Value::String(self.arena.alloc_str(v)))
    }

    fn visit_unit<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
        let mut out = Vec::new();
        loop {
            let here = Seg::Index(&self.path, out.len());
            match seq.next_element_seed(self.child(here, self.free_form))? {
                Some(v) => out.push(v),
                None => break,
            }
        }
        Ok(Value::Array(self.arena.alloc_slice_copy(&out)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'de>, A::Error> {
        let mut out: Vec<Entry<'de>> = Vec::new();
        let mut seen = Seen::default();
        while let Some(key) = map.next_key_seed(Key(self.arena))? {
            if seen.duplicate(&out, key) {
                return Err(self.refuse(key, "duplicate key; send each field once".into()));
            }
            if !self.free_form {
                if let Some(first) = seen.case_twin(&out, key) {
                    return Err(self.refuse(
                        key,
                        format!("differs from {first:?} only by letter case; send one"),
                    ));
                }
                if let Some(known) = known_variant(key) {
                    return Err(self.refuse(
                        key,
                        format!(
                            "unknown key; field names are case-sensitive, did you mean {known:?}?"
                        ),
                    ));
                }
            }
            let free = self.free_form || FREE_FORM.contains(&key);
            let value = map.next_value_seed(self.child(Seg::Key(&self.path, key), free))?;
            out.push((key, value));
            seen.add(&out, self.free_form);
        }
        Ok(Value::Object(Obj::from_entries(
            self.arena.alloc_slice_copy(&out),
        )))
    }
}
