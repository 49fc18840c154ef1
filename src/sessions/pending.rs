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

use crate::deferred_stops::{Deferred, DeferredStop};
use crate::ledger::{SessionFilter, SessionRow};
use crate::state::AppState;

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
/// it charged it.
pub(crate) async fn retry(state: &AppState) {
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
        match rows.into_iter().find(SessionRow::is_live) {
            Some(s) => {
                super::stop::close(state, &s, stop.end_us, &stop.reason, stop.upstream).await;
            }
            None => forget(state, &stop.session_id),
        }
    }
}

#[cfg(test)]
#[path = "pending_tests.rs"]
mod tests;
