//! Field readers shared by the v1/v2 and v3 rules: a script or an audio
//! input (with its voice speed), the `resolution` policy, the translation
//! `mode` and the count of output languages. Its own file because these
//! read request fields for every generation's rules; `rules` drafts jobs.

use super::draft::{Ctx, DraftScene};
use super::features::*;
use super::json::{arr_opt, bool_opt, field, obj_opt, path};
use super::json::{speed_milli, str_opt, Obj, VIDEO_SPEED};
use super::media::MediaKey;
use super::text::script_ms;
use super::PricingError;

/// A script under one of `script_keys` (speed from `voice_settings.speed` or
/// `speed`) or an audio input at the default length; when a body has both
/// (HeyGen would reject it, or read either) the longer is priced.
pub(super) fn script_or_audio(
    ctx: &Ctx<'_>,
    o: &Obj<'_>,
    at: &str,
    feature: &'static str,
    script_keys: &[&str],
) -> Result<DraftScene, PricingError> {
    let mut best: Option<DraftScene> = None;
    for key in script_keys {
        if let Some(text) = str_opt(o, key, at)? {
            let speed = voice_speed(o, at)?;
            best = Some(DraftScene {
                feature,
                ms: script_ms(text, ctx.proj(), speed),
                basis: "text",
            });
            break;
        }
    }
    let audio = ["audio_url", "audio_asset_id", "audio"]
        .iter()
        .any(|k| field(o, k).is_some());
    let (audio_ms, basis) =
        ctx.media_ms(audio_key(o), ctx.proj().default_audio_ms, "audio_default");
    // The longer of script and audio, when both are given.
    if audio && best.as_ref().is_none_or(|s| s.ms < audio_ms) {
        best = Some(DraftScene {
            feature,
            ms: audio_ms,
            basis,
        });
    }
    best.ok_or_else(|| {
        PricingError::invalid(
            &path(at, script_keys.first().copied().unwrap_or("script")),
            "is required (or audio_url / audio_asset_id)",
        )
    })
}

/// Where a body's audio input is: `audio_url`, an `audio` input (a URL,
/// `{type: "url"}` or `{type: "asset_id"}`), or `audio_asset_id`, the
/// first given. One reading for every rule (and a realtime `audio`
/// stream's play length), so the media the proxy read before pricing is
/// looked up under the same key everywhere.
pub(super) fn audio_key<'a>(o: &'a Obj<'_>) -> Option<MediaKey<'a>> {
    super::media::url_of(field(o, "audio_url"))
        .or_else(|| super::media::url_of(field(o, "audio")))
        .or_else(|| super::media::asset_of(field(o, "audio_asset_id")))
}

/// Where a text-to-speech body carries its text: Starfish TTS (`POST
/// /v3/voices/speech`) reads `text` (or `input_text`, `script`), and a v3
/// realtime `tts` stream is started with its `text` too. The first given
/// is what is spoken.
pub(super) const SPEECH_TEXT_KEYS: &[&str] = &["text", "input_text", "script"];

/// `voice_settings.speed` when given, else a flat `speed`.
pub(super) fn voice_speed(o: &Obj<'_>, at: &str) -> Result<u64, PricingError> {
    match obj_opt(o, "voice_settings", at)? {
        Some(vs) if field(vs, "speed").is_some() => {
            speed_milli(vs, "speed", &path(at, "voice_settings"), VIDEO_SPEED)
        }
        _ => speed_milli(o, "speed", at, VIDEO_SPEED),
    }
}

/// v3 `resolution` above 1080p (`4k`, …) is refused unless enterprise;
/// `Ok(true)` when an enterprise plan renders above 1080p.
pub(super) fn check_resolution(ctx: &Ctx<'_>, o: &Obj<'_>, at: &str) -> Result<bool, PricingError> {
    let Some(r) = str_opt(o, "resolution", at)? else {
        return Ok(false);
    };
    let above_1080 = matches!(
        r.to_ascii_lowercase().as_str(),
        "4k" | "2160p" | "1440p" | "2k"
    );
    if above_1080 && !ctx.enterprise() {
        return Err(super::PricingError::new(
            400,
            "resolution_not_allowed",
            format!(
                "{}: {r:?} is above 1080p; the plan allows 1080p at most",
                path(at, "resolution")
            ),
        ));
    }
    Ok(above_1080)
}

/// Translation feature from `mode`: fast/speed (default) or quality/precision;
/// `translate_audio_only` at the fast mode is its own feature (PAYG bills it
/// at half). Precision has no audio-only rate, so it stays precision.
pub(super) fn translation_feature(o: &Obj<'_>, at: &str) -> Result<&'static str, PricingError> {
    let audio_only = bool_opt(o, "translate_audio_only", at)?.unwrap_or(false);
    match str_opt(o, "mode", at)? {
        None | Some("fast" | "speed") if audio_only => Ok(TRANSLATION_AUDIO_ONLY),
        None | Some("fast" | "speed") => Ok(TRANSLATION_FAST),
        Some("quality" | "precision") => Ok(TRANSLATION_QUALITY),
        Some(other) => Err(PricingError::invalid(
            &path(at, "mode"),
            format!("is {other:?}; expected \"fast\"/\"speed\" or \"quality\"/\"precision\""),
        )),
    }
}

/// Number of output languages: `output_languages` (non-empty array of
/// strings) or `output_language`; when not `required`, absent means one.
pub(super) fn languages(o: &Obj<'_>, at: &str, required: bool) -> Result<usize, PricingError> {
    if let Some(list) = arr_opt(o, "output_languages", at)? {
        if list.is_empty() {
            return Err(PricingError::invalid(
                &path(at, "output_languages"),
                "must not be empty",
            ));
        }
        if let Some(i) = list.iter().position(|v| !v.is_string()) {
            return Err(PricingError::invalid(
                &format!("{}[{i}]", path(at, "output_languages")),
                "expected a string",
            ));
        }
        return Ok(list.len());
    }
    match str_opt(o, "output_language", at)? {
        Some(_) => Ok(1),
        None if !required => Ok(1),
        None => Err(PricingError::invalid(
            &path(at, "output_language"),
            "is required (or output_languages)",
        )),
    }
}
