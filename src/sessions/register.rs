//! Registering a session HeyGen accepted, so the meter sees it: the start
//! request's hold becomes its first minute.
//!
//! A session the ledger will not take is stopped instead (`unregistered`).

use serde_json::Value;

use super::unregistered::{not_registered, replayed, unavailable};
use super::{Kind, Start};
use crate::error::GatewayError;
use crate::ledger::SessionRow;
use crate::money::Micros;
use crate::state::AppState;

/// What became of a session start HeyGen accepted.
pub(crate) enum Opened {
    /// Registered: metered from now, the start's hold its first minute.
    Metered,
    /// A success that names no session: whatever session HeyGen made runs
    /// unmetered, so the start is counted and logged ([`no_session`]) and
    /// its hold kept `held` for its TTL to capture, never settled as a
    /// one-off request.
    NoSession,
    /// Not metered, so not left running (`unregistered`): the start
    /// fails with `error`, and its hold is settled as `owed` says.
    Unmetered { owed: Owed, error: GatewayError },
}

/// What the hold of a start the gateway could not meter pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owed {
    /// Nothing ran (a token never handed out): released.
    Nothing,
    /// The session ran until the gateway stopped it: captured at this.
    Ran(Micros),
    /// HeyGen's answer names a session the gateway stopped earlier (a
    /// retry's replay): a hold of the retry's own paid for nothing new and
    /// is released; the earlier attempt's hold, taken over, pays this.
    Replayed(Micros),
    /// The ledger had registered the session after all (its answer was
    /// lost): the session's own stop settled the hold, nothing is left.
    Settled,
}

/// Starts metering a session HeyGen accepted (see [`Opened`]).
pub(crate) async fn open(
    state: &AppState,
    start: Start<'_>,
    request: &[u8],
    answer: &[u8],
) -> Opened {
    let Start {
        kind,
        tenant,
        feature,
        rate,
        hold_id,
        media,
    } = start;
    // A token's session is not known yet: its row waits under the hold's
    // id until the session shows in HeyGen's list.
    let (session_id, row_state) = match kind {
        Kind::Token => (format!("token:{hold_id}"), "token"),
        _ => match session_id_in(answer) {
            Some(id) => (id, "live"),
            None => {
                no_session(state, tenant, hold_id, kind.as_str());
                return Opened::NoSession;
            }
        },
    };
    if let Some(stopped) = state.unregistered.get(&session_id) {
        return replayed(state, stopped).await;
    }
    let idle = super::idle::idle_seconds(state, kind, request, media);
    let now = state.clock.now().timestamp_micros();
    let row = SessionRow {
        session_id: session_id.clone(),
        tenant: tenant.to_string(),
        feature: feature.to_string(),
        kind: kind.as_str().to_string(),
        rate,
        idle_s: idle,
        started_us: now,
        last_activity_us: now,
        hold_id: hold_id.to_string(),
        slot_us: now,
        minutes: 1,
        captured: 0,
        state: row_state.to_string(),
        stop_reason: None,
        stopped_us: None,
        next_hold_id: None,
    };
    // Until the ledger has it (or it is kept as stopped), HeyGen's list
    // watcher must not take the session for a waiting token's.
    state.unregistered.starting(&session_id);
    let registered = state.ledger.open_session(&row).await;
    let failed = match registered {
        Ok(()) => None,
        // A retry's hold taken over from its lost attempt and captured by
        // expiry meanwhile is refused too; it cannot be this session's
        // minute either.
        Err(e) if kind == Kind::Token => {
            tracing::warn!(tenant, hold_id, error = %e,
                "The ledger could not record a streaming token; it is not handed out.");
            Some(Opened::Unmetered {
                owed: Owed::Nothing,
                error: unavailable(e),
            })
        }
        Err(e) => Some(not_registered(state, row, e).await),
    };
    state.unregistered.started(&session_id);
    if let Some(unmetered) = failed {
        return unmetered;
    }
    tracing::info!(
        tenant,
        session_id,
        kind = kind.as_str(),
        idle_s = idle,
        "Session metering started."
    );
    Opened::Metered
}

/// A session start HeyGen accepted whose answer names no session: the
/// session HeyGen made (if any) runs on the org's account with nothing to
/// meter it. Logged and counted (`heygen_gateway_sessions_unmetered_total`,
/// reason `no_session_id`), once per start.
pub(crate) fn no_session(state: &AppState, tenant: &str, hold_id: &str, kind: &str) {
    state.metrics.session_unmetered("no_session_id");
    tracing::warn!(tenant, hold_id, kind,
        "A session start was accepted but its answer names no session; it cannot be metered, and its first minute's hold is left to its TTL.");
}

/// The session id in a start answer (`data.session_id`, v3 `stream_id`).
fn session_id_in(answer: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(answer).ok()?;
    let d = v.get("data").unwrap_or(&v);
    ["session_id", "stream_id", "id"]
        .iter()
        .find_map(|k| d.get(*k).and_then(Value::as_str))
        .filter(|s| crate::pricing::jobs::safe_id(s))
        .map(str::to_string)
}
