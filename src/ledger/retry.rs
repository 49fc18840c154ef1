//! [`RetryHolds`]: the hold an earlier attempt of an idempotent request left.
//!
//! HeyGen dedupes v3 creates by `Idempotency-Key` (the gateway sends a key
//! derived from tenant and key): an attempt whose outcome the gateway lost —
//! it timed out, or the answer was cut off — may have made a job, and a
//! retry with the same key and body is answered with that job. The attempt's
//! hold was kept (never undercount); a second hold for the retry would
//! charge the tenant twice for the one job. So the retry takes over the
//! hold instead: the proxy looks it up here before holding. A realtime
//! session start is deduped the same way (a retry is answered with the same
//! session), so its retry takes over the first minute its attempt held.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::types::{HoldInfo, LedgerError};

type R<T> = Result<T, LedgerError>;

/// How far back a retry looks for its earlier attempt's hold: the 24 h
/// HeyGen replays a key ([`super::IDEMPOTENCY_TTL`]) less an hour for the
/// retry's own way to HeyGen. A retry reaching HeyGen after it forgot the
/// key makes a second job; had it taken the first attempt's hold over, the
/// first job (if any) would go uncharged. Past this the retry holds anew:
/// possibly charged twice, never under.
pub const RETRY_LOOKBACK: chrono::Duration = chrono::Duration::hours(23);

/// What a retry takes over, which decides the holds that qualify.
#[derive(Debug, Clone, Copy)]
pub enum Takeover {
    /// The one job a create's key stands for: `held` (its attempt's
    /// outcome unknown, kept for the TTL) or `expired` (the TTL captured it
    /// in full; a job recorded now is settled late, correcting that).
    Job,
    /// A session start's first minute (`/v3/avatar-realtime`): `held` only,
    /// with no session on it, and its TTL moved to at least `until` (the
    /// retry's own). An expired hold is closed and cannot become a live
    /// session's current minute (the meter could neither capture nor
    /// release it), so such a retry holds anew. The TTL moves in the
    /// transaction that finds the hold, under its lock, so expiry cannot
    /// capture it before the retry's answer binds it to the session.
    Session { until: DateTime<Utc> },
}

/// Holds of idempotent requests, by the request's fingerprint; both backends.
#[async_trait]
pub trait RetryHolds: Send + Sync + 'static {
    /// The hold an earlier attempt of the request fingerprinted `fingerprint`
    /// (from tenant, key, path and body) left on `route` with no job recorded and
    /// not settled, as `takeover` qualifies it, taken within
    /// [`RETRY_LOOKBACK`] of `now`.
    async fn retry_hold(
        &self,
        tenant: &str,
        route: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        takeover: Takeover,
    ) -> R<Option<HoldInfo>>;
}
