//! A session HeyGen accepted that the ledger would not register.
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
//!
//! A transient failure may hide a registration that committed (its
//! acknowledgement lost): the row is read again, and one found is ended
//! through the normal end path rather than left live on a first minute
//! the start's guard would capture under it.

use super::stop;
use super::{Opened, Owed};
use crate::error::GatewayError;
use crate::ledger::{LedgerError, SessionFilter, SessionRow};
use crate::money::Micros;
use crate::state::AppState;
use crate::unregistered_sessions::{Unregistered, KEEP_US};

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
        let book = super::price::book_of(state, &row).await;
        super::price::last_minute_cost(&book, &row, now).min(row.rate)
    } else {
        row.rate
    };
    if e.is_transient() {
        if let Some(opened) = registered_after_all(state, &row, now, (owed, stopped)).await {
            return unavailable_after(opened, e);
        }
    }
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

/// A transient failure may be a commit whose acknowledgement was lost
/// (PostgreSQL's connection dropping at the commit): the row would then be
/// live on a first minute the start's guard is about to capture, and the
/// meter would find that minute settled under it. So the row is read
/// again; if it is there, the session is ended through the normal end path
/// (charged to the second, reason `unregistered`) and remembered as
/// stopped. `None` when there is no such row or it cannot be read.
async fn registered_after_all(
    state: &AppState,
    row: &SessionRow,
    now: i64,
    (owed, stopped): (Micros, bool),
) -> Option<Owed> {
    let rows = state
        .ledger
        .sessions(SessionFilter::One(&row.session_id))
        .await
        .ok()?;
    let live = rows
        .into_iter()
        .find(|s| s.is_live() && s.hold_id == row.hold_id)?;
    tracing::warn!(tenant = %row.tenant, session_id = %row.session_id,
        "The ledger registered a session whose registration seemed to fail; ending it.");
    // A stop HeyGen did not answer is kept and resent by `close`.
    stop::close(state, &live, now, "unregistered", !stopped).await;
    let kept = Unregistered {
        row: live,
        owed,
        at_us: now,
        stopped: true,
    };
    if !state.unregistered.keep(kept) {
        tracing::error!("Too many sessions stopped unregistered are remembered; this one is not.");
    }
    Some(Owed::Settled)
}

fn unavailable_after(owed: Owed, e: LedgerError) -> Opened {
    Opened::Unmetered {
        owed,
        error: unavailable(e),
    }
}

/// The start's answer when the ledger would not register its session: 503
/// `ledger_unavailable`, whatever the ledger's reason (one by its own rules,
/// such as a first minute no longer open, reads as a refusal): the session
/// was stopped either way, and the client's way on is to start again.
pub(super) fn unavailable(e: LedgerError) -> GatewayError {
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
pub(super) async fn replayed(state: &AppState, stopped: Unregistered) -> Opened {
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
