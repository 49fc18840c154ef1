//! LiveAvatar sessions (`api.liveavatar.com`, its own org key). Minting a
//! session token is the session's start: the token request's hold pays the
//! first minute and the session is registered with its owner and the
//! token's SHA-256, so the browser's `Authorization: Bearer <session_token>`
//! on `/start`, `/keep-alive` and `/stop` is the tenant's credential for
//! exactly that session. From then on the meter treats it like any live
//! session (minute by minute, idle limit, cut off at the budget); it also
//! ends it at the token's `max_session_duration`, and stops it at
//! LiveAvatar with the org's LiveAvatar key.

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::ledger::{SessionRow, SessionToken, TokenKey};
use crate::money::Micros;
use crate::state::AppState;

/// The `kind` of a LiveAvatar session row.
pub(crate) const KIND: &str = "liveavatar";

/// A session LiveAvatar created for a minted token.
pub(crate) struct Minted<'a> {
    pub tenant: &'a str,
    pub feature: &'a str,
    /// Micro-credits per minute (what the token request held).
    pub rate: Micros,
    pub hold_id: &'a str,
    pub session_id: &'a str,
    pub session_token: &'a str,
    /// The token body's `max_session_duration`, seconds.
    pub max_seconds: Option<i64>,
}

/// Hex SHA-256 of a session token: what the ledger keeps of it.
pub(crate) fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts metering a minted session. One the ledger could not record is
/// stopped at LiveAvatar at once (`super::register`): nothing would meter it.
pub(crate) async fn open(state: &AppState, m: Minted<'_>) -> super::Opened {
    let now = state.clock.now().timestamp_micros();
    let idle = state.snapshot().config.settlement.session_idle.as_secs() as i64;
    let row = SessionRow {
        session_id: m.session_id.to_string(),
        tenant: m.tenant.to_string(),
        feature: m.feature.to_string(),
        kind: KIND.to_string(),
        rate: m.rate,
        idle_s: idle,
        started_us: now,
        last_activity_us: now,
        hold_id: m.hold_id.to_string(),
        slot_us: now,
        minutes: 1,
        captured: 0,
        state: "live".to_string(),
        stop_reason: None,
        stopped_us: None,
        next_hold_id: None,
    };
    let token = SessionToken {
        token_sha256: digest(m.session_token),
        session_id: m.session_id.to_string(),
        tenant: m.tenant.to_string(),
        max_end_us: m
            .max_seconds
            .map(|s| now.saturating_add(s.saturating_mul(1_000_000))),
    };
    if let Err(e) = state.ledger.open_token_session(&row, &token).await {
        return super::not_registered(state, row, e).await;
    }
    tracing::info!(
        tenant = m.tenant,
        session_id = m.session_id,
        feature = m.feature,
        "LiveAvatar session metering started."
    );
    super::Opened::Metered
}

/// The session a token (or a session id) names, from the ledger.
pub(crate) async fn lookup(
    state: &AppState,
    key: TokenKey<'_>,
) -> Result<Option<SessionToken>, crate::ledger::LedgerError> {
    state.ledger.session_token(key).await
}

/// When a LiveAvatar session must end at the latest (`max_session_duration`).
pub(super) async fn max_end(state: &AppState, s: &SessionRow) -> Option<i64> {
    if s.kind != KIND {
        return None;
    }
    match lookup(state, TokenKey::Session(&s.session_id)).await {
        Ok(t) => t.and_then(|t| t.max_end_us),
        Err(e) => {
            state.note_ledger_error("sessions", &e);
            None
        }
    }
}

/// LiveAvatar's `reason` for a stop the gateway sends.
fn reason_for(reason: &str) -> &'static str {
    match reason {
        "budget" => "NO_CREDITS",
        "idle" => "IDLE_TIMEOUT",
        "max_duration" => "MAX_DURATION_REACHED",
        _ => "UNKNOWN",
    }
}

/// Stops the session at LiveAvatar with the org's LiveAvatar key
/// (`POST /v1/sessions/stop` accepts it with the session id in the body).
pub(super) async fn stop_upstream(state: &AppState, s: &SessionRow, reason: &str) -> bool {
    let id = &s.session_id;
    let body = serde_json::json!({ "session_id": id, "reason": reason_for(reason) });
    let call = state
        .upstream
        .liveavatar_json(
            http::Method::POST,
            "/v1/sessions/stop",
            Bytes::from(body.to_string()),
        )
        .await;
    match call {
        Ok((status, _)) if status < 300 => {
            tracing::info!(session_id = %id, "Session stopped at LiveAvatar.");
            true
        }
        Ok((status, _)) => {
            tracing::warn!(session_id = %id, status, "LiveAvatar refused to stop the session.");
            super::stop::refusal_is_final(status)
        }
        Err(e) => {
            tracing::warn!(session_id = %id, error = %e, "Stopping the session at LiveAvatar failed.");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_tell_liveavatar_why() {
        assert_eq!(reason_for("budget"), "NO_CREDITS");
        assert_eq!(reason_for("idle"), "IDLE_TIMEOUT");
        assert_eq!(reason_for("max_duration"), "MAX_DURATION_REACHED");
        assert_eq!(reason_for("tenant_removed"), "UNKNOWN");
    }

    #[test]
    fn tokens_are_kept_as_digests() {
        let d = digest("tok");
        assert_eq!(d.len(), 64);
        assert_ne!(d, digest("tok2"));
    }
}
