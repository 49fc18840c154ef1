//! A session's idle limit: how long it may go without a call through the
//! gateway before the meter stops it (`meter`), counted from its start and
//! again from each call on it (`before_call`). Fixed when the session is
//! registered, from its start request.
//!
//! A v3 realtime `tts` or `audio` stream plays its text or audio and ends,
//! but HeyGen documents no way to read when it ended and the client's HLS
//! reads do not pass through the gateway: its limit is what it plays, as
//! pricing projects it ([`crate::pricing::realtime::play_ms`]), plus
//! [`PLAY_GRACE_S`]. So a 10 s stream is charged about 40 s, not the
//! configured limit, and a script longer than that limit is not stopped
//! mid-play. An `audio` stream whose length the gateway did not learn (no
//! probe of its URL, no upload recorded) keeps the configured limit.

use serde_json::Value;

use super::Kind;
use crate::pricing::MediaLengths;
use crate::state::AppState;

/// HeyGen's shortest idle timeout: its floor for `activity_idle_timeout`
/// and the timeout of a realtime `text_stream` (heygen-api.md, Avatar
/// Realtime). No limit the gateway derives goes below it.
const HEYGEN_MIN_IDLE_S: i64 = 30;

/// HeyGen's longest session (1 h) and its ceiling for
/// `activity_idle_timeout`: a limit past it would meter time HeyGen never
/// runs.
const HEYGEN_MAX_S: i64 = 3600;

/// Added to a `tts`/`audio` stream's projected play length. The stream
/// starts playing only once HeyGen has rendered its first segments and the
/// client's player has buffered them, and the projection is an estimate:
/// the margin is HeyGen's own idle timeout of a `text_stream`, the time it
/// allows a stream to sit with nothing to play before ending it.
const PLAY_GRACE_S: i64 = 30;

/// Idle limit (s) of a session started by `request`: the body's
/// `activity_idle_timeout` (HeyGen: 30-3600 s) for streaming; HeyGen's 30 s
/// for a v3 `text_stream`; a `tts`/`audio` stream's projected play length
/// plus the grace (see the module); else the configured one. `media` is
/// what the proxy read about the request's media before pricing it.
pub(super) fn idle_seconds(
    state: &AppState,
    kind: Kind,
    request: &[u8],
    media: &MediaLengths,
) -> i64 {
    let body: Value = serde_json::from_slice(request).unwrap_or(Value::Null);
    let snapshot = state.snapshot();
    let configured = snapshot.config.settlement.session_idle.as_secs() as i64;
    match kind {
        Kind::Streaming | Kind::Token => body
            .get("activity_idle_timeout")
            .and_then(Value::as_i64)
            .map_or(configured, |s| s.clamp(HEYGEN_MIN_IDLE_S, HEYGEN_MAX_S)),
        Kind::Realtime => match body.get("type").and_then(Value::as_str) {
            Some("text_stream") => HEYGEN_MIN_IDLE_S,
            Some("tts" | "audio") => {
                let book = &snapshot.config.pricing;
                crate::pricing::realtime::play_ms(book, request, media)
                    .map_or(configured, play_limit)
            }
            _ => configured,
        },
    }
}

/// The idle limit of a stream that plays for `ms`: whole seconds of play
/// plus the grace (so never below HeyGen's 30 s), at most HeyGen's hour.
fn play_limit(ms: u64) -> i64 {
    let secs = i64::try_from(ms.div_ceil(1000)).unwrap_or(HEYGEN_MAX_S);
    secs.saturating_add(PLAY_GRACE_S).min(HEYGEN_MAX_S)
}

#[cfg(test)]
#[path = "idle_tests.rs"]
mod tests;
