//! Live sessions metered as they run (legacy `/v1/streaming.*` and v3
//! `/v3/avatar-realtime`). HeyGen bills interactive sessions by the minute
//! while they live and reports no length afterwards, so the gateway meters
//! them itself: the start request's hold pays the first minute; a timer
//! ([`meter::tick`]) holds each next minute before the current one ends
//! (capturing the one that ended), and when the next minute does not fit
//! the tenant's or the org's budget, or the session went idle, stops it
//! upstream with the org key and captures the last minute to the second.
//! A client's own stop captures to the second too ([`stop`]). Calls on a
//! session the gateway stopped for budget are refused with 402. A session
//! the ledger cannot register is stopped at once and its start fails
//! ([`register`]): nothing would meter it.
//!
//! State lives in the ledger's `sessions` table (both backends), so a
//! restart resumes metering; each minute is a ledger hold, so budgets,
//! windows, journal and audit see sessions like any other spend. The
//! request pipeline calls this module; it never calls the pipeline.

pub(crate) mod liveavatar;
pub(crate) mod meter;
mod pending;
mod register;
pub(crate) use register::{not_registered, open, Opened, Owed};
#[cfg(test)]
mod case_tests;
pub(crate) mod stop;
#[cfg(test)]
mod test_rig;
mod tokens;

use serde_json::Value;

use crate::catalog::Billable;
use crate::error::GatewayError;
use crate::ledger::SessionFilter;
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

/// Work kept in memory until it gets through, done first each tick (and
/// all a replica behind a newer ledger still does): stops the ledger failed
/// to record, and stops HeyGen did not answer of sessions stopped because
/// they could not be registered.
pub(crate) async fn retry_kept_stops(state: &AppState) {
    pending::retry(state).await;
    register::retry(state).await;
}

/// The session a request acts on, if it is a metered session route:
/// `POST /v1/streaming.{op}` (ids from the body) or `/v3/avatar-realtime/{id}…`.
/// Letter case is folded as the catalog and isolation rules fold it.
pub(crate) fn is_session_call(path: &str) -> bool {
    (starts_with_ci(path, "/v1/streaming.") && !path.eq_ignore_ascii_case("/v1/streaming.new"))
        || starts_with_ci(path, "/v3/avatar-realtime/")
}

/// Whether a call on a session stops it.
fn is_stop(method: &http::Method, path: &str) -> bool {
    path.eq_ignore_ascii_case("/v1/streaming.stop")
        || (method == http::Method::DELETE && starts_with_ci(path, "/v3/avatar-realtime/"))
}

/// `path` starts with `prefix` in any ASCII letter case.
fn starts_with_ci(path: &str, prefix: &str) -> bool {
    path.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
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
