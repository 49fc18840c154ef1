//! The raw `[pricing]` TOML structs and their validation into prices and
//! projection parameters. Floats appear only here, converted once; every
//! problem is reported with its key path inside the section.
//!
//! This file holds the raw structs and the feature prices; the projection
//! parameters are validated in `projection`.

mod projection;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::book::{Price, PriceBook};
use super::features::{self, Unit, FEATURES};
use crate::money::credits_to_micros;
use projection::{builtin_projection, projection};

/// Raw `[pricing]` section. Every key is optional: built-in defaults cover
/// the whole catalog unless `inherit_defaults = false`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FilePricing {
    pub version: Option<String>,
    /// `false`: every catalog feature must be priced in this file.
    pub inherit_defaults: Option<bool>,
    #[serde(default)]
    pub features: BTreeMap<String, FileFeature>,
    #[serde(default)]
    pub projection: FileProjection,
}

/// Raw `[pricing.features.<name>]`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileFeature {
    pub credits_per_minute: Option<f64>,
    pub increment_seconds: Option<u32>,
    /// Rounding step for v3 routes (HeyGen bills v3 per second).
    pub increment_seconds_v3: Option<u32>,
    pub minimum_seconds: Option<u32>,
    pub credits_per_call: Option<f64>,
}

/// Raw `[pricing.projection]`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileProjection {
    pub words_per_minute: Option<f64>,
    pub cjk_chars_per_second: Option<f64>,
    pub safety_factor: Option<f64>,
    pub default_audio_seconds: Option<u32>,
    pub default_translation_source_seconds: Option<u32>,
    pub default_template_seconds: Option<u32>,
    pub default_agent_seconds: Option<u32>,
    pub default_session_seconds: Option<u32>,
    pub default_render_seconds: Option<u32>,
    /// Scale a tenant's projections by what its settled jobs showed (see
    /// `pricing::learn`); off by default.
    pub learn: Option<bool>,
}

/// One problem in the `[pricing]` section: the key path inside the section
/// (`features.avatar_iv.credits_per_minute`) and the fix. Config prefixes
/// the section name when it reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookError {
    pub key: String,
    pub message: String,
}

impl BookError {
    fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

// === impl PriceBook (construction) ===

impl Default for PriceBook {
    fn default() -> Self {
        Self::builtin()
    }
}

impl PriceBook {
    /// The built-in book (no overrides).
    pub fn builtin() -> PriceBook {
        match Self::from_file(&FilePricing::default()) {
            Ok(book) => book,
            // The built-in table is validated by a unit test; never reached.
            Err(_) => PriceBook {
                version: features::DEFAULT_VERSION.into(),
                prices: BTreeMap::new(),
                projection: builtin_projection(),
            },
        }
    }

    /// Validates the `[pricing]` section; every problem is reported with its
    /// key path and the fix.
    pub fn from_file(file: &FilePricing) -> Result<PriceBook, Vec<BookError>> {
        let mut errs = Vec::new();
        let version = match file.version.as_deref().map(str::trim) {
            None => features::DEFAULT_VERSION.to_owned(),
            Some(v) if v.is_empty() || v.len() > 100 || v.chars().any(char::is_control) => {
                errs.push(BookError::new(
                    "version",
                    "must be 1–100 printable characters, e.g. \"2026-02\"",
                ));
                String::new()
            }
            Some(v) => v.to_owned(),
        };
        let inherit = file.inherit_defaults.unwrap_or(true);
        for name in file.features.keys() {
            if features::spec(name).is_none() {
                let known: Vec<&str> = FEATURES.iter().map(|f| f.name).collect();
                errs.push(BookError::new(
                    format!("features.{name}"),
                    format!("unknown feature; use one of: {}", known.join(", ")),
                ));
            }
        }
        let mut prices = BTreeMap::new();
        for spec in FEATURES {
            let over = file.features.get(spec.name);
            if let (None, false, Some(parent)) = (over, inherit, features::parent(spec.name)) {
                // A book that prices everything itself but not this
                // refinement (written before it existed): priced like its
                // parent (already resolved, or already reported missing).
                if let Some(price) = prices.get(parent).cloned() {
                    prices.insert(spec.name, price);
                }
                continue;
            }
            if let Some(price) = feature_price(spec, over, inherit, &mut errs) {
                prices.insert(spec.name, price);
            }
        }
        let projection = projection(&file.projection, &mut errs);
        if errs.is_empty() {
            Ok(PriceBook {
                version,
                prices,
                projection,
            })
        } else {
            Err(errs)
        }
    }
}

fn feature_price(
    spec: &features::FeatureSpec,
    over: Option<&FileFeature>,
    inherit: bool,
    errs: &mut Vec<BookError>,
) -> Option<Price> {
    let key = format!("features.{}", spec.name);
    let empty = FileFeature::default();
    let f = over.unwrap_or(&empty);
    let (given, wrong, price_key) = match spec.unit {
        Unit::PerMinute => (
            f.credits_per_minute,
            f.credits_per_call.is_some(),
            "credits_per_minute",
        ),
        Unit::PerCall => (
            f.credits_per_call,
            f.credits_per_minute.is_some()
                || f.increment_seconds.is_some()
                || f.increment_seconds_v3.is_some()
                || f.minimum_seconds.is_some(),
            "credits_per_call",
        ),
    };
    if wrong {
        errs.push(BookError::new(
            key.clone(),
            format!("this feature is priced by {price_key} only; remove the other keys"),
        ));
    }
    let credits = match (given, inherit) {
        (Some(c), _) => c,
        (None, true) => spec.credits,
        (None, false) => {
            errs.push(BookError::new(
                format!("{key}.{price_key}"),
                "missing: the catalog charges this feature and inherit_defaults = false; \
                 set a price or set pricing.inherit_defaults = true",
            ));
            return None;
        }
    };
    let micros = match credits_to_micros(credits) {
        Some(m) if (0..=1_000_000 * crate::money::MICROS_PER_CREDIT).contains(&m) => m,
        _ => {
            errs.push(BookError::new(
                format!("{key}.{price_key}"),
                format!("is {credits}; must be a number of credits between 0 and 1000000"),
            ));
            return None;
        }
    };
    let increment = f.increment_seconds.unwrap_or(spec.increment_seconds);
    if !(1..=3600).contains(&increment) {
        errs.push(BookError::new(
            format!("{key}.increment_seconds"),
            format!("is {increment}; must be 1–3600 (HeyGen legacy credits use 30)"),
        ));
    }
    let increment_v3 = f.increment_seconds_v3.unwrap_or(spec.increment_seconds_v3);
    if !(1..=3600).contains(&increment_v3) {
        errs.push(BookError::new(
            format!("{key}.increment_seconds_v3"),
            format!("is {increment_v3}; must be 1–3600 (HeyGen v3 bills per second: 1)"),
        ));
    }
    let minimum = f.minimum_seconds.unwrap_or(spec.minimum_seconds);
    if minimum > 86_400 {
        errs.push(BookError::new(
            format!("{key}.minimum_seconds"),
            format!("is {minimum}; must be at most 86400"),
        ));
    }
    Some(Price {
        unit: spec.unit,
        micros,
        increment_seconds: increment,
        increment_seconds_v3: increment_v3,
        minimum_seconds: minimum,
    })
}
