//! What an unsuccessful answer to a billable request says about whether
//! HeyGen acted on it, and so what becomes of its hold.
//!
//! A 4xx, or a 5xx in HeyGen's own error envelope, is HeyGen's origin
//! refusing the request: nothing was made, the hold is released. A 503 is
//! overload, shed before processing: released too. But HeyGen sits behind
//! an edge (a CDN, load balancers), and an edge's 5xx — 502, 504,
//! Cloudflare's 520–524, or any 5xx whose body is not HeyGen's envelope —
//! can come after the origin received the request and made the job: the
//! same unknown outcome as the gateway's own upstream timeout, so the hold
//! is kept the same way (a keyed v3 retry takes it over; else the TTL
//! captures it). Releasing there could undercount; keeping errs high, and
//! a job that never existed still ends at the TTL.

use http::StatusCode;
use serde_json::Value;

use super::guard::HoldGuard;

/// Ends the hold of a request answered `status` (not 2xx) with `body`.
/// Returns whether the hold still stands (kept, adopted, or its release
/// failed).
pub(super) async fn end_hold(hold: HoldGuard, status: StatusCode, body: &[u8]) -> bool {
    let reason = format!("upstream_status_{}", status.as_u16());
    if maybe_acted_on(status, body) {
        hold.keep(&reason);
        return true;
    }
    !hold.release(&reason).await
}

/// Whether HeyGen may have acted on a request answered `status` (not 2xx).
fn maybe_acted_on(status: StatusCode, body: &[u8]) -> bool {
    match status.as_u16() {
        // Overload: the request was not taken on.
        503 => false,
        // An edge between the gateway and HeyGen's origin gave up on, or
        // lost, the origin's answer.
        502 | 504 | 520..=524 => true,
        500..=599 => !heygen_error(body),
        _ => false,
    }
}

/// Whether `body` is an error in one of HeyGen's envelopes (heygen-api.md
/// §2): v2's `{"data": null, "error": {"code", …}}`, v3's `{"error":
/// {"code", …}}`, v1's (and LiveAvatar's) `{"code": <number>, "message"}`
/// with no data.
fn heygen_error(body: &[u8]) -> bool {
    let Ok(Value::Object(root)) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    if let Some(Value::Object(err)) = root.get("error") {
        return err
            .get("code")
            .is_some_and(|c| c.is_string() || c.is_number());
    }
    let no_data = root.get("data").is_none_or(Value::is_null);
    let numeric = root.get("code").is_some_and(Value::is_number);
    numeric && no_data && root.get("message").is_some_and(Value::is_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acted(status: u16, body: &str) -> bool {
        let status = StatusCode::from_u16(status).expect("status");
        maybe_acted_on(status, body.as_bytes())
    }

    #[test]
    fn heygen_refusals_and_overload_say_nothing_was_made() {
        let v2 = r#"{"data":null,"error":{"code":"internal_error","message":"x"}}"#;
        let v3 = r#"{"error":{"code":"internal_error","message":"x"}}"#;
        let v1 = r#"{"code":500,"message":"Internal error"}"#;
        for body in [v2, v3, v1] {
            assert!(!acted(500, body), "{body}");
        }
        assert!(!acted(503, "<html>busy</html>"));
        assert!(!acted(400, ""));
        assert!(!acted(429, "slow down"));
    }

    #[test]
    fn edge_answers_may_follow_a_made_job() {
        let v3 = r#"{"error":{"code":"internal_error","message":"x"}}"#;
        for status in [502, 504, 520, 521, 522, 523, 524] {
            assert!(acted(status, "<html>error</html>"), "{status}");
            assert!(acted(status, v3), "{status} with an envelope");
        }
        for body in [
            "",
            "upstream request timeout",
            "<html>Internal Server Error</html>",
            r#"{"message":"Internal server error"}"#,
            r#"{"code":100,"data":{"video_id":"v"},"message":"Success"}"#,
            r#"{"error":"boom"}"#,
        ] {
            assert!(acted(500, body), "{body}");
        }
    }
}
