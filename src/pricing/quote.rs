//! Turns a rule's draft (jobs made of scenes with projected lengths) into a
//! priced [`Quote`], applying the plan policy on the way.

use super::book::{Generation, PriceBook};
use super::draft::{enterprise_only, unpriceable, Ctx, Draft};
use super::facts::Facts;
use super::features::Unit;
use super::media::MediaLengths;
use super::{
    json, rules, rules_v3, JobQuote, PlanPolicy, PricingError, Quote, SceneQuote, SettleMode,
    TestMode,
};
use crate::catalog::{classify, Billable, PerCallOp, RouteKind};
use crate::money::{format_credits, Micros, MICROS_PER_CREDIT};

/// The most one request may be projected to cost: 10^9 credits. Far above
/// any real job (a plan's 30-minute cap at the dearest per-minute price is a
/// few hundred credits; an enterprise plan has no length cap, yet a day-long
/// Avatar IV video is under 10^4 credits and a batch of a thousand of them
/// under 10^7), and far below what the ledger's counters hold (`i64`
/// micro-credits, about 9.2 × 10^12 credits). Anything above is a body that
/// adds up absurd lengths, refused before a hold is even tried.
pub const MAX_QUOTE_MICROS: Micros = 1_000_000_000 * MICROS_PER_CREDIT;

/// Features refused before the body is read.
fn path_gate(billable: &Billable, plan: &PlanPolicy) -> Result<(), PricingError> {
    if plan.enterprise() {
        return Ok(());
    }
    match billable {
        Billable::V2ProofreadCreate
        | Billable::V2ProofreadGenerate { .. }
        | Billable::V3ProofreadCreate
        | Billable::V3ProofreadGenerate { .. } => Err(enterprise_only("proofreading")),
        Billable::PerCall(PerCallOp::VideoAvatarCreate) => Err(enterprise_only(
            "custom digital twin (video avatar) creation",
        )),
        _ => Ok(()),
    }
}

/// Prices a billable request and applies the plan policy. Refuses anything
/// it cannot price; never returns a zero quote for paid work.
pub fn quote(
    book: &PriceBook,
    plan: &PlanPolicy,
    billable: &Billable,
    body: &[u8],
) -> Result<Quote, PricingError> {
    quote_with_media(book, plan, billable, body, &MediaLengths::new())
}

/// [`quote`] with the lengths of media the body points at (read by the
/// caller, e.g. probed through the egress guard): each known one is priced
/// at its length (basis `probed`) instead of the default.
pub fn quote_with_media(
    book: &PriceBook,
    plan: &PlanPolicy,
    billable: &Billable,
    body: &[u8],
    media: &MediaLengths,
) -> Result<Quote, PricingError> {
    let facts = Facts::with_media(media.clone());
    quote_with_facts(book, plan, billable, body, &facts)
}

/// [`quote`] with everything the caller read about the request: media
/// lengths, the looks it names and the template it renders.
pub fn quote_with_facts(
    book: &PriceBook,
    plan: &PlanPolicy,
    billable: &Billable,
    body: &[u8],
    facts: &Facts,
) -> Result<Quote, PricingError> {
    path_gate(billable, plan)?;
    // The body's tree lives here for the quote; sized for the common body
    // so it is one allocation (capped: the arena grows for a large one, and
    // a body refused early should not cost its size twice up front).
    let arena = bumpalo::Bump::with_capacity(body.len().saturating_mul(2).min(1 << 20));
    let obj = json::parse_object(body, &arena)?;
    let ctx = Ctx { book, plan, facts };
    let (draft, gen) = match rules::draft(&ctx, billable, &obj)? {
        Some(d) => (d, Generation::Legacy),
        None => (rules_v3::draft(&ctx, billable, &obj)?, Generation::V3),
    };
    price(&ctx, draft, gen)
}

fn price(ctx: &Ctx<'_>, draft: Draft, gen: Generation) -> Result<Quote, PricingError> {
    let mut jobs = Vec::with_capacity(draft.jobs.len());
    let mut scenes = Vec::with_capacity(draft.jobs.iter().map(|j| j.scenes.len()).sum());
    for (i, job) in draft.jobs.iter().enumerate() {
        let price = ctx.book.price(job.feature).ok_or_else(|| {
            unpriceable(format!(
                "feature {:?} has no price in the price book",
                job.feature
            ))
        })?;
        // A learned correction scales what was projected from words.
        let correction = ctx.facts.corrections.get(job.feature).copied();
        let scaled = |s: &super::draft::DraftScene| match correction {
            Some(c) if super::learn::LEARNED_BASES.contains(&s.basis) => {
                s.ms.saturating_mul(c).div_ceil(1000)
            }
            _ => s.ms,
        };
        let ms = job
            .scenes
            .iter()
            .map(scaled)
            .fold(0u64, u64::saturating_add);
        if job.video && !ctx.enterprise() && ms > u64::from(ctx.plan.max_video_seconds) * 1000 {
            return Err(PricingError::new(
                400,
                "video_too_long",
                format!(
                    "projected video length {} s exceeds the plan maximum of {} s; \
                     shorten or split the video",
                    ms.div_ceil(1000),
                    ctx.plan.max_video_seconds
                ),
            ));
        }
        let (billed_seconds, credits) = match price.unit {
            Unit::PerCall => (0, price.micros),
            Unit::PerMinute => price.cost_in(gen, ms),
        };
        scenes.extend(job.scenes.iter().map(|s| SceneQuote {
            job: i,
            feature: s.feature,
            projected_ms: scaled(s),
            basis: s.basis,
        }));
        jobs.push(JobQuote {
            feature: job.feature.to_owned(),
            projected_ms: ms,
            billed_seconds,
            credits,
        });
    }
    if jobs.is_empty() {
        return Err(unpriceable("the request creates no billable job".into()));
    }
    let credits = jobs
        .iter()
        .fold(0 as Micros, |a, j| a.saturating_add(j.credits));
    if credits > MAX_QUOTE_MICROS {
        return Err(PricingError::new(
            400,
            "cost_too_high",
            format!(
                "projected cost {} credits exceeds the maximum of {} credits per request; \
                 check the lengths and counts in the request",
                format_credits(credits),
                format_credits(MAX_QUOTE_MICROS)
            ),
        ));
    }
    // A test render is held at its full price either way, so it must fit
    // the budget; a free one is released once HeyGen accepts it.
    let free_test = draft.test && ctx.plan.test_mode == TestMode::Free;
    let settle = if free_test || credits == 0 {
        SettleMode::Free
    } else {
        draft.settle
    };
    Ok(Quote {
        feature: main_feature(&jobs),
        projected_ms: jobs
            .iter()
            .fold(0u64, |a, j| a.saturating_add(j.projected_ms)),
        billed_seconds: jobs
            .iter()
            .fold(0u64, |a, j| a.saturating_add(j.billed_seconds)),
        credits,
        version: ctx.book.version().to_owned(),
        settle,
        jobs,
        scenes,
    })
}

/// The feature of the jobs if they agree, else the one carrying most credits
/// (first on ties).
fn main_feature(jobs: &[JobQuote]) -> String {
    let first = jobs.first().map(|j| j.feature.as_str()).unwrap_or_default();
    if jobs.iter().all(|j| j.feature == first) {
        return first.to_owned();
    }
    let mut best: Vec<(&str, Micros)> = Vec::new();
    for j in jobs {
        match best.iter_mut().find(|(f, _)| *f == j.feature) {
            Some((_, c)) => *c = c.saturating_add(j.credits),
            None => best.push((&j.feature, j.credits)),
        }
    }
    // `reduce` keeps the earlier entry unless a later one is strictly larger.
    best.into_iter()
        .reduce(|top, b| if b.1 > top.1 { b } else { top })
        .map(|(f, _)| f.to_owned())
        .unwrap_or_default()
}

/// Quote helper for the CLI and `POST /gateway/v1/quote`: classifies, then
/// prices billable routes. Free routes, status reads and unknown reads get a
/// zero quote (feature `"free"`, no jobs, [`SettleMode::Free`]); writes to
/// unknown routes are refused with 403 `unknown_route`.
pub fn quote_request(
    book: &PriceBook,
    plan: &PlanPolicy,
    method: &http::Method,
    path: &str,
    body: &[u8],
) -> Result<Quote, PricingError> {
    match classify(method, path).kind {
        RouteKind::Billable(b) => quote(book, plan, &b, body),
        RouteKind::Free | RouteKind::Status(_) | RouteKind::UnknownRead => Ok(Quote {
            feature: "free".into(),
            jobs: Vec::new(),
            scenes: Vec::new(),
            projected_ms: 0,
            billed_seconds: 0,
            credits: 0,
            version: book.version().to_owned(),
            settle: SettleMode::Free,
        }),
        RouteKind::UnknownWrite => Err(PricingError::new(
            403,
            "unknown_route",
            format!(
                "{method} {path} is not a known HeyGen route; writes to unknown routes are \
                 refused unless routes.unknown_writes = \"allow\""
            ),
        )),
    }
}

/// Actual cost of a finished legacy (v1/v2) job; see [`settle_cost_in`].
pub fn settle_cost(book: &PriceBook, feature: &str, duration_ms: u64) -> Option<Micros> {
    settle_cost_in(book, feature, Generation::Legacy, duration_ms)
}

/// Actual cost of a finished job made through `gen` (from its status path,
/// [`Generation::of_path`]): its duration rounded up to that generation's
/// increment (and the minimum), priced with integer math. Per-call features
/// cost their flat price. `None` for a feature the book does not know.
pub fn settle_cost_in(
    book: &PriceBook,
    feature: &str,
    gen: Generation,
    duration_ms: u64,
) -> Option<Micros> {
    book.price(feature).map(|p| p.cost_in(gen, duration_ms).1)
}
