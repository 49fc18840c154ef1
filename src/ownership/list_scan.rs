//! A borrowing scan of a list answer: the items' ids and the page token,
//! read without building a tree, so a page holding nothing foreign (the
//! common case) goes back to the client as HeyGen's own bytes.
//!
//! The scan only answers for answers in the clean shape — each envelope key
//! once, every item an object with one string id. Anything else is `None`
//! and the caller takes the tree path ([`super::list::parse`]), which
//! decides as before. Values the scan does not need are still walked with
//! `deserialize_any` (as `serde_json::Value` is built), so it accepts
//! exactly the JSON the tree parse accepts: same depth limit, same number
//! and string checks.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::json_parts::{Key, Scalar, Skip};

use super::rules::{ListShape, ID_FIELDS};

/// What the scan found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Scan {
    /// Each item's id, in order.
    pub ids: Vec<String>,
    /// The token for the next page, read as [`super::list::parse`] reads it.
    pub next: Option<String>,
    /// Whether [`super::list::assemble`] would write the token fields back
    /// as they already are (so an unfiltered page may go out verbatim).
    pub envelope_as_is: bool,
}

/// Scans a list answer; `None` when it is not in the clean shape.
pub(crate) fn scan(shape: ListShape, body: &[u8]) -> Option<Scan> {
    // One UTF-8 check of the whole answer (a quick pass over ASCII), not
    // one per string as `from_slice` makes (~700 instructions a page).
    // The same JSON is accepted: what `from_slice` accepts is UTF-8 (its
    // strings are checked, and no other byte outside ASCII is JSON).
    let text = std::str::from_utf8(body).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let top = Top { shape }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    let ids = top.items?;
    let envelope_as_is;
    let next = match shape {
        ListShape::V2(_) | ListShape::V2Pair(..) => {
            envelope_as_is = true;
            None
        }
        ListShape::V1(_) => {
            let next = token(top.token.as_ref());
            envelope_as_is = written_as_is(top.token.as_ref(), next.as_deref());
            next
        }
        ListShape::V3 => {
            let next = match top.has_more {
                Some(Scalar::Bool(false)) => None,
                _ => token(top.token.as_ref()),
            };
            envelope_as_is = top.has_more == Some(Scalar::Bool(next.is_some()))
                && written_as_is(top.token.as_ref(), next.as_deref());
            next
        }
    };
    Some(Scan {
        ids,
        next,
        envelope_as_is,
    })
}

/// `list::token`: a non-empty string.
fn token(v: Option<&Scalar<'_>>) -> Option<String> {
    match v {
        Some(Scalar::Str(t)) if !t.is_empty() => Some(t.to_string()),
        _ => None,
    }
}

/// Whether the token field already holds what `assemble` writes: the
/// token, or `null` when there is none.
fn written_as_is(field: Option<&Scalar<'_>>, next: Option<&str>) -> bool {
    match (field, next) {
        (Some(Scalar::Str(t)), Some(n)) => t == n,
        (Some(Scalar::Null), None) => true,
        _ => false,
    }
}

/// The parts of the answer the filter reads.
#[derive(Default)]
struct Found<'de> {
    /// `None`: no items array where the shape keeps it.
    items: Option<Vec<String>>,
    token: Option<Scalar<'de>>,
    has_more: Option<Scalar<'de>>,
}

/// Fills `slot` once; a repeated key fails the scan (a client reading the
/// first copy could see what the filter did not check).
fn once<T, E: de::Error>(slot: &mut Option<T>, value: T, key: &str) -> Result<(), E> {
    if slot.replace(value).is_some() {
        return Err(E::custom(format_args!("duplicate key `{key}`")));
    }
    Ok(())
}

/// The top-level object.
struct Top {
    shape: ListShape,
}

impl<'de> DeserializeSeed<'de> for Top {
    type Value = Found<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Found<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top {
    type Value = Found<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list answer object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found<'de>, A::Error> {
        let mut found = Found::default();
        let mut data_seen = false;
        while let Some(Key(key)) = map.next_key()? {
            match (self.shape, key.as_ref()) {
                (ListShape::V3, "data") => {
                    once(&mut found.items, map.next_value_seed(Items)?, "data")?
                }
                (ListShape::V3, "has_more") => {
                    once(&mut found.has_more, map.next_value()?, "has_more")?
                }
                (ListShape::V3, "next_token") => {
                    once(&mut found.token, map.next_value()?, "next_token")?
                }
                (
                    ListShape::V1(items) | ListShape::V2(items) | ListShape::V2Pair(items, _),
                    "data",
                ) => {
                    if std::mem::replace(&mut data_seen, true) {
                        return Err(de::Error::custom("duplicate key `data`"));
                    }
                    let inner = map.next_value_seed(Data {
                        items,
                        also: match self.shape {
                            ListShape::V2Pair(_, also) => Some(also),
                            _ => None,
                        },
                        token: matches!(self.shape, ListShape::V1(_)),
                    })?;
                    found.items = inner.items;
                    found.token = inner.token;
                }
                _ => map.next_value::<Skip>().map(drop)?,
            }
        }
        Ok(found)
    }
}

/// The `data` object of a v1/v2 answer.
struct Data {
    items: &'static str,
    /// A second items array whose ids join the first's (`V2Pair`); absent,
    /// it holds nothing to filter.
    also: Option<&'static str>,
    /// Whether `token` is read (v1).
    token: bool,
}

impl<'de> DeserializeSeed<'de> for Data {
    type Value = Found<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Found<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Data {
    type Value = Found<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a data object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found<'de>, A::Error> {
        let mut found = Found::default();
        let mut also = None;
        while let Some(Key(key)) = map.next_key()? {
            if key == self.items {
                once(&mut found.items, map.next_value_seed(Items)?, self.items)?;
            } else if Some(key.as_ref()) == self.also {
                once(&mut also, map.next_value_seed(Items)?, key.as_ref())?;
            } else if self.token && key == "token" {
                once(&mut found.token, map.next_value()?, "token")?;
            } else {
                map.next_value::<Skip>()?;
            }
        }
        if let (Some(ids), Some(more)) = (found.items.as_mut(), also) {
            ids.extend(more);
        }
        Ok(found)
    }
}

/// The items array: each item's id.
struct Items;

impl<'de> DeserializeSeed<'de> for Items {
    type Value = Vec<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Items {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of items")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut ids = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(ItemId(id)) = seq.next_element()? {
            ids.push(id);
        }
        Ok(ids)
    }
}

/// One item's id: the first of [`ID_FIELDS`] holding a string
/// (`list::item_id`). An item without one fails the scan: the filter
/// removes it, which is the tree path's job.
struct ItemId(String);

impl<'de> de::Deserialize<'de> for ItemId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ItemId, D::Error> {
        d.deserialize_map(ItemVisitor)
    }
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = ItemId;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an item object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ItemId, A::Error> {
        let mut fields: [Option<Scalar<'de>>; ID_FIELDS.len()] = Default::default();
        while let Some(Key(key)) = map.next_key()? {
            match ID_FIELDS.iter().position(|f| *f == key) {
                Some(i) => once(&mut fields[i], map.next_value()?, ID_FIELDS[i])?,
                None => map.next_value::<Skip>().map(drop)?,
            }
        }
        fields
            .into_iter()
            .find_map(|f| match f {
                Some(Scalar::Str(s)) => Some(ItemId(s.into_owned())),
                _ => None,
            })
            .ok_or_else(|| de::Error::custom("an item without an id"))
    }
}

#[cfg(test)]
#[path = "list_scan_tests.rs"]
mod tests;
