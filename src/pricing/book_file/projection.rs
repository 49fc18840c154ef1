//! `[pricing.projection]` validated into [`Projection`]: the built-in
//! defaults and each setting checked against its range. Its own file
//! because the projection parameters are a section apart from the feature
//! prices that `book_file` validates.

use super::{BookError, FileProjection};
use crate::pricing::book::Projection;
use crate::pricing::features;

pub(super) fn builtin_projection() -> Projection {
    let s = |secs: u32| u64::from(secs) * 1000;
    Projection {
        wpm_milli: (features::DEFAULT_WORDS_PER_MINUTE * 1000.0) as u64,
        cjk_cps_milli: (features::DEFAULT_CJK_CHARS_PER_SECOND * 1000.0) as u64,
        safety_permille: (features::DEFAULT_SAFETY_FACTOR * 1000.0).round() as u64,
        default_audio_ms: s(features::DEFAULT_AUDIO_SECONDS),
        default_translation_source_ms: s(features::DEFAULT_TRANSLATION_SOURCE_SECONDS),
        default_template_ms: s(features::DEFAULT_TEMPLATE_SECONDS),
        default_agent_ms: s(features::DEFAULT_AGENT_SECONDS),
        default_session_ms: s(features::DEFAULT_SESSION_SECONDS),
        default_render_ms: s(features::DEFAULT_RENDER_SECONDS),
        learn: false,
    }
}

/// A float setting × 1000 within `[min, max]`, or an error naming the key.
fn milli(
    value: Option<f64>,
    key: &str,
    min: f64,
    max: f64,
    errs: &mut Vec<BookError>,
) -> Option<u64> {
    let v = value?;
    if v.is_finite() && (min..=max).contains(&v) {
        Some((v * 1000.0).round() as u64)
    } else {
        errs.push(BookError::new(
            format!("projection.{key}"),
            format!("is {v}; must be between {min} and {max}"),
        ));
        None
    }
}

fn seconds(value: Option<u32>, key: &str, default_ms: u64, errs: &mut Vec<BookError>) -> u64 {
    match value {
        None => default_ms,
        Some(v) if (1..=86_400).contains(&v) => u64::from(v) * 1000,
        Some(v) => {
            errs.push(BookError::new(
                format!("projection.{key}"),
                format!("is {v}; must be 1–86400 seconds"),
            ));
            default_ms
        }
    }
}

pub(super) fn projection(p: &FileProjection, errs: &mut Vec<BookError>) -> Projection {
    let d = builtin_projection();
    Projection {
        wpm_milli: milli(p.words_per_minute, "words_per_minute", 10.0, 1000.0, errs)
            .unwrap_or(d.wpm_milli),
        cjk_cps_milli: milli(
            p.cjk_chars_per_second,
            "cjk_chars_per_second",
            0.5,
            50.0,
            errs,
        )
        .unwrap_or(d.cjk_cps_milli),
        safety_permille: milli(p.safety_factor, "safety_factor", 1.0, 10.0, errs)
            .unwrap_or(d.safety_permille),
        default_audio_ms: seconds(
            p.default_audio_seconds,
            "default_audio_seconds",
            d.default_audio_ms,
            errs,
        ),
        default_translation_source_ms: seconds(
            p.default_translation_source_seconds,
            "default_translation_source_seconds",
            d.default_translation_source_ms,
            errs,
        ),
        default_template_ms: seconds(
            p.default_template_seconds,
            "default_template_seconds",
            d.default_template_ms,
            errs,
        ),
        default_agent_ms: seconds(
            p.default_agent_seconds,
            "default_agent_seconds",
            d.default_agent_ms,
            errs,
        ),
        default_session_ms: seconds(
            p.default_session_seconds,
            "default_session_seconds",
            d.default_session_ms,
            errs,
        ),
        default_render_ms: seconds(
            p.default_render_seconds,
            "default_render_seconds",
            d.default_render_ms,
            errs,
        ),
        learn: p.learn.unwrap_or(d.learn),
    }
}
