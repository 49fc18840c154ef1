//! Media probing: the duration of a tenant-given media file, read from its
//! container header (issues 10 and 11).
//!
//! Only as much of the file is fetched as the header needs: a first ranged
//! read, then more ranges wherever the parser asks (MP4 with `moov` at the
//! end, OGG's last page, trailing tags), never more than `probe.max_bytes` in
//! total. Every request goes through the [`EgressGuard`]. A file that is
//! truncated, declares an absurd duration or needs more than the budget is
//! refused with a distinct error; the caller then falls back to its
//! conservative default, so a lie can only make the tenant pay more.
//!
//! Uploads through the gateway are read too, from their first and last
//! bytes as they stream past ([`upload`], [`tee`]): nothing is fetched.

mod cache;
mod fetch;
mod multipart;
mod parse;
mod source;
pub mod tee;
pub mod upload;

use std::sync::Arc;

pub use crate::config::{FileProbe, ProbeConfig};
pub use cache::Prober;

use crate::egress::{EgressError, EgressGuard};
use fetch::Served;
use parse::Outcome;
use source::Data;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Wav,
    Mp3,
    Flac,
    Ogg,
    Mp4,
    Mov,
    WebM,
    Matroska,
}

impl Container {
    /// Bounded label (for metrics and logs).
    pub fn as_str(self) -> &'static str {
        match self {
            Container::Wav => "wav",
            Container::Mp3 => "mp3",
            Container::Flac => "flac",
            Container::Ogg => "ogg",
            Container::Mp4 => "mp4",
            Container::Mov => "mov",
            Container::WebM => "webm",
            Container::Matroska => "matroska",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probed {
    pub duration_ms: u64,
    pub container: Container,
    /// Body bytes read over all requests of this probe.
    pub bytes_read: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// Not a container we read, or one the parser rejects as malformed.
    #[error("unsupported or malformed media: {0}")]
    Unsupported(String),
    /// The container ends before its header (or its promised data) does.
    #[error("media file is truncated")]
    Truncated,
    /// The header needs more than `probe.max_bytes` of the file.
    #[error("media header needs more bytes than the probe may read")]
    TooLarge,
    /// The declared duration is beyond `probe.max_duration`.
    #[error("declared duration {duration_ms} ms is implausible")]
    Implausible { duration_ms: u64 },
    /// The container declares no duration (MP3 without Xing header and
    /// unknown size, fragmented MP4, live WebM).
    #[error("media declares no duration")]
    NoDuration,
    #[error("media URL refused or unreachable: {0}")]
    Egress(EgressError),
    /// The server answered with this status (3xx included: never followed).
    #[error("media URL answered HTTP {0}")]
    Http(u16),
}

impl ProbeError {
    /// Whether the same URL may give a different answer soon (not cached).
    fn is_transient(&self) -> bool {
        matches!(self, ProbeError::Egress(_) | ProbeError::Http(_))
    }
}

/// Reads the duration of the media at `url` (no caching; see [`Prober`]).
pub async fn probe_duration(
    guard: &EgressGuard,
    url: &str,
    cfg: &ProbeConfig,
) -> Result<Probed, ProbeError> {
    let mut data = Data::default();
    let (mut served, mut total) = fetch::fetch(
        guard,
        url,
        &mut data,
        0,
        cfg.first_chunk_bytes,
        cfg.max_bytes,
    )
    .await?;
    // Each round fetches at least one new byte or stops, and `total` is
    // bounded by `max_bytes`, so this loop ends.
    loop {
        let snapshot = Arc::new(data.clone());
        let outcome = {
            let snapshot = snapshot.clone();
            // Parsers are synchronous and, being third-party code fed
            // tenant bytes, may panic: run them off the reactor, isolated.
            tokio::task::spawn_blocking(move || parse::parse(&snapshot))
                .await
                .unwrap_or_else(|_| Outcome::Fail(ProbeError::Unsupported("parser failed".into())))
        };
        match outcome {
            Outcome::Done {
                container,
                duration_ms,
            } => return accept(container, duration_ms, total as u64, cfg),
            Outcome::Fail(e) => return Err(e),
            Outcome::Need(offset) => {
                if data.size.is_some_and(|s| offset >= s) {
                    return Err(ProbeError::Truncated);
                }
                if data.has(offset) {
                    // The parser failed on bytes we have: nothing to fetch.
                    return Err(ProbeError::Unsupported("parser stalled".into()));
                }
                match served {
                    Served::Whole { truncated: true } => return Err(ProbeError::TooLarge),
                    Served::Whole { truncated: false } => return Err(ProbeError::Truncated),
                    Served::Partial => {}
                }
                let budget = cfg.max_bytes.saturating_sub(total);
                if budget == 0 {
                    return Err(ProbeError::TooLarge);
                }
                // Grow the reads geometrically so a large `moov` costs a few
                // round trips, not one per chunk.
                let want = cfg.first_chunk_bytes.max(total).min(budget);
                let (s, n) = fetch::fetch(guard, url, &mut data, offset, want, budget).await?;
                served = s;
                total += n;
                if !data.has(offset) {
                    return Err(ProbeError::Truncated);
                }
            }
        }
    }
}

/// A parsed duration, unless it is beyond `probe.max_duration` or zero.
fn accept(
    container: Container,
    duration_ms: u64,
    bytes_read: u64,
    cfg: &ProbeConfig,
) -> Result<Probed, ProbeError> {
    let max_ms = u64::try_from(cfg.max_duration.as_millis()).unwrap_or(u64::MAX);
    if duration_ms > max_ms {
        return Err(ProbeError::Implausible { duration_ms });
    }
    if duration_ms == 0 {
        return Err(ProbeError::NoDuration);
    }
    Ok(Probed {
        duration_ms,
        container,
        bytes_read,
    })
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod upload_tests;
