//! The end of a session: a client's stop, and every stop the meter makes
//! (idle, budget, `max_session_duration`, HeyGen ending it, tenant removed).
//!
//! A stop settles the session in one ledger transaction that compare-and-
//! sets on the current minute's hold, read just before. The meter's
//! minute-end capture (this replica's tick or another's) may move the
//! session on to its next minute in between; the stop then finds it moved.
//! Dropping the stop there would leave the session metered until HeyGen's
//! list or the idle limit ended it, so the stop reads the session again and
//! settles against its new current minute: what it owes is priced from the
//! re-read row (its `captured` includes the minute just captured), so
//! nothing is charged twice. It gives up when someone else ended the
//! session, and does not carry a budget stop over to the new minute.
//!
//! A stop whose ledger transaction fails (the ledger unavailable) is not
//! dropped either (the session would go on being metered after it
//! stopped): it is deferred ([`super::pending`]) and the next tick settles
//! it at the time the session stopped; one the gateway makes is sent to
//! HeyGen at once. Any later stop of that session settles at the deferred
//! one's time too, whichever gets through to the ledger first. A stop the
//! gateway makes that HeyGen does not confirm is kept the same way (and
//! marked in the ledger, for a restart), and sent again each tick until
//! HeyGen answers it.

use super::pending;
use super::price::last_minute_cost;
use crate::deferred_stops::DeferredStop;
use crate::ledger::{LedgerError, SessionFilter, SessionRow, Settlement};
use crate::metrics::CreditKind;
use crate::state::AppState;

pub(super) const MINUTE_US: i64 = 60_000_000;

/// Ends a live session now (a client's stop).
pub(crate) async fn end(state: &AppState, session_id: &str, reason: &str) {
    let now = state.clock.now().timestamp_micros();
    match state.ledger.sessions(SessionFilter::One(session_id)).await {
        Ok(rows) => {
            for s in rows.into_iter().filter(SessionRow::is_live) {
                close(state, &s, now, reason, false).await;
            }
        }
        Err(e) => {
            state.note_ledger_error("sessions", &e);
            if !e.is_transient() {
                return;
            }
            // The session may well be live: the next tick reads it again
            // and, if it is, ends it as of now.
            let stop = DeferredStop {
                session_id: session_id.to_string(),
                tenant: None,
                end_us: now,
                reason: reason.to_string(),
                upstream: false,
            };
            pending::defer(state, stop);
        }
    }
}

/// Stops a session at `end_us`: marks it (compare-and-set), captures the
/// current minute to the second (releasing a minute held ahead it did not
/// reach), and stops it upstream when the gateway ended it. A stop of the
/// session deferred earlier ended it first, so it settles at that stop's
/// time and reason instead. When the ledger is unavailable the stop is
/// deferred (a gateway's stop still goes to HeyGen now); when it refuses
/// the stop, the session is left to the meter.
pub(super) async fn close(
    state: &AppState,
    s: &SessionRow,
    end_us: i64,
    reason: &str,
    upstream: bool,
) {
    // A stop kept earlier has ended the session already (and stopped it at
    // HeyGen, if it was the gateway's): it is settled whatever the minute
    // is by now, budget stops included.
    let kept = state.deferred_stops.contains(&s.session_id);
    let stop = pending::stop_of(s, end_us, reason, upstream);
    let stop = state.deferred_stops.first(stop);
    let (end_us, reason) = (stop.end_us, stop.reason.as_str());
    let (s, settled) = match settle(state, s, end_us, reason, kept).await {
        Settle::Ended(ended) => *ended,
        Settle::Gone => return pending::forget(state, &s.session_id),
        Settle::Failed { transient: false } => {
            // Retrying would fail alike, and a kept stop takes the session
            // off the meter: leave it to the meter, as before stops were kept.
            tracing::error!(tenant = %s.tenant, session_id = %s.session_id, reason,
                "The ledger refused a session's stop; left to the meter to end.");
            return pending::forget(state, &s.session_id);
        }
        Settle::Failed { transient: true } => {
            // The session ends now for the tenant, who pays to `end_us`; one
            // the gateway stops must not run on at HeyGen, at the org's
            // expense, until the ledger is back. Stopping it twice is
            // harmless, so a stop HeyGen did not answer (an outage often
            // shared with the ledger's) is sent again when the stop settles.
            let upstream = stop.upstream && !stop_upstream(state, s, reason).await;
            return pending::defer(state, DeferredStop { upstream, ..stop });
        }
    };
    count(state, &s, &settled);
    let seconds = (end_us - s.started_us).max(0) as f64 / 1e6;
    state
        .metrics
        .session_ended(&s.tenant, &s.feature, reason, seconds);
    let charged = s.captured.saturating_add(settled.captured);
    tracing::info!(tenant = %s.tenant, session_id = %s.session_id, reason, seconds,
        charged = %crate::money::format_credits(charged), "Session ended.");
    pending::settled(state, &s, charged);
    // Ended here, charged to `end_us`: left running at HeyGen it would run
    // on the org, and the ledger no longer meters it. So a stop HeyGen did
    // not confirm is kept and sent again each tick until it does.
    if stop.upstream && !stop_upstream(state, &s, reason).await {
        pending::unconfirmed(state, pending::stop_of(&s, end_us, reason, true)).await;
    }
    // Only the caller whose compare-and-set ended the session gets here,
    // and the alert's key is the session: one alert per session.
    if reason == "budget" {
        state.alerts.session_stopped(&s.tenant, &s.session_id).await;
    }
}

/// How a stop's ledger transaction went.
enum Settle {
    /// The stop ended the session: the row it settled against (the one
    /// whose `captured` the charge was priced from) and what it settled.
    Ended(Box<(SessionRow, Settlement)>),
    /// Another caller ended the session, a budget stop found it moved on,
    /// or it kept moving on: the stop has nothing left to do.
    Gone,
    /// The ledger failed: the session is still live as far as it knows.
    /// `transient`: unavailable, so a later retry may succeed.
    Failed { transient: bool },
}

fn failed(state: &AppState, e: &LedgerError) -> Settle {
    state.note_ledger_error("sessions", e);
    Settle::Failed {
        transient: e.is_transient(),
    }
}

/// Ends the session in the ledger, re-reading it each time the meter's
/// minute-end capture moved it on first. `stopped`: the session is already
/// over (a kept stop), so a budget stop is settled on the new minute too.
async fn settle(
    state: &AppState,
    s: &SessionRow,
    end_us: i64,
    reason: &str,
    stopped: bool,
) -> Settle {
    // Every minute of a session is held at its first minute's price
    // version, so the book read here stays the session's on a re-read.
    let book = super::price::book_of(state, s).await;
    let mut s = s.clone();
    let first_slot = s.slot_us;
    let mut lost = 0;
    loop {
        let cost = last_minute_cost(&book, &s, end_us);
        let ended = state
            .ledger
            .end_session(&s.session_id, &s.hold_id, reason, end_us, cost)
            .await;
        match ended {
            Ok(Some(settled)) => return Settle::Ended(Box::new((s, settled))),
            Ok(None) => {}
            Err(e) => return failed(state, &e),
        }
        // A budget stop not yet made was judged on the minute that has since
        // moved on (whoever moved it held the next one within the budget):
        // the next tick judges the session's new minute instead.
        if reason == "budget" && !stopped {
            return Settle::Gone;
        }
        let rows = match state
            .ledger
            .sessions(SessionFilter::One(&s.session_id))
            .await
        {
            Ok(rows) => rows,
            Err(e) => return failed(state, &e),
        };
        // Not live: another stop (or the meter) ended it and charged it.
        let Some(live) = rows.into_iter().find(SessionRow::is_live) else {
            return Settle::Gone;
        };
        s = live;
        lost += 1;
        let now = state.clock.now().timestamp_micros();
        if lost > losses_allowed(first_slot, now) {
            tracing::error!(tenant = %s.tenant, session_id = %s.session_id, reason, lost,
                "A session kept moving on under its stop; left to the meter to end.");
            return Settle::Gone;
        }
        tracing::debug!(session_id = %s.session_id, reason,
            "The session moved on to its next minute under the stop; stopping it there.");
    }
}

/// How often a stop may find the session moved on before it gives up. Each
/// time is a minute-end capture that committed first, and the meter
/// captures a minute only once it has ended, so a session read on the
/// minute from `slot_us` moves on at most once per minute ended since; one
/// more for a minute ending while the stop retries, one for another
/// replica's clock running a little ahead. Past that something is wrong,
/// and looping on would not fix it.
fn losses_allowed(slot_us: i64, now_us: i64) -> i64 {
    (now_us - slot_us).div_euclid(MINUTE_US).max(0) + 2
}

/// Counts what ending a minute's hold captured and released.
pub(super) fn count(state: &AppState, s: &SessionRow, settled: &Settlement) {
    let m = &state.metrics;
    m.credits(
        CreditKind::Captured,
        &s.tenant,
        &s.feature,
        settled.captured,
    );
    m.credits(
        CreditKind::Released,
        &s.tenant,
        &s.feature,
        settled.released,
    );
}

/// Stops the session at HeyGen with the org key (LiveAvatar's with its own).
/// Whether HeyGen answered it (a 4xx too: the session is gone or was never
/// there); a 5xx or no answer may have left it running.
pub(super) async fn stop_upstream(state: &AppState, s: &SessionRow, reason: &str) -> bool {
    if s.kind == super::liveavatar::KIND {
        return super::liveavatar::stop_upstream(state, s, reason).await;
    }
    let id = &s.session_id;
    let call = match s.kind.as_str() {
        "realtime" => (
            http::Method::DELETE,
            format!("/v3/avatar-realtime/{id}"),
            None,
        ),
        _ => (
            http::Method::POST,
            "/v1/streaming.stop".to_string(),
            Some(bytes::Bytes::from(
                serde_json::json!({ "session_id": id }).to_string(),
            )),
        ),
    };
    match state.upstream.call_json(call.0, &call.1, call.2).await {
        Ok((status, _)) if status < 300 => {
            tracing::info!(session_id = %id, "Session stopped at HeyGen.");
            true
        }
        Ok((status, _)) => {
            tracing::warn!(session_id = %id, status, "HeyGen refused to stop the session.");
            refusal_is_final(status)
        }
        Err(e) => {
            tracing::warn!(session_id = %id, error = %e, "Stopping the session at HeyGen failed.");
            false
        }
    }
}

/// Whether HeyGen's non-2xx answer to the gateway's own stop settles it
/// (a 4xx such as "not found": the session is gone or never will stop
/// this way) or leaves it to be sent again: a 5xx, and a 429 or 408, which
/// say "not now", not "no" — the session may still be running.
pub(super) fn refusal_is_final(status: u16) -> bool {
    status < 500 && status != 429 && status != 408
}

#[cfg(test)]
#[path = "stop_tests.rs"]
mod tests;
