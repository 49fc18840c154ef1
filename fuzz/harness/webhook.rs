//! Target `webhook`: HeyGen's webhook bodies and their signatures.
//! Input: the secret up to the first newline, a candidate signature up to
//! the second, then the body. The signature check is compared against an
//! oracle (HMAC-SHA256 of the body, hex, case-insensitive, trimmed).

use heygen_gateway::pricing::parse_webhook;
use heygen_gateway::signature::verify as verify_signature;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue};

const NOW: i64 = 1_760_000_000;
const TOLERANCE: u64 = 300;

fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, value) in pairs {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(*name, v);
        }
    }
    h
}

pub fn run(data: &[u8]) {
    let (secret, rest) = split_line(data);
    let (candidate, body) = split_line(rest);
    let secret = String::from_utf8_lossy(secret);
    let _ = parse_webhook(body);

    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return;
    };
    mac.update(body);
    let good = hex::encode(mac.finalize().into_bytes());
    let ts = NOW.to_string();
    let verify = |h: &HeaderMap| verify_signature(&secret, h, body, NOW, TOLERANCE);

    assert!(verify(&headers(&[
        ("heygen-signature", &good),
        ("heygen-timestamp", &ts)
    ])));
    assert!(verify(&headers(&[("signature", &good)])), "legacy header");
    let upper = good.to_ascii_uppercase();
    assert!(
        verify(&headers(&[("heygen-signature", &upper)])),
        "hex case"
    );
    let stale = (NOW - 301).to_string();
    assert!(
        !verify(&headers(&[
            ("heygen-signature", &good),
            ("heygen-timestamp", &stale)
        ])),
        "a timestamp past the tolerance must fail"
    );
    assert!(!verify(&HeaderMap::new()), "no signature must fail");
    let mut flipped = good.clone().into_bytes();
    flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8_lossy(&flipped).into_owned();
    assert!(
        !verify(&headers(&[("heygen-signature", &flipped)])),
        "one digit off"
    );

    // Whatever the fuzzer offers as a signature verifies iff it is the MAC.
    // (A header value that is not visible ASCII never verifies.)
    if let Ok(v) = HeaderValue::from_bytes(candidate) {
        let expected = v
            .to_str()
            .is_ok_and(|s| s.trim().eq_ignore_ascii_case(&good));
        let mut h = HeaderMap::new();
        h.insert("heygen-signature", v);
        assert_eq!(verify(&h), expected, "candidate {candidate:?}");
    }
}
