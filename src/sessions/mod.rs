//! Live sessions metered as they run (legacy `/v1/streaming.*` and v3
//! `/v3/avatar-realtime`). HeyGen bills interactive sessions by the minute
//! while they live and reports no length afterwards, so the gateway meters
//! them itself: the start request's hold pays the first minute; a timer
//! ([`meter::tick`]) holds each next minute before the current one ends
//! (capturing the one that ended), and when the next minute does not fit
//! the tenant's or the org's budget, or the session went idle, stops it
//! upstream with the org key and captures the last minute to the second.
//! A client's own stop captures to the second too ([`stop`]). Calls on a
//! session the gateway stopped for budget are refused with 402.
//!
//! State lives in the ledger's `sessions` table (both backends), so a
//! restart resumes metering; each minute is a ledger hold, so budgets,
//! windows, journal and audit see sessions like any other spend. The
//! request pipeline calls this module; it never calls the pipeline.

pub(crate) mod liveavatar;
pub(crate) mod meter;
mod pending;
pub(crate) use pending::retry as retry_deferred_stops;
pub(crate) mod stop;
#[cfg(test)]
mod test_rig;
mod tokens;

use serde_json::Value;

use crate::catalog::Billable;
use crate::error::GatewayError;
use crate::ledger::{SessionFilter, SessionRow};
use crate::money::Micros;
use crate::state::AppState;

/// What kind of session, which decides how the gateway stops it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `POST /v1/streaming.new` … `POST /v1/streaming.stop`.
    Streaming,
    /// `POST /v3/avatar-realtime` … `DELETE /v3/avatar-realtime/{id}`.
    Realtime,
    /// `POST /v1/streaming.create_token`: HeyGen's SDKs start the session
    /// with the token directly, so the gateway learns of it from
    /// `GET /v1/streaming.list` (`tokens`) and stops it like `Streaming`.
    Token,
}

impl Kind {
    pub(crate) fn of(billable: &Billable) -> Option<Kind> {
        match billable {
            Billable::StreamingSession => Some(Kind::Streaming),
            Billable::V3AvatarRealtime => Some(Kind::Realtime),
            Billable::StreamingToken => Some(Kind::Token),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Streaming => "streaming",
            Kind::Realtime => "realtime",
            Kind::Token => "token",
        }
    }
}

/// A session HeyGen accepted, and the start request's hold.
pub(crate) struct Start<'a> {
    pub kind: Kind,
    pub tenant: &'a str,
    pub feature: &'a str,
    /// Micro-credits per minute (what the start held for the first one).
    pub rate: Micros,
    pub hold_id: &'a str,
}

/// Starts metering a session HeyGen accepted: the start request's hold
/// pays its first minute. `false` when the answer names no session (the
/// caller then settles the hold as a plain request).
pub(crate) async fn open(
    state: &AppState,
    start: Start<'_>,
    request: &[u8],
    answer: &[u8],
) -> bool {
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
            None => return false,
        },
    };
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
    if let Err(e) = state.ledger.open_session(&row).await {
        // The hold stays as it was: held, its TTL captures it in full; or
        // (a retry's, taken over from its lost attempt) captured in full
        // by expiry already, which the ledger refuses to bind a session to.
        state.note_ledger_error("sessions", &e);
        return true;
    }
    tracing::info!(
        tenant,
        session_id,
        kind = kind.as_str(),
        idle_s = idle,
        "Session metering started."
    );
    true
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

/// The session a request acts on, if it is a metered session route:
/// `POST /v1/streaming.{op}` (ids from the body) or `/v3/avatar-realtime/{id}…`.
pub(crate) fn is_session_call(path: &str) -> bool {
    (path.starts_with("/v1/streaming.") && path != "/v1/streaming.new")
        || path.starts_with("/v3/avatar-realtime/")
}

/// Whether a call on a session stops it.
fn is_stop(method: &http::Method, path: &str) -> bool {
    path == "/v1/streaming.stop"
        || (method == http::Method::DELETE && path.starts_with("/v3/avatar-realtime/"))
}

/// Before a call on sessions is forwarded: a session the gateway stopped
/// for budget is refused with 402; a live one notes the activity.
pub(crate) async fn before_call(state: &AppState, ids: &[String]) -> Result<(), GatewayError> {
    for id in ids {
        let rows = state
            .ledger
            .sessions(SessionFilter::One(id))
            .await
            .map_err(GatewayError::ledger("sessions"))?;
        match rows.first() {
            Some(s) if s.is_live() => state
                .ledger
                .touch_session(id)
                .await
                .map_err(GatewayError::ledger("sessions"))?,
            Some(s) if s.stop_reason.as_deref() == Some("budget") => {
                return Err(GatewayError::SessionStopped)
            }
            _ => {}
        }
    }
    Ok(())
}

/// After a call was answered: a client's stop that HeyGen did not refuse
/// with a 5xx ends the session, captured to the second.
pub(crate) async fn after_call(
    state: &AppState,
    method: &http::Method,
    path: &str,
    ids: &[String],
    status: http::StatusCode,
) {
    if !is_stop(method, path) || status.is_server_error() {
        return;
    }
    for id in ids {
        stop::end(state, id, "client").await;
    }
}

/// The live-session caps a session start's hold is checked against in
/// the ledger (`None` when neither the tenant nor the org has one).
pub(crate) fn cap_for(
    cfg: &crate::config::Config,
    tenant: &crate::config::TenantConfig,
) -> Option<crate::ledger::SessionCap> {
    let (tenant_cap, org_cap) = (tenant.limits.sessions_in_flight, cfg.org.sessions_in_flight);
    if tenant_cap.is_none() && org_cap.is_none() {
        return None;
    }
    Some(crate::ledger::SessionCap {
        tenant: tenant_cap,
        org: org_cap,
        features: SESSION_FEATURES.iter().map(|f| f.to_string()).collect(),
    })
}

/// Every feature sessions are metered under: each live session, pending
/// start or unused token holds one open hold of one of these.
const SESSION_FEATURES: &[&str] = &[
    crate::pricing::features::STREAMING,
    crate::pricing::features::AVATAR_REALTIME,
    crate::pricing::features::LIVEAVATAR_FULL,
    crate::pricing::features::LIVEAVATAR_LITE,
    crate::pricing::features::LIVEAVATAR_SANDBOX,
];

/// Live sessions (of `tenant`, or all) with what each has cost so far, as
/// `/gateway/v1/usage` and `GET /admin/v1/sessions` show them.
pub(crate) async fn live_json(
    state: &AppState,
    tenant: Option<&str>,
) -> Result<Value, crate::ledger::LedgerError> {
    let now = state.clock.now().timestamp_micros();
    let book = state.snapshot().config.pricing.clone();
    let rows = state.ledger.sessions(SessionFilter::Live).await?;
    let at = |us: i64| chrono::DateTime::from_timestamp_micros(us).map(|t| t.to_rfc3339());
    let out: Vec<Value> = rows
        .iter()
        .filter(|s| tenant.is_none_or(|t| s.tenant == t))
        .map(|s| {
            let so_far = s
                .captured
                .saturating_add(stop::last_minute_cost(&book, s, now));
            serde_json::json!({
                "session_id": s.session_id,
                "tenant": s.tenant,
                "feature": s.feature,
                "kind": s.kind,
                "started_at": at(s.started_us),
                "last_activity_at": at(s.last_activity_us),
                "seconds": (now - s.started_us).max(0) / 1_000_000,
                "minutes_held": s.minutes,
                "cost_so_far": crate::money::format_credits(so_far),
                "rate_per_minute": crate::money::format_credits(s.rate),
            })
        })
        .collect();
    Ok(Value::Array(out))
}
