//! Numbers of request JSON read as durations and speeds, with errors that
//! name the field (rendered only when one is returned).

use super::json::{num_opt, path, Loc, Obj};
use super::PricingError;

/// Longest duration any single JSON number may stand for (10^7 s ≈ 115 days);
/// larger values are clamped, which still fails every plan limit.
const MAX_MS: u64 = 10_000_000_000;

/// Seconds (a JSON number) → milliseconds, rounded up; negative is invalid.
/// The path is rendered only for the error.
fn secs_ms(secs: f64, at: &(impl Loc + ?Sized), key: &str) -> Result<u64, PricingError> {
    if !secs.is_finite() || secs < 0.0 {
        return Err(PricingError::invalid(
            &path(at, key),
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
pub(super) fn secs_opt(
    o: &Obj<'_>,
    key: &str,
    at: &(impl Loc + ?Sized),
) -> Result<Option<u64>, PricingError> {
    num_opt(o, key, at)?
        .map(|s| secs_ms(s, at, key))
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
    at: &(impl Loc + ?Sized),
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
