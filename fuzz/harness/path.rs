//! Target `path`: request-path normalisation, then classification of what
//! it produced. Input: one method byte, then the path (lossy UTF-8).

use heygen_gateway::catalog::classify;
use heygen_gateway::proxy::path::normalize;
use http::Method;

const METHODS: [Method; 6] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::HEAD,
];

pub fn run(data: &[u8]) {
    let Some((&m, rest)) = data.split_first() else {
        return;
    };
    let method = &METHODS[usize::from(m) % METHODS.len()];
    let raw = String::from_utf8_lossy(rest);
    let Ok(norm) = normalize(&raw) else {
        return;
    };
    check_normal_form(&raw, &norm);
    // What is priced is what is forwarded: normalising again must not
    // change the path, or a second hop could decode it into another route.
    assert_eq!(
        normalize(&norm).as_deref(),
        Ok(norm.as_str()),
        "normalize is not idempotent for {raw:?}"
    );
    let route = classify(method, &norm);
    // Classification is a pure function of (method, normalised path).
    assert_eq!(
        format!("{route:?}"),
        format!("{:?}", classify(method, &norm))
    );
}

/// The shape every accepted path must have (see `proxy::path`).
fn check_normal_form(raw: &str, norm: &str) {
    assert!(norm.starts_with('/'), "{raw:?} -> {norm:?}: not absolute");
    assert!(
        norm == "/" || !norm.ends_with('/'),
        "{raw:?} -> {norm:?}: trailing slash"
    );
    for seg in norm.split('/').skip(1) {
        assert!(
            norm == "/" || !matches!(seg, "" | "." | ".."),
            "{raw:?} -> {norm:?}: empty or dot segment"
        );
    }
    let upper = norm.to_ascii_uppercase();
    assert!(
        !upper.contains("%2F") && !upper.contains("%5C"),
        "{raw:?} -> {norm:?}: encoded separator survived"
    );
    assert!(
        !norm.bytes().any(|b| b < 0x20 || b == 0x7f),
        "{raw:?} -> {norm:?}: control character survived"
    );
}
