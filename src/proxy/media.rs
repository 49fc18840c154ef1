//! Before pricing: the lengths of the media a billable request points at
//! (narration `audio_url`s, translation sources, v3 URL inputs), probed
//! through the egress guard (`crate::probe`: range requests, byte cap,
//! timeouts, cached by URL). Pricing stays pure and gets the lengths as
//! facts; a URL that cannot be read in time is priced at the default.

use std::time::Duration;

use futures_util::future::join_all;

use crate::pricing::{media, MediaLengths};
use crate::state::AppState;

/// The longest a request waits for its media to be probed, all URLs at once.
const PROBE_BUDGET: Duration = Duration::from_secs(5);

pub(super) async fn lengths(state: &AppState, body: &[u8]) -> MediaLengths {
    let mut out = MediaLengths::new();
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
