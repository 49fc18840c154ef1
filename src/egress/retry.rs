//! Retry delays of outbound deliveries (tenant webhooks, ops alerts), shared
//! so every outbox backs off the same way.

use std::time::Duration;

use rand::Rng;

/// Longest wait between two attempts of one delivery.
pub(crate) const MAX_RETRY_DELAY: Duration = Duration::from_secs(3600);

/// Delay before the retry after `attempts` failed attempts: uniformly
/// random in `[0, min(base × 2^attempts, MAX_RETRY_DELAY)]` ("full
/// jitter"), so receivers coming back from an outage are not hit by every
/// replica's retries at the same instant.
pub(crate) fn backoff(base: Duration, attempts: u32) -> Duration {
    let ceiling = base
        .saturating_mul(1u32 << attempts.min(20))
        .min(MAX_RETRY_DELAY);
    let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(0..=ms))
}
