//! Stops the ledger failed to record. A stop settles the session in one
//! ledger transaction; when that fails (PostgreSQL restarting, SQLite
//! busy), dropping the stop would leave the session live in the ledger and
//! metered minute after minute until HeyGen's list or the idle limit ended
//! it, though it stopped at the stop's time: the tenant would be
//! overcharged. So the stop is kept (in `AppState::deferred_stops`, one per
//! session) and each meter tick first retries the stops kept, each at the
//! time its session stopped, before it meters any session; a session whose
//! stop is still kept is not metered further. The set is in memory only: a
//! restart loses it, and such a session is then ended by the idle limit or
//! HeyGen's list, as before.
//!
//! The same set keeps the gateway's own stops (idle, budget, …) that the
//! ledger recorded but HeyGen did not confirm: the session is charged to
//! its stop and no longer metered, so left running at HeyGen it would run
//! on the org's account. Each tick sends such a stop again until HeyGen
//! answers it (a 4xx too: the session is gone), for at most
//! [`UNCONFIRMED_RETRY_US`]. Unlike a stop the ledger failed to record,
//! this one is in the ledger, so it is marked there too (`UnconfirmedStops`)
//! and a process starting (after a deploy or a crash) loads the recent
//! marks before its first retry: the stop is sent again however often the
//! gateway restarts. Every replica starting loads them all; sending a stop
//! twice is harmless, and clearing a mark cleared already does nothing.

use crate::deferred_stops::{Deferred, DeferredStop, MAX_DEFERRED};
use crate::ledger::{SessionFilter, SessionRow};
use crate::state::AppState;

/// How long after a session's stop the gateway keeps sending a stop HeyGen
/// did not confirm: past HeyGen's longest idle timeout (3600 s), HeyGen
/// has ended the session itself.
const UNCONFIRMED_RETRY_US: i64 = 3600 * 1_000_000;

/// The stop of session `s` at `end_us`, as it is kept if it fails.
pub(super) fn stop_of(s: &SessionRow, end_us: i64, reason: &str, upstream: bool) -> DeferredStop {
    DeferredStop {
        session_id: s.session_id.clone(),
        tenant: Some(s.tenant.clone()),
        end_us,
        reason: reason.to_string(),
        upstream,
    }
}

/// Keeps a stop whose ledger transaction failed, for the next tick.
pub(super) fn defer(state: &AppState, stop: DeferredStop) {
    // No tenant when the stop could not read the session at all.
    let tenant = stop.tenant.clone().unwrap_or_else(|| "(not read)".into());
    let (session_id, reason, end_us) = (stop.session_id.clone(), stop.reason.clone(), stop.end_us);
    match state.deferred_stops.defer(stop) {
        // Logged once per session: the retries that fail again are counted
        // as ledger errors, not logged here again.
        Deferred::New => tracing::warn!(%tenant, %session_id, %reason, end_us,
            "The ledger could not record a session's stop; the next tick settles it as of then."),
        Deferred::Merged => {}
        Deferred::Full => tracing::error!(%tenant, %session_id, %reason, end_us,
            "Too many session stops wait for the ledger; this one is dropped."),
    }
}

/// Keeps a stop the ledger recorded but HeyGen did not confirm, for the
/// next tick to send again, and marks it in the ledger for a process that
/// starts before HeyGen confirms it. A mark that fails is counted and the
/// stop kept all the same: this process still sends it, only a restart
/// would forget it, as before marks existed.
pub(super) async fn unconfirmed(state: &AppState, stop: DeferredStop) {
    let now = state.clock.now().timestamp_micros();
    let marked = state
        .ledger
        .mark_stop_unconfirmed(&stop.session_id, now)
        .await;
    if let Err(e) = marked {
        state.note_ledger_error("sessions", &e);
    }
    let tenant = stop.tenant.clone().unwrap_or_default();
    let (session_id, reason) = (stop.session_id.clone(), stop.reason.clone());
    match state.deferred_stops.defer(stop) {
        Deferred::New => tracing::warn!(%tenant, %session_id, %reason,
            "HeyGen did not confirm the gateway's stop of a session; each tick sends it again."),
        Deferred::Merged => {}
        Deferred::Full => tracing::error!(%tenant, %session_id, %reason,
            "Too many session stops wait; this process does not send this one to HeyGen again."),
    }
}

/// Once per process, before its first retry: the stops HeyGen had not
/// confirmed within [`UNCONFIRMED_RETRY_US`] (marked by an earlier process,
/// or by another replica still sending them), kept as this process's own.
/// A read that fails is counted and tried again next tick.
async fn load_unconfirmed(state: &AppState) {
    if state.deferred_stops.loaded() {
        return;
    }
    let since = state.clock.now().timestamp_micros() - UNCONFIRMED_RETRY_US;
    let limit = u32::try_from(MAX_DEFERRED).unwrap_or(u32::MAX);
    let rows = match state.ledger.unconfirmed_stops(since, limit).await {
        Ok(rows) => rows,
        Err(e) => return state.note_ledger_error("sessions", &e),
    };
    state.deferred_stops.set_loaded();
    let mut kept = 0;
    for s in &rows {
        // Every stopped row has its stop's time and reason. The retry
        // gives up counting from that time, as for a stop made here.
        let (Some(end_us), Some(reason)) = (s.stopped_us, s.stop_reason.as_deref()) else {
            continue;
        };
        if state.deferred_stops.defer(stop_of(s, end_us, reason, true)) == Deferred::New {
            kept += 1;
        }
    }
    if kept > 0 {
        tracing::warn!(sessions = kept,
            "Stops of sessions HeyGen had not confirmed before this process started; each tick sends them again.");
    }
}

/// After a stop ended session `s` (`charged` in all): a stop kept for it
/// is done, and if one was kept, that it finally settled is logged.
pub(super) fn settled(state: &AppState, s: &SessionRow, charged: i64) {
    if let Some(stop) = state.deferred_stops.remove(&s.session_id) {
        tracing::info!(tenant = %s.tenant, session_id = %s.session_id, reason = %stop.reason,
            end_us = stop.end_us, charged = %crate::money::format_credits(charged),
            "A session stop the ledger had failed to record is settled.");
    }
}

/// The session's stop has nothing left to do: someone else ended it (and
/// charged it), or it was a budget stop judged on a minute that moved on.
pub(super) fn forget(state: &AppState, session_id: &str) {
    if let Some(stop) = state.deferred_stops.remove(session_id) {
        tracing::info!(session_id, reason = %stop.reason,
            "A deferred session stop is dropped: the session was ended otherwise.");
    }
}

/// Retries every stop kept, each at its own end time (the tenant pays to
/// the second of the stop, not of the retry). A stop that fails again stays
/// kept; one whose session is no longer live is dropped, since whoever ended
/// it charged it — once HeyGen confirmed it, when the gateway must stop the
/// session there.
pub(crate) async fn retry(state: &AppState) {
    load_unconfirmed(state).await;
    for stop in state.deferred_stops.all() {
        let rows = match state
            .ledger
            .sessions(SessionFilter::One(&stop.session_id))
            .await
        {
            Ok(rows) => rows,
            // The ledger is what fails, not this stop: the others would
            // fail alike, and the next tick tries them all again.
            Err(e) => return state.note_ledger_error("sessions", &e),
        };
        let live = rows.iter().find(|s| s.is_live());
        match (live, rows.first()) {
            (Some(s), _) => {
                super::stop::close(state, s, stop.end_us, &stop.reason, stop.upstream).await;
            }
            (None, Some(s)) if stop.upstream => stop_again(state, s, &stop).await,
            _ => forget(state, &stop.session_id),
        }
    }
}

/// Sends the gateway's stop of ended session `s` to HeyGen again; drops
/// the kept stop (and its mark) once HeyGen answers it, or when it is too
/// old to matter.
async fn stop_again(state: &AppState, s: &SessionRow, stop: &DeferredStop) {
    if super::stop::stop_upstream(state, s, &stop.reason).await {
        done(state, s).await;
        tracing::info!(tenant = %s.tenant, session_id = %s.session_id, reason = %stop.reason,
            "The gateway's stop of a session is confirmed by HeyGen.");
        return;
    }
    let now = state.clock.now().timestamp_micros();
    if now - stop.end_us > UNCONFIRMED_RETRY_US {
        done(state, s).await;
        tracing::error!(tenant = %s.tenant, session_id = %s.session_id, reason = %stop.reason,
            "HeyGen never confirmed the gateway's stop of a session; no longer sent.");
    }
}

/// Stops sending session `s`'s stop, here and after a restart. A mark the
/// ledger fails to clear is counted and left: a process starting within
/// the window sends the stop once more, which is harmless.
async fn done(state: &AppState, s: &SessionRow) {
    state.deferred_stops.remove(&s.session_id);
    if let Err(e) = state.ledger.clear_stop_unconfirmed(&s.session_id).await {
        state.note_ledger_error("sessions", &e);
    }
}

#[cfg(test)]
#[path = "pending_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "pending_heygen_tests.rs"]
mod heygen_tests;

#[cfg(test)]
#[path = "pending_restart_tests.rs"]
mod restart_tests;
