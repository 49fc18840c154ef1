//! A [`PriceBook`] as text, for the ledger's record of every book the
//! gateway ran with (the `price_books` module, above pricing). The text is
//! the raw `[pricing]` section ([`FilePricing`]) with every feature and
//! projection setting written out, as JSON, so reading it back goes
//! through the same validation as a config file and yields an equal book:
//! a book is only ever built by validation.
//!
//! Every value is explicit so the text means the same book to a later
//! build whose built-in defaults changed. `inherit_defaults` stays on so a
//! later build that added a feature can still read it (the new feature
//! takes that build's default; no hold under this book can be for it).

use super::book::PriceBook;
use super::book_file::{FileFeature, FilePricing, FileProjection};
use super::features::Unit;
use crate::money::micros_to_credits;

// === impl PriceBook (canonical text) ===

impl PriceBook {
    /// The book as canonical text: equal books give equal text within one
    /// build (features in name order, fields in declaration order).
    pub fn to_canonical(&self) -> String {
        // Plain structs of numbers and strings always serialize.
        serde_json::to_string(&self.to_file()).unwrap_or_default()
    }

    /// Reads [`PriceBook::to_canonical`]'s text back through validation;
    /// the error says what did not parse or validate.
    pub fn from_canonical(text: &str) -> Result<PriceBook, String> {
        let file: FilePricing = serde_json::from_str(text).map_err(|e| e.to_string())?;
        PriceBook::from_file(&file).map_err(|errs| {
            let parts: Vec<String> = errs
                .iter()
                .map(|e| format!("{}: {}", e.key, e.message))
                .collect();
            parts.join("; ")
        })
    }

    fn to_file(&self) -> FilePricing {
        let features = self
            .prices
            .iter()
            .map(|(name, p)| {
                let credits = Some(micros_to_credits(p.micros));
                let f = match p.unit {
                    // Validation refuses rounding keys on a per-call price.
                    Unit::PerCall => FileFeature {
                        credits_per_call: credits,
                        ..FileFeature::default()
                    },
                    Unit::PerMinute => FileFeature {
                        credits_per_minute: credits,
                        increment_seconds: Some(p.increment_seconds),
                        increment_seconds_v3: Some(p.increment_seconds_v3),
                        minimum_seconds: Some(p.minimum_seconds),
                        credits_per_call: None,
                    },
                };
                ((*name).to_owned(), f)
            })
            .collect();
        let pr = &self.projection;
        // Validated factors are integers × 1000; ÷ 1000 and back is exact.
        let factor = |milli: u64| Some(milli as f64 / 1000.0);
        // Durations were whole seconds × 1000 when validated.
        let secs = |ms: u64| Some(u32::try_from(ms / 1000).unwrap_or(u32::MAX));
        FilePricing {
            version: Some(self.version.clone()),
            inherit_defaults: Some(true),
            features,
            projection: FileProjection {
                words_per_minute: factor(pr.wpm_milli),
                cjk_chars_per_second: factor(pr.cjk_cps_milli),
                safety_factor: factor(pr.safety_permille),
                default_audio_seconds: secs(pr.default_audio_ms),
                default_translation_source_seconds: secs(pr.default_translation_source_ms),
                default_template_seconds: secs(pr.default_template_ms),
                default_agent_seconds: secs(pr.default_agent_ms),
                default_session_seconds: secs(pr.default_session_ms),
                default_render_seconds: secs(pr.default_render_ms),
                learn: Some(pr.learn),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(toml: &str) -> PriceBook {
        crate::config::Config::from_toml(toml).unwrap().pricing
    }

    #[test]
    fn the_default_book_round_trips() {
        let base = PriceBook::builtin();
        let text = base.to_canonical();
        assert_eq!(PriceBook::from_canonical(&text).unwrap(), base);
        assert_eq!(
            PriceBook::from_canonical(&text).unwrap().to_canonical(),
            text
        );
    }

    #[test]
    fn a_book_with_other_prices_round_trips() {
        let changed = book(
            "[pricing]\nversion = \"2027-01\"\ninherit_defaults = true\n\
             [pricing.features.avatar_iv]\ncredits_per_minute = 9.123457\nincrement_seconds = 15\n\
             increment_seconds_v3 = 2\nminimum_seconds = 45\n\
             [pricing.features.standard_avatar]\ncredits_per_minute = 0.000001\n\
             [pricing.projection]\nwords_per_minute = 123.456\ncjk_chars_per_second = 3.3\n\
             safety_factor = 1.375\ndefault_audio_seconds = 77\ndefault_render_seconds = 3\nlearn = true\n",
        );
        assert_ne!(changed, PriceBook::builtin());
        let back = PriceBook::from_canonical(&changed.to_canonical()).unwrap();
        assert_eq!(back, changed);
        assert_eq!(back.version(), "2027-01");
    }

    /// Every value is written out, so a later build whose defaults
    /// changed reads the same book from the text.
    #[test]
    fn the_text_leaves_nothing_to_defaults() {
        let text = PriceBook::builtin().to_canonical();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let projection = v["projection"].as_object().unwrap();
        assert!(!projection.is_empty());
        for (key, value) in projection {
            assert!(!value.is_null(), "projection.{key} left to defaults");
        }
        let features = v["features"].as_object().unwrap();
        assert_eq!(features.len(), super::super::features::FEATURES.len());
        for (name, f) in features {
            let per_call = !f["credits_per_call"].is_null();
            let keys: &[&str] = if per_call {
                &["credits_per_call"]
            } else {
                &[
                    "credits_per_minute",
                    "increment_seconds",
                    "increment_seconds_v3",
                    "minimum_seconds",
                ]
            };
            for key in keys {
                assert!(!f[*key].is_null(), "features.{name}.{key} left to defaults");
            }
        }
    }

    #[test]
    fn text_that_is_no_book_is_an_error() {
        assert!(PriceBook::from_canonical("{").is_err());
        let err = PriceBook::from_canonical(r#"{"features":{"no_such_feature":{}}}"#).unwrap_err();
        assert!(err.contains("features.no_such_feature"), "{err}");
    }
}
