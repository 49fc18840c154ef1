use std::time::Duration;

use http::HeaderMap;

use super::*;
use crate::pricing::{parse_webhook, WebhookOutcome};
use crate::signature::verify as verify_signature;

#[test]
fn secrets_are_whsec_and_fresh() {
    let (a, b) = (new_secret(), new_secret());
    assert!(a.starts_with("whsec_"), "{a}");
    assert_eq!(a.len(), "whsec_".len() + 64);
    assert!(a["whsec_".len()..].bytes().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(a, b);
}

#[test]
fn deliveries_verify_with_heygens_verifier_in_both_schemes() {
    let body = br#"{"event_type":"avatar_video.success","event_data":{"video_id":"v1"}}"#;
    let h = signed_headers("whsec_abc", body, "evt_1", 1_000);
    assert!(verify_signature("whsec_abc", &h, body, 1_010, 300));
    assert!(!verify_signature("whsec_other", &h, body, 1_010, 300));
    assert!(!verify_signature("whsec_abc", &h, b"{}", 1_010, 300));
    assert_eq!(h["heygen-event-id"], "evt_1");
    // A legacy verifier that only knows `Signature`.
    let mut legacy = HeaderMap::new();
    legacy.insert("signature", h["signature"].clone());
    assert!(verify_signature("whsec_abc", &legacy, body, 0, 300));
}

#[test]
fn event_id_prefers_the_signed_body_then_its_digest() {
    let v3 = br#"{"event_id":"evt_9","event_type":"avatar_video.success","event_data":{"video_id":"v1"}}"#;
    let e = parse_webhook(v3).unwrap();
    assert_eq!(event_id(&e, v3), "evt_9");
    let legacy = br#"{"event_type":"avatar_video.fail","event_data":{"video_id":"v1"}}"#;
    let e = parse_webhook(legacy).unwrap();
    assert_eq!(e.outcome, WebhookOutcome::Failed);
    let id = event_id(&e, legacy);
    assert!(id.starts_with("sha256:"), "{id}");
    assert_eq!(id, event_id(&e, legacy), "stable across redeliveries");
    let other = br#"{"event_type":"avatar_video.fail","event_data":{"video_id":"v2"}}"#;
    assert_ne!(id, event_id(&parse_webhook(other).unwrap(), other));
}

#[test]
fn backoff_is_jittered_below_a_doubling_capped_ceiling() {
    let base = Duration::from_secs(5);
    for attempts in 0..40 {
        let ceiling = (base * 2u32.pow(attempts.min(20))).min(MAX_RETRY_DELAY);
        for _ in 0..50 {
            assert!(backoff(base, attempts) <= ceiling, "attempt {attempts}");
        }
    }
    // Full jitter: draws spread over the range rather than sitting at the top.
    let draws: Vec<Duration> = (0..200).map(|_| backoff(base, 10)).collect();
    assert!(draws.iter().any(|d| *d < Duration::from_secs(1800)));
    assert!(draws.iter().any(|d| *d > Duration::from_secs(1800)));
}
