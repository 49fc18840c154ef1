//! [`AlertOutbox`]: the durable outbox of ops alerts (budget thresholds,
//! exhaustion, drift, sessions stopped at their budget). Each alert is
//! queued once per (alert key, webhook name) — the key names the event and
//! its period, so a restart or a second replica that sees the same crossing
//! queues nothing new — then claimed under [`DELIVERY_LEASE`](super::DELIVERY_LEASE), like the
//! tenant webhook outbox, and finished `delivered` or `failed`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::types::LedgerError;

type R<T> = Result<T, LedgerError>;

/// Attempts after which an alert is given up (`failed`): with the default
/// 5 s base and full jitter the last one comes within about ten minutes.
pub const MAX_ALERT_ATTEMPTS: u32 = 8;

/// An alert older than this is given up at its next failure whatever its
/// attempts: a day-old "80 % used" is noise, and the next period re-arms.
pub const MAX_ALERT_AGE: chrono::Duration = chrono::Duration::hours(24);

/// One alert to queue for one webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    /// Dedup key of the event and its period, e.g.
    /// `threshold:alpha:daily:2026-12-04:80`.
    pub key: String,
    /// The `[[alerts.webhooks]]` name it goes to.
    pub webhook: String,
    /// `threshold`, `exhausted`, `drift`, `session_stopped`.
    pub event: String,
    /// The alert as the `json` format sends it; other formats are rendered
    /// from it at send time.
    pub payload: String,
}

/// State of one alert row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertState {
    /// Not acknowledged yet; sent when due.
    Pending,
    /// Acknowledged (2xx): never sent again.
    Delivered,
    /// Given up after [`MAX_ALERT_ATTEMPTS`] or [`MAX_ALERT_AGE`].
    Failed,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Pending => "pending",
            AlertState::Delivered => "delivered",
            AlertState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<AlertState> {
        [
            AlertState::Pending,
            AlertState::Delivered,
            AlertState::Failed,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// A claimed alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAlert {
    pub id: i64,
    pub key: String,
    pub webhook: String,
    pub event: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
}

/// One alert row as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertInfo {
    pub id: i64,
    pub key: String,
    pub webhook: String,
    pub event: String,
    pub payload: String,
    pub state: AlertState,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// The alert outbox; both backends.
#[async_trait]
pub trait AlertOutbox: Send + Sync + 'static {
    /// Queues each alert unless its (key, webhook) pair was ever queued
    /// (delivered, failed or pending); returns how many were new.
    async fn enqueue_alerts(&self, alerts: &[NewAlert]) -> R<u32>;

    /// Claims up to `limit` pending alerts due at `now` for
    /// [`DELIVERY_LEASE`](super::DELIVERY_LEASE): no other caller gets them until the lease ends or
    /// a result is recorded.
    async fn due_alerts(&self, now: DateTime<Utc>, limit: u32) -> R<Vec<DueAlert>>;

    /// Records one attempt: `ok` marks it delivered; a failure schedules
    /// `next_attempt_at`, or gives up (`failed`) at [`MAX_ALERT_ATTEMPTS`]
    /// or when the alert was created before `now - MAX_ALERT_AGE`. A row no
    /// longer pending is left alone. Returns the state afterwards.
    async fn alert_result(
        &self,
        id: i64,
        ok: bool,
        status: Option<u16>,
        error: Option<&str>,
        next_attempt_at: DateTime<Utc>,
    ) -> R<AlertState>;

    /// Alerts, newest first.
    async fn alert_log(&self, limit: u32) -> R<Vec<AlertInfo>>;

    /// Pending alerts (due or not).
    async fn alert_depth(&self) -> R<u64>;
}
