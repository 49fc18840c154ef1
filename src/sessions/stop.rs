//! The end of a session: a client's stop, and every stop the meter makes
//! (idle, budget, `max_session_duration`, HeyGen ending it, tenant
//! removed). A stop settles the session in one ledger transaction that
//! compare-and-sets on the current minute's hold, so of two callers ending
//! one session only one charges it.

use crate::ledger::{SessionFilter, SessionRow, Settlement};
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
