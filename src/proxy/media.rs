//! Before pricing: the lengths of the media a billable request points at
//! (narration `audio_url`s, translation sources, v3 URL inputs), probed
//! through the egress guard (`crate::probe`: range requests, byte cap,
//! timeouts, cached by URL), and of the uploaded assets it names by id, as
//! recorded at upload (`super::upload`); then every other fact pricing may
//! use (see [`facts`]). Pricing stays pure and gets them as facts; a URL
//! that cannot be read in time is priced at the default.

use std::time::Duration;

use futures_util::future::join_all;

use crate::catalog::Billable;
use crate::pricing::{self, media, Facts, MediaLengths};
use crate::state::AppState;

/// The longest a request waits for its media to be probed, all URLs at once.
const PROBE_BUDGET: Duration = Duration::from_secs(5);

async fn lengths(state: &AppState, body: &[u8]) -> MediaLengths {
    let mut out = MediaLengths::new();
    recorded(state, body, &mut out).await;
    let urls = media::urls(body);
    if urls.is_empty() {
        return out;
    }
    let Some(prober) = state.snapshot().prober.clone() else {
        return out;
    };
    let probes = urls.into_iter().map(|url| {
        let prober = prober.clone();
        async move {
            let result = prober.probe(&url).await;
            (url, result)
        }
    });
    match tokio::time::timeout(PROBE_BUDGET, join_all(probes)).await {
        Ok(results) => {
            for (url, result) in results {
                match result {
                    Ok(p) => out.insert(url, p.duration_ms),
                    Err(e) => {
                        tracing::info!(error = %e, "Media length unreadable; priced at the default.")
                    }
                }
            }
        }
        Err(_) => {
            tracing::warn!("Probing the request's media took too long; priced at the defaults.")
        }
    }
    out
}

/// The lengths recorded when the assets the body names were uploaded
/// through the gateway (`upload`), in one ledger read. A ledger that cannot
/// answer leaves them at the default: the hold that follows needs the
/// ledger anyway and reports it.
async fn recorded(state: &AppState, body: &[u8], out: &mut MediaLengths) {
    let ids = media::asset_ids(body);
    if ids.is_empty() {
        return;
    }
    match state.ledger.asset_media(&ids).await {
        Ok(rows) => {
            for m in rows {
                if let Some(ms) = m.duration_ms {
                    out.insert_recorded(m.asset_id, ms);
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "Reading uploaded assets' lengths failed; priced at the defaults.")
        }
    }
}

/// Everything read before pricing a billable request of `tenant`: media
/// lengths, looks and template (the `lookup` module), the tenant's learned
/// corrections when `pricing.projection.learn` is on, and the mode a
/// proofread was created with (a ledger read; unknown → the highest mode).
/// The request path and the quote endpoint price from the same facts.
pub(crate) async fn facts(
    state: &AppState,
    billable: &Billable,
    body: &[u8],
    tenant: &str,
) -> Facts {
    let media = lengths(state, body).await;
    let cfg = state.snapshot().config.clone();
    if pricing::facts::needs_lookup(&cfg.pricing, billable, body) {
        // A request the plan refuses whatever HeyGen would say (4K without
        // enterprise, too long even at the cheapest engine…) is refused
        // without asking HeyGen anything.
        let plan = pricing::PlanPolicy::from(&cfg.plan);
        if pricing::quote_with_media(&cfg.pricing, &plan, billable, body, &media).is_err() {
            return Facts::with_media(media);
        }
    }
    let mut facts = state
        .lookups
        .facts(&state.upstream, &cfg.pricing, billable, body, media)
        .await;
    if cfg.pricing.projection().learn {
        facts.corrections = state.lookups.corrections_of(tenant);
    }
    if let Some(id) = pricing::facts::proofread_id(billable) {
        if let Ok(Some(owner)) = state.ledger.owner_of(id).await {
            if let Some(feature) = pricing::facts::proofread_feature(&owner.kind) {
                facts.proofreads.insert(id.to_string(), feature);
            }
        }
    }
    facts
}
