//! `POST /v3/videos` and its batch items, per HeyGen's current schema
//! (heygen-cli `gen/video.go`): `avatar`, `image`, `cinematic_avatar` and
//! `studio`, whose scenes are `avatar_video` (script or audio under
//! `input`), `image` (silent for `duration`, or narrated) and `video`
//! (a clip whose length the request does not carry). Every shape is priced
//! scene by scene or refused naming the field.

use super::draft::{costliest, unpriceable, Ctx, DraftJob, DraftScene};
use super::facts::{avatar_feature, Engine};
use super::features::*;
use super::json::{self, arr_opt, as_obj, field, obj_opt, path, secs_opt, str_opt, Obj};
use super::rules::{check_resolution, script_or_audio};
use super::PricingError;

/// HeyGen's limit on studio scenes.
const MAX_STUDIO_SCENES: usize = 50;
/// HeyGen's limit on a silent image scene.
const MAX_SILENT_IMAGE_MS: u64 = 300_000;
/// Cinematic videos are 4–15 s; the longest is shown (the price is flat).
const CINEMATIC_MAX_MS: u64 = 15_000;
const SCRIPT_KEYS: &[&str] = &["script", "input_text"];

/// One `POST /v3/videos` payload (also a batch item).
pub(super) fn video(ctx: &Ctx<'_>, o: &Obj<'_>, at: &str) -> Result<DraftJob, PricingError> {
    let uhd = check_resolution(ctx, o, at)?;
    let kind = match str_opt(o, "type", at)? {
        Some(t) => t,
        None if field(o, "avatar_id").is_some() => "avatar",
        None if field(o, "image").is_some() || field(o, "image_url").is_some() => "image",
        None => return Err(json::missing(at, "type")),
    };
    let scenes = match kind {
        "avatar" => {
            let feature = engine_feature(ctx, o, at)?;
            vec![script_or_audio(ctx, o, at, feature, SCRIPT_KEYS)?]
        }
        // An animated still image is a photo avatar at Avatar IV (PAYG bills
        // it at the photo rate, $0.05/s).
        "image" => vec![script_or_audio(ctx, o, at, PHOTO_AVATAR_IV, SCRIPT_KEYS)?],
        "cinematic_avatar" => {
            // Flat price per video; the duration is shown, not billed.
            let ms = secs_opt(o, "duration", at)?.unwrap_or(CINEMATIC_MAX_MS);
            return Ok(DraftJob::single(CINEMATIC_AVATAR, ms, "duration", true));
        }
        "studio" => studio_scenes(ctx, o, at)?,
        other => {
            return Err(unpriceable(format!(
                "{}: video type {other:?} has no price; add a rule before allowing it",
                path(at, "type")
            )))
        }
    };
    let job = DraftJob {
        feature: costliest(ctx, &scenes),
        scenes,
        video: true,
    };
    Ok(job.at_uhd(ctx, uhd))
}

/// The scenes of a `studio` video. Older bodies without `scenes` but with a
/// top-level script or audio are priced as one scene.
fn studio_scenes(ctx: &Ctx<'_>, o: &Obj<'_>, at: &str) -> Result<Vec<DraftScene>, PricingError> {
    let sat = path(at, "scenes");
    let Some(list) = arr_opt(o, "scenes", at)? else {
        return Ok(vec![script_or_audio(ctx, o, at, AVATAR_IV, SCRIPT_KEYS)
            .map_err(|_| json::missing(at, "scenes"))?]);
    };
    if list.is_empty() || list.len() > MAX_STUDIO_SCENES {
        return Err(PricingError::invalid(
            &sat,
            format!("must contain 1 to {MAX_STUDIO_SCENES} scenes"),
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, v)| {
            let at = format!("{sat}[{i}]");
            studio_scene(ctx, as_obj(v, &at)?, &at)
        })
        .collect()
}

/// One studio scene. A scene without `type` is read by what it carries
/// (`input` → `avatar_video`; a script or audio → narrated).
fn studio_scene(ctx: &Ctx<'_>, s: &Obj<'_>, at: &str) -> Result<DraftScene, PricingError> {
    let kind = match str_opt(s, "type", at)? {
        Some(t) => t,
        None if field(s, "input").is_some() => "avatar_video",
        None => "narrated",
    };
    match kind {
        "avatar_video" => {
            let Some(input) = obj_opt(s, "input", at)? else {
                // Tolerated: the script on the scene itself.
                return script_or_audio(ctx, s, at, AVATAR_IV, SCRIPT_KEYS);
            };
            let iat = path(at, "input");
            let feature = match str_opt(input, "type", &iat)? {
                None | Some("avatar") => engine_feature(ctx, input, &iat)?,
                Some("image") => AVATAR_IV,
                Some(other) => {
                    return Err(PricingError::invalid(
                        &path(&iat, "type"),
                        format!("is {other:?}; expected \"avatar\" or \"image\""),
                    ))
                }
            };
            script_or_audio(ctx, input, &iat, feature, SCRIPT_KEYS)
        }
        "image" => image_scene(ctx, s, at),
        "video" => {
            if field(s, "source").is_none() {
                return Err(json::missing(at, "source"));
            }
            // The clip's length is not in the request: its probed length,
            // else the configured source default, trued up from the
            // rendered duration.
            let (ms, basis) = ctx.media_ms(
                super::media::url_of(field(s, "source")),
                ctx.proj().default_translation_source_ms,
                "source_default",
            );
            Ok(DraftScene {
                feature: AVATAR_IV,
                ms,
                basis,
            })
        }
        "narrated" => script_or_audio(ctx, s, at, AVATAR_IV, SCRIPT_KEYS),
        other => Err(PricingError::invalid(
            &path(at, "type"),
            format!("is {other:?}; expected \"avatar_video\", \"image\" or \"video\""),
        )),
    }
}

/// A still image: silent for `duration` (0 < d ≤ 300 s) or narrated by a
/// script or audio. Both given (HeyGen refuses that): the longer.
fn image_scene(ctx: &Ctx<'_>, s: &Obj<'_>, at: &str) -> Result<DraftScene, PricingError> {
    let silent = match secs_opt(s, "duration", at)? {
        Some(ms) if ms == 0 || ms > MAX_SILENT_IMAGE_MS => {
            return Err(PricingError::invalid(
                &path(at, "duration"),
                "must be greater than 0 and at most 300 seconds",
            ))
        }
        Some(ms) => Some(DraftScene {
            feature: AVATAR_IV,
            ms,
            basis: "duration",
        }),
        None => None,
    };
    let narrated = script_or_audio(ctx, s, at, AVATAR_IV, &["script"]).ok();
    match (silent, narrated) {
        (Some(a), Some(b)) if b.ms > a.ms => Ok(b),
        (Some(a), _) => Ok(a),
        (None, Some(b)) => Ok(b),
        (None, None) => Err(PricingError::invalid(
            &path(at, "duration"),
            "is required for a silent image scene (or script / audio_url / audio_asset_id)",
        )),
    }
}

/// The feature of an avatar scene: its engine (`engine.type`: Avatar III,
/// or IV / V; without one, the look's default — III when the look supports
/// nothing newer) and its look's kind (a `photo_avatar` look is billed as a
/// photo avatar: `talking_photo` at III, `photo_avatar_iv` at IV/V). A look
/// that is not known is priced at the dearest feature it could be (the
/// Avatar IV rate by default).
pub(super) fn engine_feature(
    ctx: &Ctx<'_>,
    o: &Obj<'_>,
    at: &str,
) -> Result<&'static str, PricingError> {
    let named = match obj_opt(o, "engine", at)? {
        Some(e) => str_opt(e, "type", &path(at, "engine"))?,
        None => None,
    };
    let Some(engine) = Engine::of_v3(named) else {
        return Err(unpriceable(format!(
            "{}: engine {:?} has no price; add a rule before allowing it",
            path(at, "engine.type"),
            named.unwrap_or_default()
        )));
    };
    let look = str_opt(o, "avatar_id", at)?.and_then(|id| ctx.facts.looks.get(id));
    Ok(avatar_feature(ctx.book, look, engine))
}
