//! v1/v2 avatar-video rules: `POST /v2/video/generate` scenes and
//! `POST /v1/video.webm`, plus the v2 `dimension` policy.

use super::draft::{costliest, Ctx, Draft, DraftJob, DraftScene};
use super::facts::{avatar_feature, Engine};
use super::features::*;
use super::json::{
    self, arr_opt, as_obj, bool_opt, field, num_opt, obj_opt, obj_req, path, At, Loc,
};
use super::json::{secs_opt, speed_milli, str_opt, str_req, Obj, VIDEO_SPEED};
use super::text::script_ms;
use super::{PricingError, SettleMode};

pub(super) fn video_job(feature: &'static str, scenes: Vec<DraftScene>) -> Draft {
    Draft::new(
        vec![DraftJob {
            feature,
            scenes,
            video: true,
        }],
        SettleMode::PerJob,
    )
}

/// `POST /v2/video/generate`: scenes summed; the video is billed entirely
/// at its costliest scene's feature (one Avatar IV scene makes it IV).
pub(super) fn studio(ctx: &Ctx<'_>, o: &Obj<'_>) -> Result<Draft, PricingError> {
    let test = bool_opt(o, "test", &At::Root)?.unwrap_or(false);
    let uhd = check_dimension(ctx, o, &At::Root)?;
    let scenes = studio_scenes(ctx, o)?;
    let mut d = video_job(costliest(ctx, &scenes), scenes).at_uhd(ctx, uhd);
    d.test = test;
    Ok(d)
}

fn studio_scenes(ctx: &Ctx<'_>, o: &Obj<'_>) -> Result<Vec<DraftScene>, PricingError> {
    let inputs =
        arr_opt(o, "video_inputs", &At::Root)?.ok_or_else(|| json::missing("", "video_inputs"))?;
    if inputs.is_empty() {
        return Err(PricingError::invalid(
            "video_inputs",
            "must contain at least one scene",
        ));
    }
    let mut scenes = Vec::with_capacity(inputs.len());
    let list = At::Root.key("video_inputs");
    let mut memo = Memo::new();
    for (i, v) in inputs.iter().enumerate() {
        let at = list.index(i);
        let scene = as_obj(v, &at)?;
        let feature = character_feature(ctx, scene, &at, &mut memo)?;
        let voice = obj_req(scene, "voice", &at)?;
        scenes.push(voice_scene(ctx, voice, &at.key("voice"), feature)?);
    }
    Ok(scenes)
}

/// Features of the avatar looks (id, engine) met so far in one request:
/// scenes mostly repeat a look, and weighing a look's possible features
/// against the price book was a sixteenth of a 50-scene quote. The
/// feature depends only on the look, the engine and the book, so the
/// result is the same.
type Memo<'o> = Vec<(Option<&'o str>, Engine, &'static str)>;
const MEMO_LOOKS: usize = 8;

/// A scene's feature from its `character`: `talking_photo` is a photo
/// avatar; `avatar` (or no type) is priced by its look (`avatar_id` is a
/// look id), a photo-avatar look as a photo avatar, an unknown look at the
/// video-avatar rate (the dearer); `use_avatar_iv_model` selects Avatar IV.
/// A scene without a character is priced as an avatar of unknown look.
fn character_feature<'o>(
    ctx: &Ctx<'_>,
    scene: &'o Obj<'_>,
    at: &At<'_>,
    memo: &mut Memo<'o>,
) -> Result<&'static str, PricingError> {
    let Some(c) = obj_opt(scene, "character", at)? else {
        return Ok(avatar_feature(ctx.book, None, Engine::Iii));
    };
    let cat = at.key("character");
    let iv = bool_opt(c, "use_avatar_iv_model", &cat)?.unwrap_or(false);
    let engine = if iv { Engine::Iv } else { Engine::Iii };
    match str_opt(c, "type", &cat)? {
        Some("talking_photo") => Ok(if iv { PHOTO_AVATAR_IV } else { TALKING_PHOTO }),
        None | Some("avatar") => {
            let id = str_opt(c, "avatar_id", &cat)?;
            if let Some(&(_, _, f)) = memo.iter().find(|(i, e, _)| *i == id && *e == engine) {
                return Ok(f);
            }
            let look = id.and_then(|id| ctx.facts.looks.get(id));
            let f = avatar_feature(ctx.book, look, engine);
            if memo.len() < MEMO_LOOKS {
                memo.push((id, engine, f));
            }
            Ok(f)
        }
        Some(other) => Err(PricingError::invalid(
            &path(&cat, "type"),
            format!("is {other:?}; expected \"avatar\" or \"talking_photo\""),
        )),
    }
}

/// A v2 scene voice: text (words, CJK, breaks at `speed`), audio (default
/// length) or silence (`duration`, default 1 s).
fn voice_scene(
    ctx: &Ctx<'_>,
    v: &Obj<'_>,
    at: &At<'_>,
    feature: &'static str,
) -> Result<DraftScene, PricingError> {
    let (ms, basis) = match str_req(v, "type", at)? {
        "text" => {
            let text = str_req(v, "input_text", at)?;
            let speed = speed_milli(v, "speed", at, VIDEO_SPEED)?;
            (script_ms(text, ctx.proj(), speed), "text")
        }
        "audio" => ctx.media_ms(
            super::media::url_of(field(v, "audio_url"))
                .or_else(|| super::media::asset_of(field(v, "audio_asset_id"))),
            ctx.proj().default_audio_ms,
            "audio_default",
        ),
        "silence" => (secs_opt(v, "duration", at)?.unwrap_or(1000), "silence"),
        other => {
            return Err(PricingError::invalid(
                &path(at, "type"),
                format!("is {other:?}; expected \"text\", \"audio\" or \"silence\""),
            ))
        }
    };
    Ok(DraftScene { feature, ms, basis })
}

/// `POST /v1/video.webm`: flat `input_text` / `input_audio`, or v2 scenes.
pub(super) fn webm(ctx: &Ctx<'_>, o: &Obj<'_>) -> Result<Draft, PricingError> {
    let uhd = check_dimension(ctx, o, &At::Root)?;
    if field(o, "video_inputs").is_some() {
        let scenes = studio_scenes(ctx, o)?;
        return Ok(video_job(costliest(ctx, &scenes), scenes).at_uhd(ctx, uhd));
    }
    let scene = if let Some(text) = str_opt(o, "input_text", "")? {
        let speed = speed_milli(o, "speed", "", VIDEO_SPEED)?;
        DraftScene {
            feature: STANDARD_AVATAR,
            ms: script_ms(text, ctx.proj(), speed),
            basis: "text",
        }
    } else if field(o, "input_audio").is_some() || field(o, "audio_url").is_some() {
        let url = super::media::url_of(field(o, "audio_url"))
            .or_else(|| super::media::url_of(field(o, "input_audio")));
        let (ms, basis) = ctx.media_ms(url, ctx.proj().default_audio_ms, "audio_default");
        DraftScene {
            feature: STANDARD_AVATAR,
            ms,
            basis,
        }
    } else {
        return Err(PricingError::invalid(
            "input_text",
            "is required (or input_audio)",
        ));
    };
    Ok(video_job(STANDARD_AVATAR, vec![scene]).at_uhd(ctx, uhd))
}

/// v2 `dimension {width, height}` above 1080p (long side > 1920 or short
/// side > 1080) is refused unless enterprise; `Ok(true)` when an enterprise
/// plan renders above 1080p.
pub(super) fn check_dimension(
    ctx: &Ctx<'_>,
    o: &Obj<'_>,
    at: &(impl Loc + ?Sized),
) -> Result<bool, PricingError> {
    let Some(dim) = obj_opt(o, "dimension", at)? else {
        return Ok(false);
    };
    let dat = path(at, "dimension");
    let side = |k: &str| -> Result<u64, PricingError> {
        match num_opt(dim, k, &dat)? {
            Some(v) if v > 0.0 => Ok(v.min(1e9).ceil() as u64),
            Some(_) => Err(PricingError::invalid(&path(&dat, k), "must be positive")),
            None => Err(json::missing(&dat, k)),
        }
    };
    let (w, h) = (side("width")?, side("height")?);
    let above_1080 = w.max(h) > 1920 || w.min(h) > 1080;
    if !ctx.enterprise() && above_1080 {
        return Err(super::PricingError::new(
            400,
            "resolution_not_allowed",
            format!("{dat}: {w}x{h} is above 1080p; the plan allows at most 1920x1080 (either orientation)"),
        ));
    }
    Ok(above_1080)
}
