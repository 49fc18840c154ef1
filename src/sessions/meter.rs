//! The metering timer (ending a session, whoever ends it, is `stop`).
//!
//! Each tick, for every live session: past its idle limit → stopped
//! upstream and captured to the idle deadline; within two ticks of its
//! current minute's end → the next minute is held (budget-checked like any
//! request), so the session never runs a moment unheld; once the current
//! minute has ended → it is captured whole and the session moves on. The
//! capture waits for the end so that a stop in between (the tenant's, the
//! idle limit, HeyGen ending it) pays the current minute to the second and
//! releases the minute held ahead. Each step is one ledger transaction that
//! first locks the session on its current minute (and on the minute held
//! ahead), so two replicas never both do it and a crash leaves either all
//! or nothing. Refused: the session is stopped upstream and captured to the
//! second (stop and capture are one transaction too). After downtime the
//! gateway catches up minute by minute, so a session that ran while the
//! gateway was down is charged for that time. A stop that lands between a
//! read of the session and its minute-end capture settles against the
//! minute the capture moved it on to (`stop::close`). A stop the ledger
//! failed to record is retried first, and its session not metered on
//! (`pending`).

use super::stop::{close, MINUTE_US};
use crate::config::Config;
use crate::ledger::{HoldRequest, NextMinute, SessionFilter, SessionRow, Settlement, STOP_SETTLED};
use crate::metrics::CreditKind;
use crate::state::AppState;

/// Minutes one tick may catch up for one session (after a long downtime).
const MAX_CATCH_UP: usize = 120;

/// One metering pass over every live session.
pub(crate) async fn tick(state: &AppState) {
    // Stops the ledger failed to record come first: each ended its session
    // before anything this tick would do to it, so it settles first.
    super::retry_kept_stops(state).await;
    let cfg = state.snapshot().config.clone();
    // The time is read before the sessions: a row read after it holds every
    // activity up to it, so a keep-alive recorded while this tick reads (or
    // while it asks HeyGen for token sessions) cannot be judged against a
    // later clock and end a live session as idle.
    let now = state.clock.now().timestamp_micros();
    let rows = match state.ledger.sessions(SessionFilter::Live).await {
        Ok(r) => r,
        Err(e) => return state.note_ledger_error("sessions", &e),
    };
    let rows = super::tokens::watch(state, rows).await;
    let lead = 2 * i64::try_from(cfg.settlement.session_tick.as_micros()).unwrap_or(MINUTE_US);
    let mut live: Vec<(String, i64)> = cfg.tenants.iter().map(|t| (t.id.clone(), 0)).collect();
    for s in rows {
        // Its stop still waits for the ledger: another minute held would
        // be time after the stop. The next tick settles the stop first.
        if state.deferred_stops.contains(&s.session_id) {
            continue;
        }
        if meter(state, &cfg, s.clone(), lead, now).await {
            if let Some(n) = live.iter_mut().find(|(t, _)| *t == s.tenant) {
                n.1 += 1;
            }
        }
    }
    let per_tenant: Vec<(&str, i64)> = live.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    state.metrics.sessions_live(&per_tenant);
    // Counted only here, once every live session was judged at `now`: a
    // flat counter means nothing meters this replica's sessions, and a
    // reader that saw it move twice knows a whole pass began after it looked.
    state.metrics.session_meter_tick();
}

/// Meters one session at `now` (µs); `true` while it stays live.
async fn meter(state: &AppState, cfg: &Config, mut s: SessionRow, lead: i64, now: i64) -> bool {
    let idle_end = s.last_activity_us + s.idle_s * 1_000_000;
    // A token's session talks to HeyGen directly: its end comes from
    // HeyGen's list (`tokens::watch`), not from activity here.
    if s.kind != "token" && now >= idle_end {
        close(state, &s, idle_end.max(s.slot_us), "idle", true).await;
        return false;
    }
    // LiveAvatar's `max_session_duration` bounds what is metered.
    if let Some(max_end) = super::liveavatar::max_end(state, &s).await {
        if now >= max_end {
            close(state, &s, max_end.max(s.slot_us), "max_duration", true).await;
            return false;
        }
    }
    for _ in 0..MAX_CATCH_UP {
        let slot_end = s.slot_us + MINUTE_US;
        // Not yet within two ticks of the minute's end, or the next minute
        // is held and this one has not ended: nothing to do this tick.
        if now + lead < slot_end || (s.next_hold_id.is_some() && now < slot_end) {
            return true;
        }
        let Some(tenant) = cfg.tenant(&s.tenant).filter(|t| t.enabled) else {
            close(state, &s, now, "tenant_removed", true).await;
            return false;
        };
        let req = HoldRequest {
            route: format!("session {}", s.kind),
            request_id: s.session_id.clone(),
            ..HoldRequest::for_tenant(cfg, tenant, &s.feature, s.rate, state.clock.now())
        };
        match state
            .ledger
            .next_session_minute(s.minute(), req, slot_end, now)
            .await
        {
            Ok(NextMinute::Held { hold_id, ended }) => {
                let m = &state.metrics;
                if s.next_hold_id.is_none() {
                    m.credits(CreditKind::Held, &s.tenant, &s.feature, s.rate);
                    s.minutes += 1;
                }
                let Some(ended) = ended else {
                    // Held ahead; the current minute runs to its end.
                    s.next_hold_id = Some(hold_id);
                    continue;
                };
                m.credits(CreditKind::Captured, &s.tenant, &s.feature, ended.captured);
                s.hold_id = hold_id;
                s.next_hold_id = None;
                s.slot_us = slot_end;
                s.captured = s.captured.saturating_add(ended.captured);
            }
            Ok(NextMinute::Refused(_)) => {
                tracing::warn!(tenant = %s.tenant, session_id = %s.session_id,
                    "The next minute of a session does not fit the budget; stopping it.");
                close(state, &s, now, "budget", true).await;
                return false;
            }
            // Another replica moved it on (or it stopped): its tick meters it.
            Ok(NextMinute::Moved) => return true,
            Ok(NextMinute::Settled(settled)) => {
                settled_elsewhere(state, &s, &settled, now).await;
                return false;
            }
            // Fail closed on money, but a ledger outage is no reason to cut
            // a session: the current minute stays held, the next tick retries.
            Err(e) => {
                state.note_ledger_error("sessions", &e);
                return true;
            }
        }
    }
    true
}

/// Session `s`, whose current minute's hold was settled elsewhere (say
/// captured by a start whose registration seemed to fail though its row
/// was committed), was stopped by the ledger, the minute held ahead
/// released. Nothing meters it any more, so it is stopped at HeyGen too
/// (again, if that start stopped it already: harmless), and a stop HeyGen
/// does not confirm is kept and resent like any of the gateway's own.
async fn settled_elsewhere(state: &AppState, s: &SessionRow, settled: &Settlement, now: i64) {
    super::stop::count(state, s, settled);
    tracing::warn!(tenant = %s.tenant, session_id = %s.session_id, hold_id = %s.hold_id,
        released = %crate::money::format_credits(settled.released),
        "A live session's current minute was settled elsewhere; the session is stopped.");
    let seconds = (now - s.started_us).max(0) as f64 / 1e6;
    state
        .metrics
        .session_ended(&s.tenant, &s.feature, STOP_SETTLED, seconds);
    if !super::stop::stop_upstream(state, s, STOP_SETTLED).await {
        let stop = super::pending::stop_of(s, now, STOP_SETTLED, true);
        super::pending::unconfirmed(state, stop).await;
    }
}

#[cfg(test)]
#[path = "settled_tests.rs"]
mod settled_tests;

#[cfg(test)]
#[path = "meter_count_tests.rs"]
mod count_tests;
