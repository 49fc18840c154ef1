//! Projection rules for v1/v2 routes, and helpers shared with v3.
//! Each rule validates only what it needs to price (and what the policy
//! checks), naming the field when something is wrong.

use super::draft::{Ctx, Draft, DraftJob, DraftScene};
use super::features::*;
use super::json::{arr_opt, bool_opt, field, obj_opt, path};
use super::json::{secs_opt, speed_milli, str_opt, str_req, Obj, VIDEO_SPEED};
use super::rules_v2_video::{check_dimension, studio, video_job, webm};
use super::text::{script_ms, with_safety};
use super::{PricingError, SettleMode};
use crate::catalog::{Billable, PerCallOp};

/// Drafts v1/v2 routes; `Ok(None)` for routes handled by the v3 rules.
pub(super) fn draft(
    ctx: &Ctx<'_>,
    b: &Billable,
    o: &Obj<'_>,
) -> Result<Option<Draft>, PricingError> {
    let p = ctx.proj();
    let d = match b {
        Billable::StudioVideo => studio(ctx, o)?,
        Billable::WebmVideo => webm(ctx, o)?,
        Billable::Av4Video | Billable::V2AvatarIvVideo => {
            let uhd = check_dimension(ctx, o, "")?;
            let scene = script_or_audio(ctx, o, "", AVATAR_IV, &["script", "input_text"])?;
            video_job(AVATAR_IV, vec![scene]).at_uhd(ctx, uhd)
        }
        Billable::V2Template { template_id } => {
            check_dimension(ctx, o, "")?;
            let job = super::rules_template::job(ctx, template_id, o)?;
            Draft::new(vec![job], SettleMode::PerJob)
        }
        Billable::PersonalizedVideo => {
            check_dimension(ctx, o, "")?;
            str_req(o, "project_id", "")?;
            // One video per contact; the answer names none of them, so each
            // is held as a placeholder job until the contact's
            // `personalized_video` webhook names its video.
            let jobs = (0..contacts(o)?)
                .map(|_| {
                    DraftJob::single(TEMPLATE, p.default_template_ms, "template_default", true)
                })
                .collect();
            Draft::new(jobs, SettleMode::PerJob)
        }
        Billable::V2Translation => {
            let url = str_req(o, "video_url", "")?;
            let feature = translation_feature(o, "")?;
            let n = languages(o, "", true)?;
            let (ms, basis) = ctx.media_ms(
                Some(super::media::MediaKey::Url(url)),
                p.default_translation_source_ms,
                "source_default",
            );
            let jobs = (0..n)
                .map(|_| DraftJob::single(feature, ms, basis, true))
                .collect();
            Draft::new(jobs, SettleMode::PerJob)
        }
        Billable::V2ProofreadCreate => {
            let n = languages(o, "", false)?;
            let jobs = (0..n)
                .map(|_| {
                    DraftJob::single(
                        PROOFREAD,
                        p.default_translation_source_ms,
                        "source_default",
                        false,
                    )
                })
                .collect();
            Draft::new(jobs, SettleMode::OnSuccess)
        }
        Billable::V2ProofreadGenerate { proofread_id } => proofread_generate(ctx, proofread_id, o)?,
        Billable::V1VideoAgent => {
            str_req(o, "prompt", "")?;
            let cfg = obj_opt(o, "config", "")?;
            // HeyGen takes 5–300 s (approximate): a hint outside is clamped
            // as HeyGen would, so 0 cannot hold nothing.
            let given = match cfg {
                Some(c) => secs_opt(c, "duration_sec", "config")?
                    .map(|ms| ms.clamp(AGENT_MIN_MS, AGENT_MAX_MS)),
                None => None,
            };
            Draft::new(vec![agent_job(ctx, given)], SettleMode::PerJob)
        }
        Billable::PerCall(op) => Draft::new(
            vec![DraftJob::per_call(per_call_feature(*op))],
            SettleMode::OnSuccess,
        ),
        // Sessions are metered minute by minute (the `sessions` module): the
        // start holds the first minute.
        Billable::StreamingSession | Billable::StreamingToken => {
            let job = DraftJob::single(STREAMING, FIRST_MINUTE_MS, "first_minute", false);
            Draft::new(vec![job], SettleMode::OnSuccess)
        }
        _ => return Ok(None),
    };
    Ok(Some(d))
}

/// What a session's start holds: its first minute (metering holds the rest).
pub(super) const FIRST_MINUTE_MS: u64 = 60_000;

/// The price-book feature of a per-call operation.
fn per_call_feature(op: PerCallOp) -> &'static str {
    match op {
        PerCallOp::PhotoGenerate => PHOTO_AVATAR_GENERATE,
        PerCallOp::LookGenerate => PHOTO_AVATAR_LOOK,
        PerCallOp::PhotoTrain => PHOTO_AVATAR_TRAIN,
        PerCallOp::AddMotion => PHOTO_AVATAR_MOTION,
        PerCallOp::AddSoundEffect => PHOTO_AVATAR_SOUND_EFFECT,
        PerCallOp::Upscale => PHOTO_AVATAR_UPSCALE,
        PerCallOp::VideoAvatarCreate => AVATAR_CREATION,
        PerCallOp::VoiceClone => VOICE_CLONE,
        PerCallOp::VoiceDesign => VOICE_DESIGN,
        PerCallOp::AiClipping => AI_CLIPPING,
        PerCallOp::BackgroundRemoval => BACKGROUND_REMOVAL,
    }
}

/// `add_contact`: `variables_list` renders one video per entry; a body
/// without it is one contact.
fn contacts(o: &Obj<'_>) -> Result<usize, PricingError> {
    match arr_opt(o, "variables_list", "")? {
        Some([]) => Err(PricingError::invalid(
            "variables_list",
            "must contain at least one contact",
        )),
        Some(list) => Ok(list.len()),
        None => Ok(1),
    }
}

/// Proofread → generate (v2 and v3 alike): one translation job of the
/// default source length. The mode was fixed when the proofread was created
/// and the generate body does not repeat it: without an explicit `mode` it
/// is priced at the mode the ledger remembered from the creation, or — for
/// a proofread made outside the gateway — as precision, so a precision
/// proofread is never held at the fast rate.
pub(super) fn proofread_generate(
    ctx: &Ctx<'_>,
    proofread_id: &str,
    o: &Obj<'_>,
) -> Result<Draft, PricingError> {
    let feature = match field(o, "mode") {
        None => ctx
            .facts
            .proofreads
            .get(proofread_id)
            .copied()
            .unwrap_or(TRANSLATION_QUALITY),
        Some(_) => translation_feature(o, "")?,
    };
    let ms = ctx.proj().default_translation_source_ms;
    let job = DraftJob::single(feature, ms, "source_default", true);
    Ok(Draft::new(vec![job], SettleMode::PerJob))
}

/// HeyGen's range for the legacy agent's `config.duration_sec`.
const AGENT_MIN_MS: u64 = 5_000;
const AGENT_MAX_MS: u64 = 300_000;

/// Video Agent: the requested `duration_sec` (a hint, so the safety factor
/// applies) or the configured default.
pub(super) fn agent_job(ctx: &Ctx<'_>, given_ms: Option<u64>) -> DraftJob {
    match given_ms {
        Some(ms) => DraftJob::single(
            VIDEO_AGENT,
            with_safety(ms, ctx.proj()),
            "duration_sec",
            true,
        ),
        None => DraftJob::single(
            VIDEO_AGENT,
            ctx.proj().default_agent_ms,
            "agent_default",
            true,
        ),
    }
}

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
    let url = super::media::url_of(field(o, "audio_url"))
        .or_else(|| super::media::url_of(field(o, "audio")))
        .or_else(|| super::media::asset_of(field(o, "audio_asset_id")));
    let (audio_ms, basis) = ctx.media_ms(url, ctx.proj().default_audio_ms, "audio_default");
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
