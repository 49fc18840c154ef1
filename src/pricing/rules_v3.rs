//! Projection rules for v3 routes.

use super::draft::{enterprise_only, unpriceable, Ctx, Draft, DraftJob};
use super::features::*;
use super::json::{
    self, arr_opt, as_obj, field, num_opt, obj_opt, path, secs_opt, speed_milli, str_opt, str_req,
    Obj, Value, TTS_SPEED,
};
use super::rules::{
    agent_job, check_resolution, languages, proofread_generate, translation_feature,
    SPEECH_TEXT_KEYS,
};
use super::rules_v3_video::video;
use super::text::script_ms;
use super::{PricingError, SettleMode};
use crate::catalog::Billable;

pub(super) fn draft(ctx: &Ctx<'_>, b: &Billable, o: &Obj<'_>) -> Result<Draft, PricingError> {
    let p = ctx.proj();
    Ok(match b {
        Billable::V3Video => Draft::new(vec![video(ctx, o, "")?], SettleMode::PerJob),
        Billable::V3VideoBatch => {
            let (key, items) = batch_items(o, &["videos", "items"])?;
            let mut jobs = Vec::with_capacity(items.len());
            for (i, v) in items.iter().enumerate() {
                let at = format!("{key}[{i}]");
                jobs.push(video(ctx, as_obj(v, &at)?, &at)?);
            }
            Draft::new(jobs, SettleMode::PerJob)
        }
        Billable::V3Template { template_id } => {
            check_resolution(ctx, o, "")?;
            let job = super::rules_template::job(ctx, template_id, o)?;
            Draft::new(vec![job], SettleMode::PerJob)
        }
        Billable::V3VideoAgent => {
            str_req(o, "prompt", "")?;
            // v3 defines no duration (heygen-api.md §3.5): a `duration_sec`
            // here is not HeyGen's and cannot shrink the hold.
            Draft::new(vec![agent_job(ctx, None)], SettleMode::PerJob)
        }
        Billable::V3VideoAgentMessage { .. } => {
            Draft::new(vec![agent_job(ctx, None)], SettleMode::PerJob)
        }
        Billable::V3Translation => Draft::new(translation(ctx, o, "")?, SettleMode::PerJob),
        Billable::V3TranslationBatch => {
            let (key, items) = batch_items(o, &["video_translations", "translations", "items"])?;
            let mut jobs = Vec::new();
            for (i, v) in items.iter().enumerate() {
                let at = format!("{key}[{i}]");
                jobs.extend(translation(ctx, as_obj(v, &at)?, &at)?);
            }
            Draft::new(jobs, SettleMode::PerJob)
        }
        Billable::V3ProofreadCreate => {
            // Validates `mode`; the proofread itself has one rate.
            translation_feature(o, "")?;
            let ms = source_ms(ctx, o, "")?;
            let n = languages(o, "", false)?;
            let jobs = (0..n)
                .map(|_| DraftJob::single(PROOFREAD, ms.0, ms.1, false))
                .collect();
            Draft::new(jobs, SettleMode::OnSuccess)
        }
        Billable::V3ProofreadGenerate { proofread_id } => proofread_generate(ctx, proofread_id, o)?,
        Billable::V3Lipsync => Draft::new(vec![lipsync(ctx, o, "")?], SettleMode::PerJob),
        Billable::V3LipsyncBatch => {
            let (key, items) = batch_items(o, &["lipsyncs", "items"])?;
            let mut jobs = Vec::with_capacity(items.len());
            for (i, v) in items.iter().enumerate() {
                let at = format!("{key}[{i}]");
                jobs.push(lipsync(ctx, as_obj(v, &at)?, &at)?);
            }
            Draft::new(jobs, SettleMode::PerJob)
        }
        Billable::V3Speech => {
            let text = SPEECH_TEXT_KEYS
                .iter()
                .find_map(|k| str_opt(o, k, "").transpose())
                .transpose()?
                .ok_or_else(|| json::missing("", "text"))?;
            // Starfish TTS accepts a wider speed range than avatar video.
            let speed = match obj_opt(o, "voice_settings", "")? {
                Some(vs) if field(vs, "speed").is_some() => {
                    speed_milli(vs, "speed", "voice_settings", TTS_SPEED)?
                }
                _ => speed_milli(o, "speed", "", TTS_SPEED)?,
            };
            let job = DraftJob::single(TTS, script_ms(text, p, speed), "text", false);
            Draft::new(vec![job], SettleMode::OnSuccess)
        }
        Billable::V3Avatar => {
            match str_req(o, "type", "")? {
                "photo" | "prompt" => {}
                "video" | "digital_twin" => {
                    if !ctx.enterprise() {
                        return Err(enterprise_only(
                            "custom digital twin (video avatar) creation",
                        ));
                    }
                }
                other => {
                    return Err(PricingError::invalid(
                        "type",
                        format!("is {other:?}; expected \"photo\", \"prompt\" or \"video\""),
                    ))
                }
            }
            Draft::new(
                vec![DraftJob::per_call(AVATAR_CREATION)],
                SettleMode::OnSuccess,
            )
        }
        Billable::V3AvatarRealtime => {
            let job = DraftJob::single(
                AVATAR_REALTIME,
                super::rules::FIRST_MINUTE_MS,
                "first_minute",
                false,
            );
            Draft::new(vec![job], SettleMode::OnSuccess)
        }
        Billable::V3HyperframesRender => Draft::new(vec![hyperframes(ctx, o)?], SettleMode::PerJob),
        other => {
            return Err(unpriceable(format!("no projection rule for {other:?}")));
        }
    })
}

/// The first present array among `keys`; it must hold at least one item.
fn batch_items<'a, 'b>(
    o: &'a Obj<'b>,
    keys: &[&'static str],
) -> Result<(&'static str, &'a [Value<'b>]), PricingError> {
    for key in keys {
        if let Some(items) = arr_opt(o, key, "")? {
            if items.is_empty() {
                return Err(PricingError::invalid(key, "must contain at least one item"));
            }
            return Ok((key, items));
        }
    }
    Err(json::missing("", keys.first().copied().unwrap_or("items")))
}

/// Source length: `end_time - start_time` when given, else the default.
fn source_ms(ctx: &Ctx<'_>, o: &Obj<'_>, at: &str) -> Result<(u64, &'static str), PricingError> {
    let start = secs_opt(o, "start_time", at)?;
    let end = secs_opt(o, "end_time", at)?;
    match (start, end) {
        (s, Some(e)) => {
            let s = s.unwrap_or(0);
            if e < s {
                return Err(PricingError::invalid(
                    &path(at, "end_time"),
                    "must not be before start_time",
                ));
            }
            Ok((e - s, "time_range"))
        }
        // The source as `video` (a URL or asset input) or `video_url`,
        // both of which `translation` accepts.
        _ => Ok(ctx.media_ms(
            super::media::url_of(field(o, "video"))
                .or_else(|| super::media::url_of(field(o, "video_url"))),
            ctx.proj().default_translation_source_ms,
            "source_default",
        )),
    }
}

/// One v3 translation payload: a job per output language.
fn translation(ctx: &Ctx<'_>, o: &Obj<'_>, at: &str) -> Result<Vec<DraftJob>, PricingError> {
    if field(o, "video").is_none() && field(o, "video_url").is_none() {
        return Err(json::missing(at, "video"));
    }
    let srt = field(o, "srt").is_some() || field(o, "srt_role").is_some();
    if srt && !ctx.enterprise() {
        return Err(enterprise_only(
            "translation with SRT input (srt, srt_role)",
        ));
    }
    let feature = translation_feature(o, at)?;
    let n = languages(o, at, true)?;
    let (ms, basis) = source_ms(ctx, o, at)?;
    Ok((0..n)
        .map(|_| DraftJob::single(feature, ms, basis, true))
        .collect())
}

/// One v3 lipsync payload.
fn lipsync(ctx: &Ctx<'_>, o: &Obj<'_>, at: &str) -> Result<DraftJob, PricingError> {
    for key in ["video", "audio"] {
        if field(o, key).is_none() {
            return Err(json::missing(at, key));
        }
    }
    let feature = match str_opt(o, "mode", at)? {
        None | Some("speed") => LIPSYNC_SPEED,
        Some("precision") => LIPSYNC_PRECISION,
        Some(other) => {
            return Err(PricingError::invalid(
                &path(at, "mode"),
                format!("is {other:?}; expected \"speed\" or \"precision\""),
            ))
        }
    };
    let (ms, basis) = source_ms(ctx, o, at)?;
    Ok(DraftJob::single(feature, ms, basis, true))
}

/// A HyperFrames render: the composition sets its length (not in the
/// request), so the configured default is held and the render's reported
/// `duration` settles it. The rate rises with fps and resolution.
fn hyperframes(ctx: &Ctx<'_>, o: &Obj<'_>) -> Result<DraftJob, PricingError> {
    if field(o, "project").is_none() {
        return Err(json::missing("", "project"));
    }
    check_resolution(ctx, o, "")?;
    let uhd = match str_opt(o, "resolution", "")? {
        None => false,
        Some(r) => match r.to_ascii_lowercase().as_str() {
            "720p" | "1080p" => false,
            "4k" | "2160p" => true,
            _ => {
                return Err(PricingError::invalid(
                    "resolution",
                    format!("is {r:?}; expected \"1080p\" or \"4k\""),
                ))
            }
        },
    };
    // HyperFrames renders at 24/25/30/60 fps; 30 when unset.
    let high_fps = match num_opt(o, "fps", "")? {
        None => false,
        Some(f) if f > 0.0 && f <= 30.0 => false,
        Some(f) if f > 30.0 && f <= 60.0 => true,
        Some(f) => {
            return Err(PricingError::invalid(
                "fps",
                format!("is {f}; must be greater than 0 and at most 60"),
            ))
        }
    };
    let feature = match (uhd, high_fps) {
        (false, false) => HYPERFRAMES,
        (false, true) => HYPERFRAMES_60FPS,
        (true, false) => HYPERFRAMES_4K,
        (true, true) => HYPERFRAMES_4K_60FPS,
    };
    let ms = ctx.proj().default_render_ms;
    Ok(DraftJob::single(feature, ms, "render_default", true))
}
