//! The built-in price book: every feature the catalog can charge, its unit
//! and its default price, each with the source of the number. HeyGen has
//! changed prices several times, so all of these are overridable in
//! `[pricing.features.<name>]`; the names are the contract.

/// How a feature is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Credits per minute of (projected, then actual) duration, rounded up
    /// per video to `increment_seconds`, never below `minimum_seconds`.
    PerMinute,
    /// A flat price per successful call.
    PerCall,
}

/// One built-in feature.
#[derive(Debug, Clone, Copy)]
pub struct FeatureSpec {
    pub name: &'static str,
    pub unit: Unit,
    /// Credits per minute (PerMinute) or per call (PerCall).
    pub credits: f64,
    /// Rounding step of v1/v2 routes (legacy API credits).
    pub increment_seconds: u32,
    /// Rounding step of v3 routes.
    pub increment_seconds_v3: u32,
    pub minimum_seconds: u32,
}

pub const STANDARD_AVATAR: &str = "standard_avatar";
pub const AVATAR_IV: &str = "avatar_iv";
pub const TALKING_PHOTO: &str = "talking_photo";
pub const PHOTO_AVATAR_IV: &str = "photo_avatar_iv";
pub const STANDARD_AVATAR_4K: &str = "standard_avatar_4k";
pub const AVATAR_IV_4K: &str = "avatar_iv_4k";
pub const TALKING_PHOTO_4K: &str = "talking_photo_4k";
pub const PHOTO_AVATAR_IV_4K: &str = "photo_avatar_iv_4k";
pub const CINEMATIC_AVATAR: &str = "cinematic_avatar";
pub const TEMPLATE: &str = "template";
pub const TRANSLATION_FAST: &str = "translation_fast";
pub const TRANSLATION_QUALITY: &str = "translation_quality";
pub const TRANSLATION_AUDIO_ONLY: &str = "translation_audio_only";
pub const PROOFREAD: &str = "proofread";
pub const VIDEO_AGENT: &str = "video_agent";
pub const LIPSYNC_SPEED: &str = "lipsync_speed";
pub const LIPSYNC_PRECISION: &str = "lipsync_precision";
pub const TTS: &str = "tts";
pub const STREAMING: &str = "streaming";
pub const AVATAR_REALTIME: &str = "avatar_realtime";
pub const AVATAR_CREATION: &str = "avatar_creation";
pub const PHOTO_AVATAR_GENERATE: &str = "photo_avatar_generate";
pub const PHOTO_AVATAR_LOOK: &str = "photo_avatar_look";
pub const PHOTO_AVATAR_TRAIN: &str = "photo_avatar_train";
pub const PHOTO_AVATAR_MOTION: &str = "photo_avatar_motion";
pub const PHOTO_AVATAR_SOUND_EFFECT: &str = "photo_avatar_sound_effect";
pub const PHOTO_AVATAR_UPSCALE: &str = "photo_avatar_upscale";
pub const VOICE_CLONE: &str = "voice_clone";
pub const VOICE_DESIGN: &str = "voice_design";
pub const AI_CLIPPING: &str = "ai_clipping";
pub const BACKGROUND_REMOVAL: &str = "background_removal";
pub const HYPERFRAMES: &str = "hyperframes";
pub const HYPERFRAMES_60FPS: &str = "hyperframes_60fps";
pub const HYPERFRAMES_4K: &str = "hyperframes_4k";
pub const HYPERFRAMES_4K_60FPS: &str = "hyperframes_4k_60fps";
pub const LIVEAVATAR_FULL: &str = "liveavatar_full";
pub const LIVEAVATAR_LITE: &str = "liveavatar_lite";
pub const LIVEAVATAR_SANDBOX: &str = "liveavatar_sandbox";

const fn per_minute(name: &'static str, credits: f64, increment_seconds: u32) -> FeatureSpec {
    FeatureSpec {
        name,
        unit: Unit::PerMinute,
        credits,
        increment_seconds,
        increment_seconds_v3: V3_INCREMENT,
        minimum_seconds: 0,
    }
}

const fn per_call(name: &'static str, credits: f64) -> FeatureSpec {
    FeatureSpec {
        name,
        unit: Unit::PerCall,
        credits,
        increment_seconds: 1,
        increment_seconds_v3: 1,
        minimum_seconds: 0,
    }
}

/// Legacy API credits round each video up to 30 s (limits page, help centre).
const LEGACY_INCREMENT: u32 = 30;
/// v3 bills per second of output: PAYG prices are quoted per second and
/// enterprise credits per second (Avatar IV 0.1 credit/s); developers.heygen.com
/// pricing, reference §6.2–6.4 and §13.
const V3_INCREMENT: u32 = 1;

/// Every feature the catalog can charge, in display order.
pub const FEATURES: &[FeatureSpec] = &[
    // Seed text: "1 credit = 1 minute of generated avatar video (standard generation)".
    per_minute(STANDARD_AVATAR, 1.0, LEGACY_INCREMENT),
    // Seed text: Avatar IV "1 credit per 10 seconds" (~6/min); limits page 2025-11.
    per_minute(AVATAR_IV, 6.0, LEGACY_INCREMENT),
    // A photo avatar at the standard engine (v2 `talking_photo`, a v3
    // `photo_avatar` look at Avatar III). Seed text: 1/min for every avatar
    // video; the 2025-11-26 limits snapshot bills photo avatars 1/min and
    // video avatars 2/min (reference §6.1): on that table set
    // `standard_avatar` to 2.
    per_minute(TALKING_PHOTO, 1.0, LEGACY_INCREMENT),
    // A photo avatar at Avatar IV/V: the 2025-11 limits page bills av4 photo
    // renders 6/min. v3 PAYG bills photo avatars at 0.75x the twin rate
    // ($0.05 vs $0.0667/s): a v3 wallet may set 4.5.
    per_minute(PHOTO_AVATAR_IV, 6.0, LEGACY_INCREMENT),
    // The same avatar videos rendered above 1080p (v3 `resolution: "4k"`,
    // v2 `dimension` above 1920x1080; enterprise only). v3 enterprise
    // credits list no 4K rate, so by default they cost what 1080p costs;
    // v3 PAYG bills 4K at 1.25x (twins, $0.0833 vs $0.0667/s) and 1.33x
    // (photo avatars, $0.0667 vs $0.05/s): a wallet sets 7.5 / 6 for IV.
    per_minute(STANDARD_AVATAR_4K, 1.0, LEGACY_INCREMENT),
    per_minute(AVATAR_IV_4K, 6.0, LEGACY_INCREMENT),
    per_minute(TALKING_PHOTO_4K, 1.0, LEGACY_INCREMENT),
    per_minute(PHOTO_AVATAR_IV_4K, 6.0, LEGACY_INCREMENT),
    // v3 PAYG: $7 flat per cinematic video; enterprise prices $1 ≈ 1 credit (avatar creation).
    per_call(CINEMATIC_AVATAR, 7.0),
    // Templates render avatar video: priced as standard avatar until learned otherwise.
    per_minute(TEMPLATE, 1.0, LEGACY_INCREMENT),
    // Seed text: 3 credits per source minute; limits page: quality mode consumes double.
    per_minute(TRANSLATION_FAST, 3.0, LEGACY_INCREMENT),
    per_minute(TRANSLATION_QUALITY, 6.0, LEGACY_INCREMENT),
    // `translate_audio_only` at the fast mode: v3 enterprise bills "speed
    // (audio-only or lip-sync)" alike, 0.05 credits/s = 3/min; v3 PAYG bills
    // it at half ($0.0167 vs $0.0333/s): a wallet may set 1.5.
    per_minute(TRANSLATION_AUDIO_ONLY, 3.0, LEGACY_INCREMENT),
    // Limits page 2025: "1 credit / 2 min", charged per 2 minutes.
    per_minute(PROOFREAD, 0.5, 120),
    // Seed text: "Video Agent costs around 2 Credits per 1 minute".
    per_minute(VIDEO_AGENT, 2.0, LEGACY_INCREMENT),
    // v3 enterprise: lipsync 0.05 / 0.1 credits per second, per-second billing.
    per_minute(LIPSYNC_SPEED, 3.0, 1),
    per_minute(LIPSYNC_PRECISION, 6.0, 1),
    // v3 enterprise: TTS 0.000333 credits/s ≈ 0.02 credits/min.
    per_minute(TTS, 0.02, 1),
    // Limits page 2025: streaming 0.2 credits/min, 30 s minimum then 1 s increments.
    FeatureSpec {
        name: STREAMING,
        unit: Unit::PerMinute,
        credits: 0.2,
        increment_seconds: 1,
        increment_seconds_v3: 1,
        minimum_seconds: 30,
    },
    // v3 enterprise: Avatar Realtime 0.05 credits/s = 3/min.
    per_minute(AVATAR_REALTIME, 3.0, 1),
    // v3 enterprise: avatar creation 1 credit per call.
    per_call(AVATAR_CREATION, 1.0),
    // Limits page 2025: photo/generate 1, look/generate 1 (2025-11), train 4,
    // add_motion 1, sound effects free, upscale 0.5 credits per call.
    per_call(PHOTO_AVATAR_GENERATE, 1.0),
    per_call(PHOTO_AVATAR_LOOK, 1.0),
    per_call(PHOTO_AVATAR_TRAIN, 4.0),
    per_call(PHOTO_AVATAR_MOTION, 1.0),
    per_call(PHOTO_AVATAR_SOUND_EFFECT, 0.0),
    per_call(PHOTO_AVATAR_UPSCALE, 0.5),
    // Unpriced in every source: a conservative 1 credit per call, set real prices in config.
    per_call(VOICE_CLONE, 1.0),
    per_call(VOICE_DESIGN, 1.0),
    per_call(AI_CLIPPING, 1.0),
    per_call(BACKGROUND_REMOVAL, 1.0),
    // HyperFrames renders: billed per output minute, the rate rising with fps
    // and resolution (4K ×1.5) per developers.heygen.com/docs/hyperframes;
    // the figures are unpublished, so these are conservative guesses (60 fps
    // doubles the frames rendered). v3 only: per-second rounding.
    per_minute(HYPERFRAMES, 1.0, 1),
    per_minute(HYPERFRAMES_60FPS, 2.0, 1),
    per_minute(HYPERFRAMES_4K, 1.5, 1),
    per_minute(HYPERFRAMES_4K_60FPS, 3.0, 1),
    // LiveAvatar (its own host and key; docs.liveavatar.com credits page):
    // FULL 2 and LITE 1 credits per elapsed minute, a minute held at start;
    // sandbox sessions (`is_sandbox`, ~1 min) are free.
    liveavatar(LIVEAVATAR_FULL, 2.0),
    liveavatar(LIVEAVATAR_LITE, 1.0),
    liveavatar(LIVEAVATAR_SANDBOX, 0.0),
];

/// LiveAvatar sessions are charged per started minute.
const fn liveavatar(name: &'static str, credits: f64) -> FeatureSpec {
    FeatureSpec {
        increment_seconds_v3: 60,
        ..per_minute(name, credits, 60)
    }
}

/// Refinements of a feature: same built-in price, and in a book with
/// `inherit_defaults = false` that does not price them (written before they
/// existed) priced like their parent instead of refused. Parents come
/// before their refinements in [`FEATURES`].
const REFINES: &[(&str, &str)] = &[
    (TALKING_PHOTO, STANDARD_AVATAR),
    (PHOTO_AVATAR_IV, AVATAR_IV),
    (TRANSLATION_AUDIO_ONLY, TRANSLATION_FAST),
    (STANDARD_AVATAR_4K, STANDARD_AVATAR),
    (AVATAR_IV_4K, AVATAR_IV),
    (TALKING_PHOTO_4K, TALKING_PHOTO),
    (PHOTO_AVATAR_IV_4K, PHOTO_AVATAR_IV),
];

/// The feature an avatar video of `feature` is billed at above 1080p
/// (`None`: resolution does not change its price).
pub fn uhd(feature: &str) -> Option<&'static str> {
    match feature {
        STANDARD_AVATAR => Some(STANDARD_AVATAR_4K),
        AVATAR_IV => Some(AVATAR_IV_4K),
        TALKING_PHOTO => Some(TALKING_PHOTO_4K),
        PHOTO_AVATAR_IV => Some(PHOTO_AVATAR_IV_4K),
        _ => None,
    }
}

/// The feature `name` refines, if any.
pub fn parent(name: &str) -> Option<&'static str> {
    REFINES.iter().find(|(f, _)| *f == name).map(|(_, p)| *p)
}

/// Looks a built-in feature up by name.
pub fn spec(name: &str) -> Option<&'static FeatureSpec> {
    FEATURES.iter().find(|f| f.name == name)
}

/// Version recorded in ledger entries when the file sets none.
pub const DEFAULT_VERSION: &str = "builtin-2026-02";
/// HeyGen's own guidance: ~150 words per minute at speed 1.0.
pub const DEFAULT_WORDS_PER_MINUTE: f64 = 150.0;
/// Mandarin read speech ≈ 5.2 Hanzi/s; 4.5 is the pessimistic planning figure.
pub const DEFAULT_CJK_CHARS_PER_SECOND: f64 = 4.5;
/// Estimates of speech err high by 10 %; settlement trues up.
pub const DEFAULT_SAFETY_FACTOR: f64 = 1.1;
/// Audio inputs of unknown length (HeyGen allows up to 10 min): 3 minutes.
pub const DEFAULT_AUDIO_SECONDS: u32 = 180;
/// Source videos of unknown length (translations, lipsyncs): 5 minutes.
pub const DEFAULT_TRANSLATION_SOURCE_SECONDS: u32 = 300;
/// Templates, whose narration is not in the request: 2 minutes.
pub const DEFAULT_TEMPLATE_SECONDS: u32 = 120;
/// Video Agent without `duration_sec` (HeyGen accepts 5–300 s): 2 minutes.
pub const DEFAULT_AGENT_SECONDS: u32 = 120;
/// Streaming / realtime sessions are held for 10 minutes and captured on success.
pub const DEFAULT_SESSION_SECONDS: u32 = 600;
/// HyperFrames renders, whose length is set by the composition (not in the
/// request): 2 minutes, trued up from the render's `duration`.
pub const DEFAULT_RENDER_SECONDS: u32 = 120;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refinements_are_priced_like_their_parent_by_default_and_come_after_it() {
        let at = |n: &str| FEATURES.iter().position(|f| f.name == n);
        for (child, parent) in REFINES {
            let (c, p) = (spec(child).unwrap(), spec(parent).unwrap());
            assert!(at(parent) < at(child), "{parent} must come before {child}");
            assert_eq!((c.unit, c.credits), (p.unit, p.credits), "{child}");
            assert_eq!(
                (
                    c.increment_seconds,
                    c.increment_seconds_v3,
                    c.minimum_seconds
                ),
                (
                    p.increment_seconds,
                    p.increment_seconds_v3,
                    p.minimum_seconds
                ),
                "{child}"
            );
        }
    }
}
