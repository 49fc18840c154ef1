//! [`AgentVideos`]: the placeholders of Video Agent v3 sessions and the
//! binding of a session's videos to them.
//!
//! HeyGen's answer to a revision (`POST /v3/video-agents/{session_id}`)
//! names the session and a run, never a video (heygen-cli
//! gen/video-agent.go), and a create may name none yet; each may render a
//! video, which only the session's video list
//! (`GET /v3/video-agents/{session_id}/videos`) later shows. So each such
//! accepted request is submitted with a placeholder job keyed by session,
//! and the settlement poller binds the session's videos to them, oldest
//! video to oldest placeholder (see `ledger::ops::placeholders`).

use async_trait::async_trait;

use super::types::LedgerError;

type R<T> = Result<T, LedgerError>;

/// What binding one video to a key's placeholders did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceholderBind {
    /// The video is now the job of the placeholder it replaced, under
    /// `hold_id`, and `tenant`'s.
    Bound { tenant: String, hold_id: String },
    /// The video already is a job (any state): bound before, or named by
    /// its create's answer. Nothing changed.
    Known { tenant: Option<String> },
    /// No placeholder of the key is open.
    NoneOpen,
    /// Open placeholders of the key belong to several tenants: nothing can
    /// say whose the video is, so none is bound.
    SeveralTenants,
}

/// A session with open placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSession {
    pub session_id: String,
    /// Its open placeholders (among those read).
    pub placeholders: u32,
}

/// Video Agent sessions' placeholders; both backends.
#[async_trait]
pub trait AgentVideos: Send + Sync + 'static {
    /// Sessions with open (pending) Video Agent placeholders, the session
    /// with the oldest placeholder first, read from at most `scan`
    /// placeholders (oldest first).
    async fn agent_sessions(&self, scan: u32) -> R<Vec<OpenSession>>;

    /// In one transaction: binds `video_id` to the oldest open placeholder
    /// of `session_id` (by submission time, then id), renaming that job to
    /// the video with `status_path`, and records the video as the hold
    /// tenant's. A video already a job changes nothing.
    async fn bind_agent_video(
        &self,
        session_id: &str,
        video_id: &str,
        status_path: &str,
    ) -> R<PlaceholderBind>;
}

/// Sessions from `(session, placeholders)` as `ops::placeholders` counts them.
pub(super) fn open_sessions(keys: Vec<(String, u32)>) -> Vec<OpenSession> {
    keys.into_iter()
        .map(|(session_id, placeholders)| OpenSession {
            session_id,
            placeholders,
        })
        .collect()
}
