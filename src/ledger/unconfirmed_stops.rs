//! [`UnconfirmedStops`]: the gateway's own stops of sessions (idle, budget,
//! `max_session_duration`, …) that the ledger recorded but HeyGen did not
//! confirm (a 5xx, no answer).
//!
//! The tenant pays to such a stop and the meter no longer holds minutes for
//! the session, so if it runs on at HeyGen it runs on the org's account
//! unmetered. The gateway sends the stop again each tick from memory
//! (`sessions::pending`); the mark here is what lets a restarted process
//! (or any replica starting) pick those retries up again. Several replicas
//! may load, send and clear one stop: sending it twice is harmless, and
//! every call here is idempotent.

use async_trait::async_trait;

use super::session_types::SessionRow;
use super::types::LedgerError;

type R<T> = Result<T, LedgerError>;

/// Marks on sessions' stops HeyGen did not confirm; both backends.
#[async_trait]
pub trait UnconfirmedStops: Send + Sync + 'static {
    /// Marks the stop of session `session_id` unconfirmed as of `at_us`.
    /// Only a stopped session is marked: nothing else has a stop to send
    /// again. A session marked already keeps its first time, so marking
    /// again does not stretch the window the stop is retried in.
    async fn mark_stop_unconfirmed(&self, session_id: &str, at_us: i64) -> R<()>;

    /// Stopped sessions whose stop is unconfirmed since `since_us` or later,
    /// oldest mark first, at most `limit` of them. Older marks are left in
    /// place (a record of the stop HeyGen never confirmed) and not listed.
    async fn unconfirmed_stops(&self, since_us: i64, limit: u32) -> R<Vec<SessionRow>>;

    /// Clears the mark: HeyGen confirmed the stop (the session is gone), or
    /// the gateway stopped sending it. A session not marked is left as is.
    async fn clear_stop_unconfirmed(&self, session_id: &str) -> R<()>;
}
