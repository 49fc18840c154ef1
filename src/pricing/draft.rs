//! What a projection rule produces before pricing: jobs made of scenes with
//! projected lengths, plus the context rules read and the refusals they
//! share. A leaf: rules depend on it, quote depends on rules, never back.

use super::book::{PriceBook, Projection};
use super::{PlanPolicy, PricingError, SettleMode};

/// Context a projection rule reads.
pub(super) struct Ctx<'a> {
    pub book: &'a PriceBook,
    pub plan: &'a PlanPolicy,
    /// What the caller read about the request's media, looks and template.
    pub facts: &'a super::facts::Facts,
}

impl Ctx<'_> {
    pub(super) fn proj(&self) -> &Projection {
        self.book.projection()
    }

    /// The length of the media at `key` if it was read (`probed` by URL,
    /// `recorded` at upload for an asset id), else `default_ms` with
    /// `default_basis`.
    pub(super) fn media_ms(
        &self,
        key: Option<super::media::MediaKey<'_>>,
        default_ms: u64,
        default_basis: &'static str,
    ) -> (u64, &'static str) {
        key.and_then(|k| self.facts.media.length(k))
            .unwrap_or((default_ms, default_basis))
    }

    pub(super) fn enterprise(&self) -> bool {
        self.plan.enterprise()
    }
}

/// One scene of a draft job.
pub(super) struct DraftScene {
    pub feature: &'static str,
    pub ms: u64,
    pub basis: &'static str,
}

/// One expected upstream job before pricing.
pub(super) struct DraftJob {
    pub feature: &'static str,
    pub scenes: Vec<DraftScene>,
    /// Produces a video: subject to `max_video_seconds`.
    pub video: bool,
}

impl DraftJob {
    pub(super) fn single(feature: &'static str, ms: u64, basis: &'static str, video: bool) -> Self {
        DraftJob {
            feature,
            scenes: vec![DraftScene { feature, ms, basis }],
            video,
        }
    }

    pub(super) fn per_call(feature: &'static str) -> Self {
        DraftJob::single(feature, 0, "per_call", false)
    }

    /// The video rendered above 1080p when `uhd`: each avatar scene's
    /// feature becomes its 4K refinement (`features::uhd`; others are
    /// unchanged) and the video is billed at the costliest of those, as
    /// the 4K prices may rank differently from the 1080p ones.
    pub(super) fn at_uhd(mut self, ctx: &Ctx<'_>, uhd: bool) -> Self {
        if uhd {
            for s in &mut self.scenes {
                s.feature = super::features::uhd(s.feature).unwrap_or(s.feature);
            }
            self.feature = costliest(ctx, &self.scenes);
        }
        self
    }
}

/// A rule's result.
pub(super) struct Draft {
    pub jobs: Vec<DraftJob>,
    pub settle: SettleMode,
    /// `test: true`: projected and policy-checked but free.
    pub test: bool,
}

impl Draft {
    pub(super) fn new(jobs: Vec<DraftJob>, settle: SettleMode) -> Self {
        Draft {
            jobs,
            settle,
            test: false,
        }
    }

    /// Every job at its 4K feature when `uhd` ([`DraftJob::at_uhd`]).
    pub(super) fn at_uhd(mut self, ctx: &Ctx<'_>, uhd: bool) -> Self {
        self.jobs = self.jobs.into_iter().map(|j| j.at_uhd(ctx, uhd)).collect();
        self
    }
}

pub(super) fn enterprise_only(what: &str) -> PricingError {
    PricingError::new(
        403,
        "enterprise_only",
        format!("{what} is available to HeyGen enterprise API plans only"),
    )
}

pub(super) fn unpriceable(what: String) -> PricingError {
    PricingError::new(400, "unpriceable", what)
}

/// The scene feature with the highest per-minute price: one video is billed
/// at one rate, and the gateway errs high. Starts from the first scene (a
/// photo-avatar video may be cheaper than a standard avatar one); on equal
/// prices the earlier scene's name is kept.
pub(super) fn costliest(ctx: &Ctx<'_>, scenes: &[DraftScene]) -> &'static str {
    let first = scenes
        .first()
        .map_or(super::features::STANDARD_AVATAR, |s| s.feature);
    // Each distinct feature is looked up in the price book once (a
    // look-up per scene was a twentieth of a 50-scene quote); features are
    // the catalog's constants, so the same one is found by its address
    // before its text is compared. The result is the same.
    let mut rates: [(&str, i64); 4] = [("", 0); 4];
    let mut known = 0;
    let mut rate = |f: &'static str| {
        if let Some((_, r)) = rates[..known]
            .iter()
            .find(|(k, _)| std::ptr::eq(*k, f) || *k == f)
        {
            return *r;
        }
        let r = ctx.book.price(f).map_or(0, |p| p.micros);
        if known < rates.len() {
            rates[known] = (f, r);
            known += 1;
        }
        r
    };
    let mut best = (first, rate(first));
    for s in scenes {
        let r = rate(s.feature);
        if r > best.1 {
            best = (s.feature, r);
        }
    }
    best.0
}
