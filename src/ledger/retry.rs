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

/// Holds of idempotent requests, by the request's fingerprint; both backends.
#[async_trait]
pub trait RetryHolds: Send + Sync + 'static {
    /// The hold an earlier attempt of the request fingerprinted `fingerprint`
    /// (from tenant, key, path and body) left on `route` with no job recorded and
    /// not settled — `held`, or `expired` (captured in full by its TTL) —
    /// taken within [`RETRY_LOOKBACK`] of `now`.
    async fn retry_hold(
        &self,
        tenant: &str,
        route: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> R<Option<HoldInfo>>;

    /// For a retried session start: the hold [`RetryHolds::retry_hold`]
    /// would find, but only while it is `held` with no session on it (an
    /// expired hold cannot be a live session's minute), its TTL moved in
    /// the same transaction to at least `until` (the retry's own), so
    /// expiry cannot capture it before the answer binds it to the session.
    async fn retry_session_hold(
        &self,
        tenant: &str,
        route: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> R<Option<HoldInfo>>;
}
