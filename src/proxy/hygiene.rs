//! Request checks against hostile clients (issue 12), pure so they can run
//! at any layer: bodies on GET/HEAD (a way to smuggle a write past the route
//! classifier as a "read"), ambiguous message framing hyper lets through,
//! and declared sizes refused before a byte of the body is read.

use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderMap, Method};

use crate::error::GatewayError;

/// Refuses requests whose framing or method/body combination is ambiguous.
/// `body_ends` is the body's `is_end_stream()`: true when the request head
/// said there is no body (HTTP/1 without length, HTTP/2 END_STREAM).
pub(crate) fn check_request(
    method: &Method,
    headers: &HeaderMap,
    body_ends: bool,
) -> Result<(), GatewayError> {
    let lengths = headers.get_all(CONTENT_LENGTH).iter().count();
    let chunked = headers.contains_key(TRANSFER_ENCODING);
    // hyper already drops a Content-Length that accompanies
    // Transfer-Encoding and merges equal duplicates; anything still here
    // (an HTTP/2 request, a future hyper) is refused rather than guessed at.
    if lengths > 1 {
        return Err(GatewayError::bad_request(
            "the request has more than one Content-Length header",
        ));
    }
    if lengths == 1 && chunked {
        return Err(GatewayError::bad_request(
            "the request has both Content-Length and Transfer-Encoding",
        ));
    }
    if lengths == 1 && declared_length(headers).is_none() {
        return Err(GatewayError::bad_request(
            "the Content-Length header is not a decimal number",
        ));
    }
    if matches!(*method, Method::GET | Method::HEAD) {
        let declares_body = chunked || declared_length(headers).is_some_and(|n| n > 0);
        if declares_body || !body_ends {
            return Err(GatewayError::bad_request(format!(
                "{method} requests must not carry a body"
            )));
        }
    }
    Ok(())
}

/// The request's Content-Length when it is one plain decimal number.
pub(crate) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    let v = headers.get(CONTENT_LENGTH)?.to_str().ok()?.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// 413 when the request declares a body over `limit`, before reading it.
pub(crate) fn declared_length_within(headers: &HeaderMap, limit: u64) -> Result<(), GatewayError> {
    match declared_length(headers) {
        Some(n) if n > limit => Err(GatewayError::PayloadTooLarge { limit }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn h(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(*k, HeaderValue::from_static(v));
        }
        m
    }

    fn refused(method: Method, pairs: &[(&'static str, &'static str)], ends: bool) -> bool {
        check_request(&method, &h(pairs), ends).is_err()
    }

    #[test]
    fn get_and_head_must_not_carry_a_body() {
        assert!(refused(Method::GET, &[("content-length", "12")], false));
        assert!(refused(
            Method::HEAD,
            &[("transfer-encoding", "chunked")],
            false
        ));
        // HTTP/2: no framing headers, but DATA frames follow the head.
        assert!(refused(Method::GET, &[], false));
        assert!(!refused(Method::GET, &[], true));
        assert!(!refused(Method::GET, &[("content-length", "0")], true));
        assert!(!refused(Method::POST, &[("content-length", "12")], false));
        assert!(!refused(Method::DELETE, &[], false));
    }

    #[test]
    fn ambiguous_framing_is_refused() {
        let both = [("content-length", "5"), ("transfer-encoding", "chunked")];
        assert!(refused(Method::POST, &both, false));
        let dup = [("content-length", "5"), ("content-length", "5")];
        assert!(refused(Method::POST, &dup, false));
        assert!(refused(Method::POST, &[("content-length", "+5")], false));
        assert!(refused(Method::POST, &[("content-length", "5, 5")], false));
        assert!(!refused(Method::POST, &[("content-length", "5")], false));
    }

    #[test]
    fn declared_oversize_is_refused_up_front() {
        let big = h(&[("content-length", "1048577")]);
        assert!(matches!(
            declared_length_within(&big, 1 << 20),
            Err(GatewayError::PayloadTooLarge { limit: 1048576 })
        ));
        assert!(declared_length_within(&h(&[("content-length", "1048576")]), 1 << 20).is_ok());
        assert!(
            declared_length_within(&HeaderMap::new(), 1).is_ok(),
            "chunked: the read is capped"
        );
    }
}
