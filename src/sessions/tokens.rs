//! HeyGen's own list of streaming sessions. Sessions started with a
//! `streaming.create_token` token talk to HeyGen directly, so no session
//! call passes the gateway: minting the token held the first minute and
//! left a `token` row. While a token waits or a streaming session lives,
//! each tick reads `GET /v1/streaming.list` with the org key: a session the
//! ledger does not know is bound to the oldest waiting token when one
//! tenant alone could have started it (its tenant pays, from the session's
//! `created_at`), and left to no tenant when several could
//! (`ledger::ops::session_claims`); a streaming session gone from the list
//! has ended (HeyGen's own idle timeout, or an SDK's stop), and a token no
//! session used within `TOKEN_WAIT_US` is released. A session no waiting
//! token explains (`TokenClaim::NoToken`) runs unmetered: the org's own, or
//! a token reused or used after its wait. It is logged at warn and counted
//! once (`crate::unexplained_sessions`), once it has stayed unexplained
//! longer than a start in flight takes to be answered; it is not stopped,
//! since the list cannot tell it from the org's own use of its key.

use std::collections::HashSet;

use serde_json::Value;

use crate::ledger::{SessionFilter, SessionRow, TokenClaim};
use crate::state::AppState;

/// How long a minted token may wait for its session before its hold is
/// released.
const TOKEN_WAIT_US: i64 = 10 * 60 * 1_000_000;

/// How long a session start through the gateway that got no answer (in
/// flight, or its answer lost after HeyGen made the session) counts as a
/// possible origin of an unknown session in the list: as long as a token
/// waits, since its session shows in the list as soon as HeyGen made it.
const START_WAIT_US: i64 = TOKEN_WAIT_US;

/// Binds new sessions, ends vanished ones, releases unused tokens; returns
/// the live sessions still to meter.
pub(super) async fn watch(state: &AppState, live: Vec<SessionRow>) -> Vec<SessionRow> {
    let tokens = match state.ledger.sessions(SessionFilter::Tokens).await {
        Ok(t) => t,
        Err(e) => {
            state.note_ledger_error("sessions", &e);
            return live;
        }
    };
    let listed_kind = |s: &SessionRow| s.kind == "token" || s.kind == "streaming";
    let watched = live.iter().any(listed_kind);
    if tokens.is_empty() && !watched {
        return live;
    }
    let now = state.clock.now().timestamp_micros();
    for t in tokens
        .iter()
        .filter(|t| now - t.started_us >= TOKEN_WAIT_US)
    {
        unused(state, t, now).await;
    }
    let Some(listed) = listed(state).await else {
        return live;
    };
    let known: HashSet<&str> = live.iter().map(|s| s.session_id.as_str()).collect();
    let mut bound = Vec::new();
    let mut unexplained = HashSet::new();
    for (id, created_us) in &listed {
        // A session stopped because it could not be registered is no
        // token's: binding it would charge another tenant for it.
        if known.contains(id.as_str()) || state.unregistered.contains(id) {
            continue;
        }
        let started = created_us.unwrap_or(now).min(now);
        let since = now - START_WAIT_US;
        match state.ledger.claim_token_session(id, started, since).await {
            Ok(TokenClaim::Bound(s)) => {
                tracing::info!(tenant = %s.tenant, session_id = %id, "Token session bound; metering it.");
                bound.push(*s);
            }
            Ok(TokenClaim::Unattributed { candidates }) => {
                // Logged and counted once: the ledger keeps it, so the next
                // tick finds it known.
                state.metrics.session_unattributed();
                tracing::warn!(session_id = %id, candidates = %candidates.join(","),
                    "A session in HeyGen's list could have been started by tokens (or unanswered starts) of several tenants; bound to none, metered for none.");
            }
            Ok(TokenClaim::Known) => {
                tracing::debug!(session_id = %id, "Session in HeyGen's list the ledger knows but does not meter as live.")
            }
            Ok(TokenClaim::NoToken) => {
                unexplained.insert(id.as_str());
                no_token(state, id, now);
            }
            Err(e) => state.note_ledger_error("sessions", &e),
        }
    }
    state.unexplained.keep_only(&unexplained);
    let present: HashSet<&str> = listed.iter().map(|(id, _)| id.as_str()).collect();
    let mut out = Vec::new();
    for s in live.into_iter().chain(bound) {
        // Gone from the list while the client's stop is in flight: the
        // stop ends it (`stopping_sessions`), or the next tick if refused.
        let stopping = state.stopping.contains(&s.session_id);
        if listed_kind(&s) && !present.contains(s.session_id.as_str()) && !stopping {
            super::stop::close(state, &s, now, "ended", false).await;
        } else {
            out.push(s);
        }
    }
    out
}

/// Session `id` in HeyGen's list is explained by no waiting token (and the
/// ledger knows it in no state): counted and logged once it has stayed so
/// for longer than a start through the gateway could wait for its answer
/// and be registered (the upstream request timeout and a tick).
fn no_token(state: &AppState, id: &str, now: i64) {
    let cfg = &state.snapshot().config;
    let grace = cfg
        .upstream
        .request_timeout
        .saturating_add(cfg.settlement.session_tick);
    let grace_us = i64::try_from(grace.as_micros()).unwrap_or(i64::MAX);
    if !state.unexplained.count_once(id, now, grace_us) {
        return tracing::debug!(session_id = %id, "Session in HeyGen's list no token of the gateway explains.");
    }
    state.metrics.session_unmetered("no_token");
    tracing::warn!(session_id = %id,
        "A session in HeyGen's streaming list is explained by no waiting token or start of the gateway; it runs unmetered on the org's account.");
}

/// The open sessions in HeyGen's list (`data.sessions[]`: `session_id`,
/// `status`, `created_at` in seconds); `None` when the list cannot be read.
async fn listed(state: &AppState) -> Option<Vec<(String, Option<i64>)>> {
    let (status, body) = state.upstream.get_json("/v1/streaming.list").await.ok()?;
    if !(200..300).contains(&status) {
        return None;
    }
    let v: Value = serde_json::from_slice(&body).ok()?;
    let items = v.get("data")?.get("sessions")?.as_array()?;
    Some(
        items
            .iter()
            .filter(|i| {
                !matches!(
                    i.get("status").and_then(Value::as_str),
                    Some("closed" | "closing")
                )
            })
            .filter_map(|i| {
                let id = i.get("session_id")?.as_str()?;
                let created = i
                    .get("created_at")
                    .and_then(Value::as_i64)
                    .map(|s| s * 1_000_000);
                Some((id.to_string(), created))
            })
            .collect(),
    )
}

/// A token no session used: its first-minute hold is released.
async fn unused(state: &AppState, t: &SessionRow, now: i64) {
    match state
        .ledger
        .end_session(&t.session_id, &t.hold_id, "unused", now, 0)
        .await
    {
        Ok(Some(settled)) => super::stop::count(state, t, &settled),
        Ok(None) => return,
        Err(e) => return state.note_ledger_error("sessions", &e),
    }
    state
        .metrics
        .session_ended(&t.tenant, &t.feature, "unused", 0.0);
    tracing::info!(tenant = %t.tenant, hold_id = %t.hold_id, "Streaming token unused; its hold released.");
}
