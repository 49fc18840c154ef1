//! Target `quote`: the pricing engine over arbitrary bodies, for every
//! billable route on both plans, plus the readers of upstream answers
//! (job ids from a submit response, status reads, webhooks) over the same
//! bytes. Input: one byte choosing the route, then the body.

use heygen_gateway::catalog::{Billable, PerCallOp, StatusRead};
use heygen_gateway::config::Tier;
use heygen_gateway::pricing::{
    jobs_from_response, parse_webhook, quote, status_outcome, PlanPolicy, PriceBook, TestMode,
};

/// Every billable route; [`covers`] makes a new variant a compile error
/// here until it is added to the list.
pub fn all_billables() -> Vec<Billable> {
    let id = || "id_1".to_string();
    let mut all = vec![
        Billable::StudioVideo,
        Billable::WebmVideo,
        Billable::Av4Video,
        Billable::V2AvatarIvVideo,
        Billable::V2Template { template_id: id() },
        Billable::V2Translation,
        Billable::V2ProofreadCreate,
        Billable::V2ProofreadGenerate { proofread_id: id() },
        Billable::V1VideoAgent,
        Billable::PersonalizedVideo,
        Billable::StreamingSession,
        Billable::StreamingToken,
        Billable::V3Video,
        Billable::V3VideoBatch,
        Billable::V3Template { template_id: id() },
        Billable::V3VideoAgent,
        Billable::V3VideoAgentMessage { session_id: id() },
        Billable::V3Translation,
        Billable::V3TranslationBatch,
        Billable::V3ProofreadCreate,
        Billable::V3ProofreadGenerate { proofread_id: id() },
        Billable::V3Lipsync,
        Billable::V3LipsyncBatch,
        Billable::V3Speech,
        Billable::V3Avatar,
        Billable::V3AvatarRealtime,
        Billable::V3HyperframesRender,
    ];
    all.extend(
        [
            PerCallOp::PhotoGenerate,
            PerCallOp::LookGenerate,
            PerCallOp::PhotoTrain,
            PerCallOp::AddMotion,
            PerCallOp::AddSoundEffect,
            PerCallOp::Upscale,
            PerCallOp::VideoAvatarCreate,
            PerCallOp::VoiceClone,
            PerCallOp::VoiceDesign,
            PerCallOp::AiClipping,
            PerCallOp::BackgroundRemoval,
        ]
        .map(Billable::PerCall),
    );
    debug_assert!(all.iter().all(covers));
    all
}

/// No wildcard arm: adding a `Billable` or `PerCallOp` variant fails to
/// compile here, so the fuzz target cannot silently skip a new route.
fn covers(b: &Billable) -> bool {
    match b {
        Billable::StudioVideo
        | Billable::WebmVideo
        | Billable::Av4Video
        | Billable::V2AvatarIvVideo
        | Billable::V2Template { .. }
        | Billable::V2Translation
        | Billable::V2ProofreadCreate
        | Billable::V2ProofreadGenerate { .. }
        | Billable::V1VideoAgent
        | Billable::PersonalizedVideo
        | Billable::StreamingSession
        | Billable::StreamingToken
        | Billable::V3Video
        | Billable::V3VideoBatch
        | Billable::V3Template { .. }
        | Billable::V3VideoAgent
        | Billable::V3VideoAgentMessage { .. }
        | Billable::V3Translation
        | Billable::V3TranslationBatch
        | Billable::V3ProofreadCreate
        | Billable::V3ProofreadGenerate { .. }
        | Billable::V3Lipsync
        | Billable::V3LipsyncBatch
        | Billable::V3Speech
        | Billable::V3Avatar
        | Billable::V3AvatarRealtime
        | Billable::V3HyperframesRender => true,
        Billable::PerCall(op) => match op {
            PerCallOp::PhotoGenerate
            | PerCallOp::LookGenerate
            | PerCallOp::PhotoTrain
            | PerCallOp::AddMotion
            | PerCallOp::AddSoundEffect
            | PerCallOp::Upscale
            | PerCallOp::VideoAvatarCreate
            | PerCallOp::VoiceClone
            | PerCallOp::VoiceDesign
            | PerCallOp::AiClipping
            | PerCallOp::BackgroundRemoval => true,
        },
    }
}

const STATUS_READS: [StatusRead; 11] = [
    StatusRead::V1VideoStatus,
    StatusRead::V2Video,
    StatusRead::V2VideoTranslate,
    StatusRead::V3Video,
    StatusRead::V3VideoTranslation,
    StatusRead::V3Lipsync,
    StatusRead::V3VideoAgent,
    StatusRead::V3VideoBatch,
    StatusRead::V3TranslationBatch,
    StatusRead::V3LipsyncBatch,
    StatusRead::V3HyperframesRender,
];

pub fn run(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let all = all_billables();
    let billable = &all[usize::from(pick) % all.len()];
    let book = PriceBook::builtin();
    let plans = [Tier::PayAsYouGo, Tier::Enterprise].map(|tier| PlanPolicy {
        tier,
        max_video_seconds: 1800,
        test_mode: TestMode::Billed,
    });
    let free_tests = PlanPolicy {
        test_mode: TestMode::Free,
        ..plans[0]
    };
    for plan in plans.into_iter().chain([free_tests]) {
        let Ok(q) = quote(&book, &plan, billable, body) else {
            continue;
        };
        // Money invariants: never negative, and the total is exactly the
        // sum of what each expected job holds (settlement relies on it).
        assert!(q.credits >= 0, "{billable:?}: negative quote {}", q.credits);
        let sum = q
            .jobs
            .iter()
            .try_fold(0i64, |acc, j| acc.checked_add(j.credits));
        assert_eq!(sum, Some(q.credits), "{billable:?}: jobs do not add up");
        assert!(q.jobs.iter().all(|j| j.credits >= 0));
        // A quote deterministic in its input: the same body, the same price.
        let again = quote(&book, &plan, billable, body).ok().map(|r| r.credits);
        assert_eq!(
            again,
            Some(q.credits),
            "{billable:?}: quote not deterministic"
        );
        let _ = jobs_from_response(billable, &q, body);
    }
    let status = &STATUS_READS[usize::from(pick) % STATUS_READS.len()];
    let _ = status_outcome(status, "/v2/videos/id_1", Some("video_id=id_1"), body);
    let _ = parse_webhook(body);
}
