//! Video Agent v3 sessions, settled video by video. A create may name the
//! video it renders (then that video is its job, as for any render); one
//! that names none, and every revision (`POST /v3/video-agents/{id}`, whose
//! answer names the session and a run, never a video: heygen-cli
//! gen/video-agent.go), gets one placeholder job keyed by session, holding
//! the request's projection (no status path: nothing reads it).
//!
//! The settlement poller then reads each such session's video list
//! (`GET /v3/video-agents/{id}/videos`) and binds every video not yet a
//! job, oldest first, to the session's oldest open placeholder (one ledger
//! transaction each, `ledger::ops::placeholders`): the job becomes the
//! video, with status `/v3/videos/{id}`, and the video the tenant's. It
//! then settles like any v3 video: at its real length, or released if it
//! failed. A placeholder never bound (a message that made no video: its
//! answer cannot say whether one will follow) is captured at its
//! projection when its hold expires, never lower.

use crate::catalog::Billable;
use crate::ledger::{
    agent_placeholder_id, placeholder_key, JobRecord, LedgerError, PlaceholderBind, AGENT_PREFIX,
};
use crate::pricing::jobs::agent_videos::{oldest_first, videos_page, videos_path, AgentVideo};
use crate::pricing::jobs::safe_id;
use crate::pricing::Quote;
use crate::state::AppState;

/// Pages of a session's videos read per pass (newest first). A session
/// with more videos than that is bound from its newest ones; the older
/// ones were bound, if ever, when they were new.
const MAX_PAGES: usize = 4;

/// The session an accepted Video Agent request rendered in: its answer's
/// `session_id`, else, for a revision, the one its path names. `None` for
/// any other request (and ids unfit for a path).
pub(crate) fn session_of(billable: &Billable, answer: &[u8]) -> Option<String> {
    let from_path = match billable {
        Billable::V3VideoAgent => None,
        Billable::V3VideoAgentMessage { session_id } => Some(session_id.as_str()),
        _ => return None,
    };
    let answered = serde_json::from_slice::<serde_json::Value>(answer)
        .ok()
        .and_then(|v| {
            let d = v.get("data").unwrap_or(&v);
            d.get("session_id")?.as_str().map(str::to_owned)
        });
    answered
        .or_else(|| from_path.map(str::to_owned))
        .filter(|s| safe_id(s))
}

/// The placeholder of an accepted request that named no video: one job
/// holding the whole projection (a request renders at most one video).
pub(crate) fn placeholder(quote: &Quote, session_id: &str, hold_id: &str) -> JobRecord {
    JobRecord {
        job_id: agent_placeholder_id(session_id, hold_id, 0),
        feature: quote.feature.clone(),
        status_path: String::new(),
        held: quote.credits,
        items: Vec::new(),
    }
}

/// The session of an agent placeholder's job id; `None` for any other job.
pub(crate) fn session_of_placeholder(job_id: &str) -> Option<&str> {
    placeholder_key(AGENT_PREFIX, job_id)
}

/// Reads the session's videos and binds each one not yet a job, oldest
/// first, to the session's oldest open placeholder. Returns how many were
/// bound; `None` when the list could not be read (tried again later).
pub(crate) async fn bind_session(
    state: &AppState,
    session_id: &str,
) -> Result<Option<usize>, LedgerError> {
    let Some(videos) = list(state, session_id).await else {
        return Ok(None);
    };
    let mut bound = 0;
    for video in oldest_first(videos) {
        // Bound before, or named by its create: skipped without a write.
        if state.ledger.get_job(&video.id).await?.is_some() {
            continue;
        }
        let status = format!("/v3/videos/{}", video.id);
        match state
            .ledger
            .bind_agent_video(session_id, &video.id, &status)
            .await?
        {
            PlaceholderBind::Bound { tenant, hold_id } => {
                bound += 1;
                tracing::info!(%tenant, %hold_id, session_id, video_id = %video.id,
                    "Video Agent video bound to its request's hold.");
            }
            PlaceholderBind::Known { .. } => {}
            PlaceholderBind::NoneOpen => break,
            PlaceholderBind::SeveralTenants => {
                tracing::warn!(session_id, video_id = %video.id,
                    "Video Agent placeholders of several tenants on one session; none is bound, their holds' TTL captures them.");
                break;
            }
        }
    }
    Ok(Some(bound))
}

/// All videos of the session HeyGen lists, up to [`MAX_PAGES`] pages.
async fn list(state: &AppState, session_id: &str) -> Option<Vec<AgentVideo>> {
    let mut videos = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let path = videos_path(session_id, token.as_deref());
        let body = match state.upstream.get_json(&path).await {
            Ok((status, body)) if (200..300).contains(&status) => body,
            Ok((status, _)) => {
                tracing::debug!(
                    session_id,
                    status,
                    "Session video list refused; will retry."
                );
                return None;
            }
            Err(e) => {
                tracing::debug!(session_id, error = %e, "Session video list failed; will retry.");
                return None;
            }
        };
        let Some(page) = videos_page(&body) else {
            tracing::warn!(session_id, "Session video list unreadable; will retry.");
            return None;
        };
        videos.extend(page.videos);
        match page.next_token {
            Some(next) => token = Some(next),
            None => return Some(videos),
        }
    }
    tracing::info!(
        session_id,
        pages = MAX_PAGES,
        "Session lists more videos than are read; binding from the newest."
    );
    Some(videos)
}
