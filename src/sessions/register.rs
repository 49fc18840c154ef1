//! Registering a session HeyGen accepted, so the meter sees it: the start
//! request's hold becomes its first minute.
//!
//! When the ledger will not take the session's row (PostgreSQL restarting,
//! SQLite busy, or a refusal), nothing would meter it: no next minute held,
//! no budget cut-off, no idle limit, and the client's stop would find no
//! row. Such a session is not left running at the org's expense: the
//! gateway stops it at HeyGen at once with the org key and fails the start
//! (503, as any costed request fails closed when the ledger cannot record
//! it), its first minute settled at what the time it ran costs. A token has
//! no session yet: it is simply not handed out, and its hold released.
//! Keeping the registration in memory and retrying it each tick was the
//! alternative; it would let the session run unbudgeted for as long as the
//! ledger stays away, unknown to other replicas and lost on a restart.
//!
//! The session stopped is remembered (`crate::unregistered_sessions`): a
//! stop HeyGen did not answer is resent each tick, and a v3 retry with the
//! same key, which HeyGen answers with that same stopped session, is
//! refused instead of being metered for a session that no longer runs.

use serde_json::Value;

use super::stop;
use super::{Kind, Start};
use crate::error::GatewayError;
use crate::ledger::{LedgerError, SessionRow};
use crate::money::Micros;
use crate::state::AppState;
use crate::unregistered_sessions::{Unregistered, KEEP_US};

/// What became of a session start HeyGen accepted.
pub(crate) enum Opened {
    /// Registered: metered from now, the start's hold its first minute.
    Metered,
    /// The answer names no session: the hold is settled as a plain request.
    NoSession,
    /// Not metered, so not left running (see the module doc): the start
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
    } = start;
    // A token's session is not known yet: its row waits under the hold's
    // id until the session shows in HeyGen's list.
    let (session_id, row_state) = match kind {
        Kind::Token => (format!("token:{hold_id}"), "token"),
        _ => match session_id_in(answer) {
            Some(id) => (id, "live"),
            None => return Opened::NoSession,
        },
    };
    if let Some(stopped) = state.unregistered.get(&session_id) {
        return replayed(state, stopped).await;
    }
    let idle = idle_seconds(state, kind, request);
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

/// The ledger would not register session `row`, which HeyGen (or
/// LiveAvatar) runs: stops it there now and remembers it; the start fails
/// with `e`, its hold paying the time the session ran (to the second for
/// streaming and realtime, per started minute for LiveAvatar). If HeyGen
/// does not answer the stop, the whole minute: the gateway cannot tell
/// when the session ended, and the stop is resent each tick.
pub(crate) async fn not_registered(state: &AppState, row: SessionRow, e: LedgerError) -> Opened {
    let now = state.clock.now().timestamp_micros();
    let stopped = stop::stop_upstream(state, &row, "unregistered").await;
    let owed = if stopped {
        let runtime = state.snapshot();
        stop::last_minute_cost(&runtime.config.pricing, &row, now).min(row.rate)
    } else {
        row.rate
    };
    tracing::error!(tenant = %row.tenant, session_id = %row.session_id, hold_id = %row.hold_id,
        stopped, owed = %crate::money::format_credits(owed), error = %e,
        "The ledger could not register a session; stopped it rather than leave it unmetered.");
    let seconds = (now - row.started_us).max(0) as f64 / 1e6;
    state
        .metrics
        .session_ended(&row.tenant, &row.feature, "unregistered", seconds);
    let kept = Unregistered {
        row,
        owed,
        at_us: now,
        stopped,
    };
    if !state.unregistered.keep(kept) {
        tracing::error!("Too many sessions stopped unregistered are remembered; this one is not.");
    }
    Opened::Unmetered {
        owed: Owed::Ran(owed),
        error: unavailable(e),
    }
}

/// The start's answer when the ledger would not register its session: 503
/// `ledger_unavailable`, whatever the ledger's reason (one by its own rules,
/// such as a first minute no longer open, reads as a refusal): the session
/// was stopped either way, and the client's way on is to start again.
fn unavailable(e: LedgerError) -> GatewayError {
    let source = match e {
        LedgerError::Unavailable(_)
        | LedgerError::Refused(_)
        | LedgerError::SchemaTooNew { .. } => e,
        other => LedgerError::Refused(other.to_string()),
    };
    GatewayError::ledger("sessions")(source)
}

/// HeyGen answered a start with a session the gateway stopped unregistered:
/// a v3 retry with the first attempt's key, which HeyGen answers with that
/// attempt's session. It no longer runs, so it is not metered; the client
/// must start a new session with a new key.
async fn replayed(state: &AppState, stopped: Unregistered) -> Opened {
    tracing::warn!(tenant = %stopped.row.tenant, session_id = %stopped.row.session_id,
        "A start was answered with a session the gateway stopped unregistered; refused.");
    if !stopped.stopped && stop::stop_upstream(state, &stopped.row, "unregistered").await {
        state.unregistered.stopped(&stopped.row.session_id);
    }
    Opened::Unmetered {
        owed: Owed::Replayed(stopped.owed),
        error: GatewayError::SessionNotMetered,
    }
}

/// Each tick: resends the stops HeyGen did not answer, and forgets
/// sessions past the replay window of a key.
pub(crate) async fn retry(state: &AppState) {
    for s in state.unregistered.to_stop() {
        if stop::stop_upstream(state, &s.row, "unregistered").await {
            state.unregistered.stopped(&s.row.session_id);
        }
    }
    let now = state.clock.now().timestamp_micros();
    state
        .unregistered
        .forget_before(now.saturating_sub(KEEP_US));
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

/// Idle limit: the body's `activity_idle_timeout` (HeyGen: 30-3600 s) for
/// streaming; HeyGen's 30 s for a v3 `text_stream`; else the configured one.
fn idle_seconds(state: &AppState, kind: Kind, request: &[u8]) -> i64 {
    let body: Value = serde_json::from_slice(request).unwrap_or(Value::Null);
    let configured = state.snapshot().config.settlement.session_idle.as_secs() as i64;
    match kind {
        Kind::Streaming | Kind::Token => body
            .get("activity_idle_timeout")
            .and_then(Value::as_i64)
            .map_or(configured, |s| s.clamp(30, 3600)),
        Kind::Realtime if body.get("type").and_then(Value::as_str) == Some("text_stream") => 30,
        Kind::Realtime => configured,
    }
}
