//! Tests of the envelope's generation and of ledger errors that are the
//! client's input (split from `tests.rs`, which holds the variant table).

use super::*;

#[test]
fn envelopes_follow_the_path_generation() {
    assert_eq!(Generation::of_path("/v1/video_status.get"), Generation::V1);
    assert_eq!(Generation::of_path("/v2/video/generate"), Generation::V2);
    assert_eq!(Generation::of_path("/v3/videos"), Generation::V3);
    assert_eq!(Generation::of_path("/gateway/v1/usage"), Generation::V3);
    let e = GatewayError::Unauthenticated;
    let v1 = e.envelope(Generation::V1);
    assert_eq!(v1["code"], 400112);
    assert_eq!(v1["error_code"], "unauthorized");
    let v2 = e.envelope(Generation::V2);
    assert!(v2["data"].is_null());
    assert_eq!(v2["error"]["code"], "unauthorized");
    let v3 = e.envelope(Generation::V3);
    assert_eq!(v3["error"]["code"], "unauthorized");
    assert_eq!(v3["error"]["gateway_reason"], "unauthenticated");
}

/// A value the ledger refused as invalid data is the client's bad input:
/// 400 in the envelope, and no ledger failure to count or alert on.
#[test]
fn ledger_bad_input_is_a_400_not_a_ledger_failure() {
    let source = LedgerError::BadInput("postgres: 22021: invalid byte sequence".into());
    assert!(!source.is_failure() && !source.is_transient());
    for err in [
        GatewayError::ledger("owners_of")(source.clone()),
        GatewayError::from(source),
    ] {
        assert!(matches!(err, GatewayError::BadRequest { .. }), "{err:?}");
        let resp = err.to_response(Generation::V1, chrono::Utc::now());
        assert_eq!(resp.status().as_u16(), 400);
        assert_eq!(resp.headers()[HEADER_REJECTED], "invalid_request");
    }
}
