//! The poller's Video Agent pass: sessions with open placeholders get
//! their video lists read and their new videos bound
//! (`settlement::agents`), before the jobs are polled, so a video bound
//! here is settled in the same tick. A session is keyed with its count of
//! open placeholders for the backoff: a new revision (or a bind) makes it
//! due at once, whatever it waited before.

use std::collections::HashSet;

use futures_util::stream::{self, StreamExt};

use super::backoff::Backoff;
use crate::state::AppState;

/// Placeholders read per tick (oldest first).
const AGENT_SCAN: u32 = 1_000;
/// Sessions whose video lists are read per tick at most.
const AGENT_BATCH: usize = 20;

pub(super) async fn bind(state: &AppState, backoff: &mut Backoff) {
    let cfg = state.snapshot().config.clone();
    let sessions = match state.ledger.agent_sessions(AGENT_SCAN).await {
        Ok(s) => s,
        Err(e) => {
            state.note_ledger_error("agent_sessions", &e);
            return;
        }
    };
    let keyed: Vec<(String, String)> = sessions
        .into_iter()
        .map(|s| (format!("{}#{}", s.session_id, s.placeholders), s.session_id))
        .collect();
    let live: HashSet<&str> = keyed.iter().map(|(key, _)| key.as_str()).collect();
    backoff.keep_only(&live);
    let due: Vec<(String, String)> = keyed
        .iter()
        .filter(|(key, _)| backoff.due(key))
        .take(AGENT_BATCH)
        .cloned()
        .collect();
    let results: Vec<(String, bool)> = stream::iter(due)
        .map(|(key, session)| async move {
            let bound = crate::settlement::agents::bind_session(state, &session)
                .await
                .unwrap_or_else(|e| {
                    state.note_ledger_error("bind_agent_video", &e);
                    None
                });
            (key, bound.is_some_and(|n| n > 0))
        })
        .buffer_unordered(cfg.settlement.poll_concurrency)
        .collect()
        .await;
    for (key, progressed) in results {
        backoff.record(key, progressed, cfg.settlement.poll_interval);
    }
}
