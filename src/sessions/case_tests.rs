//! Session routes are recognised in any letter case, as the catalog and
//! the isolation rules recognise them: a `/v1/Streaming.stop` they let
//! through as a stop must end the session's metering too.

use http::Method;

use super::{is_session_call, is_stop};

#[test]
fn session_calls_in_any_letter_case() {
    for path in [
        "/v1/streaming.ice",
        "/v1/Streaming.ice",
        "/v1/STREAMING.KEEP_ALIVE",
        "/v3/avatar-realtime/s1",
        "/v3/Avatar-Realtime/s1/speak",
    ] {
        assert!(is_session_call(path), "{path}");
    }
    for path in [
        "/v1/streaming.new",
        "/v1/Streaming.New",
        "/v3/avatar-realtime",
        "/v1/str",
    ] {
        assert!(!is_session_call(path), "{path}");
    }
}

#[test]
fn stops_in_any_letter_case() {
    for (method, path) in [
        (Method::POST, "/v1/streaming.stop"),
        (Method::POST, "/v1/Streaming.stop"),
        (Method::POST, "/v1/STREAMING.STOP"),
        (Method::DELETE, "/v3/Avatar-Realtime/s1"),
    ] {
        assert!(is_stop(&method, path), "{method} {path}");
    }
    for (method, path) in [
        (Method::POST, "/v1/streaming.ice"),
        (Method::POST, "/v3/Avatar-Realtime/s1"),
    ] {
        assert!(!is_stop(&method, path), "{method} {path}");
    }
}
