//! Where a completed job's real length comes from. HeyGen's status carries
//! it for most jobs; where it does not (the v2 translation status, some v3
//! shapes), the finished output itself is probed: its container header is
//! read with ranged requests through the egress guard (`probe`), so the job
//! settles at what HeyGen rendered instead of at the gateway's estimate. A
//! finished v3 batch names each item's video: that video's status (then its
//! file) gives the item's length (`follow`).

use crate::state::AppState;

/// A completed job's length and where it came from (a
/// `metrics::SETTLEMENT_SOURCES` label).
pub(super) struct Length {
    pub ms: Option<u64>,
    pub source: &'static str,
}

/// What a completed status said about the job's length.
pub(super) struct Reported<'a> {
    pub duration_ms: Option<u64>,
    pub output_url: Option<&'a str>,
}

/// The length reported by the status, else the probed length of its
/// output, else none (`estimate`: the hold is captured).
pub(super) async fn learn(
    state: &AppState,
    job_id: &str,
    reported: Reported<'_>,
    caller: &str,
) -> Length {
    from_status_or_output(
        state,
        job_id,
        reported.duration_ms,
        reported.output_url,
        caller,
    )
    .await
}

/// Reads a produced video's status (a batch item's; once: no further
/// following).
pub(super) async fn follow(state: &AppState, job_id: &str, path: &str, caller: &str) -> Length {
    let read = match state.upstream.get_json(path).await {
        Ok((status, body)) if (200..300).contains(&status) => {
            let route = crate::catalog::classify(&http::Method::GET, path);
            match &route.kind {
                crate::catalog::RouteKind::Status(read) => {
                    crate::pricing::status_outcome(read, path, None, &body)
                }
                _ => None,
            }
        }
        _ => None,
    };
    match read {
        Some((
            _,
            crate::pricing::JobOutcome::Completed {
                duration_ms,
                output_url,
                ..
            },
        )) => {
            from_status_or_output(state, job_id, duration_ms, output_url.as_deref(), caller).await
        }
        _ => {
            tracing::warn!(
                job_id,
                path,
                "The produced video has no readable finished status; its share of the hold is captured."
            );
            Length {
                ms: None,
                source: "estimate",
            }
        }
    }
}

async fn from_status_or_output(
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
