//! The strict key rules shared by both parsers ([`super::strict`],
//! [`super::json_fast`]): which keys of one map would be refused, as
//! duplicates, case twins of each other or case variants of known fields.

use std::collections::{HashMap, HashSet};

use super::json::{same_key, Entry};

/// The entries of one map so far, in body order.
type Entries<'o, 'de> = &'o [Entry<'de>];

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
pub(super) const FREE_FORM: &[&str] = &["variables", "variables_list", "metadata"];

/// Maps with more keys than this track keys and their letter case in hash
/// maps; smaller ones scan their keys (no allocation per key).
const SCAN_KEYS: usize = 32;

/// Whether a key could have a case twin: it has a capital or a non-ASCII
/// character (two different all-lower-case ASCII keys never lower-case
/// alike).
pub(super) fn foldable(key: &str) -> bool {
    key.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii())
}

fn same_but_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// The known field `key` spells with other letter case, if any. Known
/// fields are lower-case ASCII, so only keys with a capital can be one.
pub(super) fn known_variant(key: &str) -> Option<&'static str> {
    if !key.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    KNOWN_FIELDS
        .iter()
        .copied()
        .find(|k| k.eq_ignore_ascii_case(key))
}

/// The keys of one map so far, for the duplicate and case-twin checks.
#[derive(Default)]
pub(super) struct Seen<'de> {
    /// Some key so far could have a case twin ([`foldable`]).
    foldable: bool,
    /// Past [`SCAN_KEYS`] only: made then, so a small map builds no hash
    /// maps (each seeds its hasher from a thread-local).
    big: Option<Box<Big<'de>>>,
}

/// Every key, and lower-cased key → first spelling.
#[derive(Default)]
struct Big<'de> {
    exact: HashSet<&'de str>,
    lowered: HashMap<String, &'de str>,
}

impl<'de> Seen<'de> {
    /// Whether `key` would be refused in a map with `out` so far;
    /// `key_foldable` is [`foldable`]`(key)` (the fast parser learns it
    /// while reading the key).
    #[inline]
    pub(super) fn refused(
        &self,
        out: Entries<'_, 'de>,
        key: &str,
        key_foldable: bool,
        free_form: bool,
    ) -> bool {
        if self.duplicate(out, key) {
            return true;
        }
        // The common key — lower-case ASCII among lower-case ASCII keys —
        // can have no case twin and be no variant of a known field (one
        // scan of its bytes instead of three).
        if free_form || (!self.foldable && !key_foldable) {
            return false;
        }
        self.case_twin(out, key).is_some() || known_variant(key).is_some()
    }

    #[inline]
    pub(super) fn duplicate(&self, out: Entries<'_, 'de>, key: &str) -> bool {
        if let Some(big) = &self.big {
            big.exact.contains(key)
        } else {
            out.iter().any(|(k, _)| same_key(k, key))
        }
    }

    /// The earlier key of `out` equal to `key` but for letter case
    /// (Unicode lower-casing, as HeyGen's case-insensitive decoders may do).
    pub(super) fn case_twin<'o>(&'o self, out: Entries<'o, 'de>, key: &str) -> Option<&'o str> {
        if !self.foldable && !foldable(key) {
            return None;
        }
        if let Some(big) = &self.big {
            big.lowered.get(&key.to_lowercase()).copied()
        } else {
            out.iter().map(|(k, _)| *k).find(|k| same_but_case(k, key))
        }
    }

    /// Takes in the key just pushed to `out`.
    pub(super) fn add(&mut self, out: Entries<'_, 'de>, free_form: bool) {
        let Some((key, _)) = out.last() else {
            return;
        };
        self.add_known(out, foldable(key), free_form);
    }

    /// [`Seen::add`] for a key whose [`foldable`] is known.
    #[inline]
    pub(super) fn add_known(&mut self, out: Entries<'_, 'de>, key_foldable: bool, free_form: bool) {
        self.foldable |= key_foldable;
        if out.len() < SCAN_KEYS {
            return;
        }
        let new = if self.big.is_some() {
            &out[out.len() - 1..]
        } else {
            out
        };
        let big = self.big.get_or_insert_with(Box::default);
        for &(k, _) in new {
            big.exact.insert(k);
            if !free_form {
                big.lowered.entry(k.to_lowercase()).or_insert(k);
            }
        }
    }
}
