//! Where a completed job's real length comes from. HeyGen's status carries
//! it for most jobs; where it does not (the v2 translation status, some v3
//! shapes), the finished output itself is probed: its container header is
//! read with ranged requests through the egress guard (`probe`), so the job
//! settles at what HeyGen rendered instead of at the gateway's estimate.

use crate::state::AppState;

/// A completed job's length and where it came from (a
/// `metrics::SETTLEMENT_SOURCES` label).
pub(super) struct Length {
    pub ms: Option<u64>,
    pub source: &'static str,
}

/// The length reported by the status (`reported`), else the probed length
/// of `output_url`, else none (`estimate`: the hold is captured).
pub(super) async fn learn(
    state: &AppState,
    job_id: &str,
    reported: Option<u64>,
    output_url: Option<&str>,
    caller: &str,
) -> Length {
    if let Some(ms) = reported {
        // A webhook's settlement re-reads the status; the label keeps saying
        // which event led to it.
        let source = if caller == "webhook" {
            "webhook"
        } else {
            "status"
        };
        return Length {
            ms: Some(ms),
            source,
        };
    }
    let estimate = Length {
        ms: None,
        source: "estimate",
    };
    let Some(url) = output_url else {
        return estimate;
    };
    let Some(prober) = state.snapshot().prober.clone() else {
        return estimate;
    };
    match prober.probe(url).await {
        Ok(p) => {
            tracing::info!(
                job_id,
                duration_ms = p.duration_ms,
                container = p.container.as_str(),
                bytes_read = p.bytes_read,
                "Read the finished output's length."
            );
            Length {
                ms: Some(p.duration_ms),
                source: "output_probe",
            }
        }
        Err(e) => {
            tracing::warn!(job_id, error = %e, "Cannot read the finished output's length; the hold is captured.");
            estimate
        }
    }
}
