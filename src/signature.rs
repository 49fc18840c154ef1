//! HeyGen's webhook signature scheme: hex HMAC-SHA256 of the raw body, in
//! `Signature` (legacy) or `Heygen-Signature` with `Heygen-Timestamp` (v3).
//! A leaf shared by the receiver (verifying HeyGen) and the fan-out
//! (signing for tenants in the same scheme).

use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Lowercase hex HMAC-SHA256 of `body` keyed with `secret`.
pub fn hmac_hex(secret: &str, body: &[u8]) -> String {
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; nothing to sign with otherwise.
        Err(_) => String::new(),
    }
}

/// Verifies HeyGen's HMAC-SHA256 signature over the raw body: v3's
/// `Heygen-Signature` (with `Heygen-Timestamp` inside the tolerance) or the
/// legacy `Signature`. Comparison is constant-time.
pub fn verify(
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
    now_unix: i64,
    tolerance_secs: u64,
) -> bool {
    let provided = headers
        .get("heygen-signature")
        .or_else(|| headers.get("signature"));
    let Some(provided) = provided.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if let Some(ts) = headers.get("heygen-timestamp") {
        let Some(ts) = ts.to_str().ok().and_then(|s| s.trim().parse::<i64>().ok()) else {
            return false;
        };
        if now_unix.abs_diff(ts) > tolerance_secs {
            return false;
        }
    }
    let expected = hmac_hex(secret, body);
    let provided = provided.trim().to_ascii_lowercase();
    expected.as_bytes().ct_eq(provided.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, body: &[u8]) -> String {
        hmac_hex(secret, body)
    }

    #[test]
    fn verifies_v3_and_legacy_signatures() {
        let body = br#"{"event_type":"avatar_video.success"}"#;
        let mut h = HeaderMap::new();
        h.insert("signature", sign("s3cret", body).parse().unwrap());
        assert!(verify("s3cret", &h, body, 1000, 300));
        assert!(!verify("other", &h, body, 1000, 300));
        assert!(!verify("s3cret", &h, b"tampered", 1000, 300));

        let mut h = HeaderMap::new();
        h.insert("heygen-signature", sign("s3cret", body).parse().unwrap());
        h.insert("heygen-timestamp", "1000".parse().unwrap());
        assert!(verify("s3cret", &h, body, 1200, 300));
        assert!(!verify("s3cret", &h, body, 2000, 300), "stale timestamp");
        assert!(!verify("s3cret", &HeaderMap::new(), body, 1000, 300));
    }
}
