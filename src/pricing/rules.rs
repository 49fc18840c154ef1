//! Projection rules for v1/v2 routes, and helpers shared with v3.
//! Each rule validates only what it needs to price (and what the policy
//! checks), naming the field when something is wrong.
//!
//! This file holds the v1/v2 dispatch and the job drafts shared with v3;
//! the shared field readers are in `rules_shared`, re-exported here.

use super::draft::{Ctx, Draft, DraftJob};
use super::features::*;
use super::json::{arr_opt, field, obj_opt};
use super::json::{secs_opt, str_opt, str_req, Obj};
pub(super) use super::rules_shared::{
    audio_key, check_resolution, languages, script_or_audio, translation_feature, voice_speed,
    SPEECH_TEXT_KEYS,
};
use super::rules_v2_video::{check_dimension, studio, video_job, webm};
use super::text::with_safety;
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
            // Captured on 2xx and never corrected (HeyGen reports no
            // proofread length): the source is read, as a translation's is.
            let url = str_opt(o, "video_url", "")?;
            let (ms, basis) = ctx.media_ms(
                url.map(super::media::MediaKey::Url),
                p.default_translation_source_ms,
                "source_default",
            );
            let jobs = (0..n)
                .map(|_| DraftJob::single(PROOFREAD, ms, basis, false))
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
