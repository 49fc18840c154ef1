//! The metering timer and the end of a session.
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
//! gateway was down is charged for that time.

use crate::config::Config;
use crate::ledger::{HoldRequest, NextMinute, SessionFilter, SessionRow, Settlement};
use crate::metrics::CreditKind;
use crate::state::AppState;

const MINUTE_US: i64 = 60_000_000;
/// Minutes one tick may catch up for one session (after a long downtime).
const MAX_CATCH_UP: usize = 120;

/// One metering pass over every live session.
pub(crate) async fn tick(state: &AppState) {
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
        if meter(state, &cfg, s.clone(), lead, now).await {
            if let Some(n) = live.iter_mut().find(|(t, _)| *t == s.tenant) {
                n.1 += 1;
            }
        }
    }
    let per_tenant: Vec<(&str, i64)> = live.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    state.metrics.sessions_live(&per_tenant);
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

/// Ends a live session now (a client's stop).
pub(crate) async fn end(state: &AppState, session_id: &str, reason: &str) {
    let now = state.clock.now().timestamp_micros();
    match state.ledger.sessions(SessionFilter::One(session_id)).await {
        Ok(rows) => {
            for s in rows.into_iter().filter(SessionRow::is_live) {
                close(state, &s, now, reason, false).await;
            }
        }
        Err(e) => state.note_ledger_error("sessions", &e),
    }
}

/// What the session owes beyond its captured minutes when it ends at
/// `end_us`: the price book's cost of the whole session (its rounding and
/// minimum, e.g. streaming's 30 s minimum then per second) less what the
/// earlier minutes captured. The ledger charges it to the current minute
/// and, past that minute's end, to the one held ahead; past that too (the
/// gateway was down) it keeps counting, recorded as overage rather than
/// lost. Without a price, the minute's rate per second.
pub(super) fn last_minute_cost(
    book: &crate::pricing::PriceBook,
    s: &SessionRow,
    end_us: i64,
) -> i64 {
    let gen = match s.kind.as_str() {
        "realtime" => crate::pricing::Generation::V3,
        _ => crate::pricing::Generation::Legacy,
    };
    let ms = u64::try_from(end_us - s.started_us)
        .unwrap_or(0)
        .div_ceil(1000);
    let total = crate::pricing::settle_cost_in(book, &s.feature, gen, ms).unwrap_or_else(|| {
        let rate = u128::try_from(s.rate).unwrap_or(0);
        i64::try_from((rate * u128::from(ms)).div_ceil(60_000)).unwrap_or(i64::MAX)
    });
    total.saturating_sub(s.captured).max(0)
}

/// Stops a session at `end_us`: marks it (compare-and-set), captures the
/// current minute to the second (releasing a minute held ahead it did not
/// reach), and stops it upstream when the gateway ended it.
pub(super) async fn close(
    state: &AppState,
    s: &SessionRow,
    end_us: i64,
    reason: &str,
    upstream: bool,
) {
    let cost = last_minute_cost(&state.snapshot().config.pricing, s, end_us);
    let settled = match state
        .ledger
        .end_session(&s.session_id, &s.hold_id, reason, end_us, cost)
        .await
    {
        Ok(Some(settled)) => settled,
        Ok(None) => return,
        Err(e) => return state.note_ledger_error("sessions", &e),
    };
    count(state, s, &settled);
    let seconds = (end_us - s.started_us).max(0) as f64 / 1e6;
    state
        .metrics
        .session_ended(&s.tenant, &s.feature, reason, seconds);
    tracing::info!(tenant = %s.tenant, session_id = %s.session_id, reason, seconds,
        charged = %crate::money::format_credits(s.captured.saturating_add(settled.captured)),
        "Session ended.");
    if upstream {
        stop_upstream(state, s, reason).await;
    }
    // Only the caller whose compare-and-set ended the session gets here,
    // and the alert's key is the session: one alert per session.
    if reason == "budget" {
        state.alerts.session_stopped(&s.tenant, &s.session_id).await;
    }
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
async fn stop_upstream(state: &AppState, s: &SessionRow, reason: &str) {
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
            tracing::info!(session_id = %id, "Session stopped at HeyGen.")
        }
        Ok((status, _)) => {
            tracing::warn!(session_id = %id, status, "HeyGen refused to stop the session.")
        }
        Err(e) => {
            tracing::warn!(session_id = %id, error = %e, "Stopping the session at HeyGen failed.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(kind: &str, feature: &str, rate: i64) -> SessionRow {
        SessionRow {
            session_id: "s".into(),
            tenant: "t".into(),
            feature: feature.into(),
            kind: kind.into(),
            rate,
            idle_s: 120,
            started_us: 0,
            last_activity_us: 0,
            hold_id: "h".into(),
            slot_us: 0,
            minutes: 1,
            captured: 0,
            state: "live".into(),
            stop_reason: None,
            stopped_us: None,
            next_hold_id: None,
        }
    }

    #[test]
    fn the_session_is_charged_as_the_price_book_rounds_it() {
        let book = crate::pricing::PriceBook::builtin();
        // Streaming: 0.2 credits/min, 30 s minimum, then per second.
        let mut s = session("streaming", "streaming", 200_000);
        assert_eq!(
            last_minute_cost(&book, &s, 10_000_000),
            100_000,
            "30 s minimum"
        );
        assert_eq!(last_minute_cost(&book, &s, 45_000_000), 150_000);
        // 3 min 10 s with three minutes captured: 10 s more.
        s.captured = 600_000;
        s.slot_us = 180_000_000;
        assert_eq!(last_minute_cost(&book, &s, 190_000_000), 33_334);
        // Realtime (v3): 3 credits/min per second; a started second counts.
        let r = session("realtime", "avatar_realtime", 3_000_000);
        assert_eq!(last_minute_cost(&book, &r, 9_000_001), 500_000);
        // Unknown feature: the minute's rate per second.
        let u = session("streaming", "nope", 60_000_000);
        assert_eq!(
            last_minute_cost(&book, &u, 90_000_000),
            90_000_000,
            "downtime keeps counting"
        );
    }
}
