//! Live sessions metered as they run (legacy `/v1/streaming.*` and v3
//! `/v3/avatar-realtime`). HeyGen bills interactive sessions by the minute
//! while they live and reports no length afterwards, so the gateway meters
//! them itself: the start request's hold pays the first minute; a timer
//! ([`meter::tick`]) holds each next minute before the current one ends
//! (capturing the one that ended), and when the next minute does not fit
//! the tenant's or the org's budget, or the session went idle, stops it
//! upstream with the org key and captures the last minute to the second.
//! A client's own stop captures to the second too ([`stop`]), once HeyGen
//! confirmed it with a 2xx: a stop HeyGen refused (a wrong route, a 429)
//! left the session running, so it stays metered. Calls on a session that
//! is no longer live are refused (402 after a budget stop, 409 otherwise):
//! nothing meters them. A session the ledger cannot register is stopped at
//! once and its start fails ([`unregistered`]): nothing would meter it.
//!
//! State lives in the ledger's `sessions` table (both backends), so a
//! restart resumes metering; each minute is a ledger hold, so budgets,
//! windows, journal and audit see sessions like any other spend. The
//! request pipeline calls this module; it never calls the pipeline.

mod idle;
pub(crate) mod liveavatar;
pub(crate) mod meter;
mod pending;
mod price;
mod register;
pub(crate) use register::{no_session, open, Opened, Owed};
pub(crate) use unregistered::not_registered;
#[cfg(test)]
mod case_tests;
pub(crate) mod stop;
#[cfg(test)]
mod test_rig;
mod tokens;
mod unregistered;

use serde_json::Value;

use crate::catalog::Billable;
use crate::error::GatewayError;
use crate::ledger::SessionFilter;
use crate::money::Micros;
use crate::pricing::MediaLengths;
use crate::state::AppState;
use crate::stopping_sessions::StopInFlight;

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
    /// What the proxy read about the start's media before pricing it: a
    /// realtime `audio` stream's length, which its idle limit follows.
    pub media: &'a MediaLengths,
}

/// Work kept in memory until it gets through, done first each tick (and
/// all a replica behind a newer ledger still does): stops the ledger failed
/// to record, and stops HeyGen did not answer of sessions stopped because
/// they could not be registered.
pub(crate) async fn retry_kept_stops(state: &AppState) {
    pending::retry(state).await;
    unregistered::retry(state).await;
}

/// The session a request acts on, if it is a metered session route:
/// `POST /v1/streaming.{op}` (ids from the body) or `/v3/avatar-realtime/{id}…`.
/// Letter case is folded as the catalog and isolation rules fold it.
pub(crate) fn is_session_call(path: &str) -> bool {
    (starts_with_ci(path, "/v1/streaming.") && !path.eq_ignore_ascii_case("/v1/streaming.new"))
        || starts_with_ci(path, "/v3/avatar-realtime/")
}

/// Whether a call on a session is its stop: exactly `POST
/// /v1/streaming.stop` or `DELETE /v3/avatar-realtime/{id}` (the route the
/// gateway stops a realtime session with itself), in any letter case. Any
/// other path under a session (`DELETE /v3/avatar-realtime/{id}/anything`)
/// is no stop: HeyGen would answer it 404 and the session would run on.
pub(crate) fn is_stop(method: &http::Method, path: &str) -> bool {
    const REALTIME: &str = "/v3/avatar-realtime/";
    let realtime = starts_with_ci(path, REALTIME)
        && path
            .get(REALTIME.len()..)
            .is_some_and(|id| !id.is_empty() && !id.contains('/'));
    (method == http::Method::POST && path.eq_ignore_ascii_case("/v1/streaming.stop"))
        || (method == http::Method::DELETE && realtime)
}

/// `path` starts with `prefix` in any ASCII letter case.
fn starts_with_ci(path: &str, prefix: &str) -> bool {
    path.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// Before a call on sessions is forwarded: a live one notes the activity;
/// one that is no longer live (stopped for any reason, or metered for no
/// tenant) is refused, 402 after a budget stop and 409 `session_stopped`
/// otherwise, since nothing would meter what the call does. A stop
/// (`stop`) of such a session is let through: it costs nothing, and it may
/// stop at HeyGen a session whose stop HeyGen has not confirmed yet. For a
/// stop, the guard marks it in flight (`stopping_sessions`): keep it until
/// [`after_call`] has acted on HeyGen's answer.
pub(crate) async fn before_call(
    state: &AppState,
    ids: &[String],
    stop: bool,
) -> Result<Option<StopInFlight>, GatewayError> {
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
            Some(_) if stop => {}
            Some(s) if s.stop_reason.as_deref() == Some("budget") => {
                return Err(GatewayError::SessionStopped)
            }
            Some(s) => {
                return Err(GatewayError::SessionEnded {
                    reason: s.stop_reason.clone().unwrap_or_else(|| s.state.clone()),
                })
            }
            None => {}
        }
    }
    Ok(stop.then(|| state.stopping.begin(ids)))
}

/// After a call was answered: a client's stop that HeyGen confirmed (2xx)
/// ends the session, captured to the second. HeyGen documents no answer
/// meaning "already closed", so any other answer (a 4xx such as 404 or 429,
/// a 5xx) may have left the session running: it stays metered, and its
/// idle limit, budget or HeyGen's list end it if the client goes away.
pub(crate) async fn after_call(
    state: &AppState,
    method: &http::Method,
    path: &str,
    ids: &[String],
    status: http::StatusCode,
) {
    if !is_stop(method, path) {
        return;
    }
    if !status.is_success() {
        tracing::info!(session_ids = %ids.join(","), status = status.as_u16(),
            "HeyGen did not confirm a client's stop of a session; it stays metered.");
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
    let rows = state.ledger.sessions(SessionFilter::Live).await?;
    let at = |us: i64| chrono::DateTime::from_timestamp_micros(us).map(|t| t.to_rfc3339());
    let mut out = Vec::new();
    for s in rows.iter().filter(|s| tenant.is_none_or(|t| s.tenant == t)) {
        // What the stop would charge: the session's own book, not the
        // current one (see `price`).
        let book = price::book_of(state, s).await;
        let so_far = s
            .captured
            .saturating_add(price::last_minute_cost(&book, s, now));
        out.push(serde_json::json!({
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
        }));
    }
    Ok(Value::Array(out))
}
