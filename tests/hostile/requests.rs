//! Request-level defences: bodies on reads, method overrides, encoded
//! separators, oversized heads, and framing tricks (request smuggling).

use crate::common::*;
use crate::{connect_from, exchange, status_of, Rig};

async fn raw(rig: &Rig, request: &str) -> String {
    let mut s = connect_from([127, 0, 0, 1], rig.gw.addr).await;
    exchange(&mut s, request.as_bytes()).await
}

fn key() -> String {
    tenant_token("alpha")
}

#[tokio::test]
async fn a_get_with_a_body_and_a_method_override_is_refused_unforwarded() {
    let rig = Rig::start(&[]).await;
    let body = r#"{"video_inputs":[]}"#;
    for method in ["GET", "HEAD"] {
        let got = raw(
            &rig,
            &format!(
                "{method} /v2/video/generate HTTP/1.1\r\nHost: gw\r\nX-Api-Key: {}\r\nX-HTTP-Method-Override: POST\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                key(),
                body.len()
            ),
        )
        .await;
        assert!(
            status_of(&got).starts_with("HTTP/1.1 400"),
            "{method}: {got}"
        );
        let got = raw(
            &rig,
            &format!(
                "{method} /v2/avatars HTTP/1.1\r\nHost: gw\r\nX-Api-Key: {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                key()
            ),
        )
        .await;
        assert!(
            status_of(&got).starts_with("HTTP/1.1 400"),
            "{method} chunked: {got}"
        );
    }
    assert!(rig.mock.requests().is_empty(), "nothing reached HeyGen");
}

#[tokio::test]
async fn method_override_headers_never_reach_heygen() {
    let rig = Rig::start(&[]).await;
    let token = key();
    let r = send(
        "GET",
        &rig.gw.url("/v2/avatars"),
        &[
            ("x-api-key", &token),
            ("X-HTTP-Method-Override", "DELETE"),
            ("X-HTTP-Method", "DELETE"),
            ("X-Method-Override", "DELETE"),
        ],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let seen = rig.mock.requests_to("/v2/avatars");
    assert_eq!(seen.len(), 1);
    for name in [
        "x-http-method-override",
        "x-http-method",
        "x-method-override",
    ] {
        assert_eq!(seen[0].header(name), None, "{name} was forwarded");
    }
}

#[tokio::test]
async fn encoded_separators_in_paths_are_refused_unforwarded() {
    let rig = Rig::start(&[]).await;
    for path in [
        "/v3/folders/..%2Fvideos",
        "/v3/folders/..%2fvideos",
        "/v3/folders/a%5Cb",
        "/v3/folders/a%5cb",
    ] {
        let got = raw(
            &rig,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: gw\r\nX-Api-Key: {}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}",
                key()
            ),
        )
        .await;
        assert!(status_of(&got).starts_with("HTTP/1.1 400"), "{path}: {got}");
        assert!(got.contains("%2F, %5C"), "{path}: {got}");
    }
    assert!(rig.mock.requests().is_empty(), "nothing reached HeyGen");
}

#[tokio::test]
async fn an_oversized_head_gets_431_not_a_reset() {
    let rig = Rig::start(&[("max_header_bytes", "16384")]).await;
    let big = "a".repeat(40_000);
    let got = raw(
        &rig,
        &format!(
            "GET /v2/avatars HTTP/1.1\r\nHost: gw\r\nX-Big: {big}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(status_of(&got).starts_with("HTTP/1.1 431"), "{got}");
    // Just under the limit is fine.
    let ok = "a".repeat(8_000);
    let got = raw(
        &rig,
        &format!(
            "GET /v2/avatars HTTP/1.1\r\nHost: gw\r\nX-Api-Key: {}\r\nX-Big: {ok}\r\nConnection: close\r\n\r\n",
            key()
        ),
    )
    .await;
    assert!(status_of(&got).starts_with("HTTP/1.1 200"), "{got}");
}

#[tokio::test]
async fn framing_tricks_are_refused_or_cannot_smuggle() {
    let rig = Rig::start(&[]).await;
    let k = key();
    // Conflicting Content-Length values: hyper answers 400 itself.
    let got = raw(
        &rig,
        &format!("POST /v3/assets HTTP/1.1\r\nHost: gw\r\nX-Api-Key: {k}\r\nContent-Length: 2\r\nContent-Length: 30\r\nConnection: close\r\n\r\n{{}}"),
    )
    .await;
    assert!(
        status_of(&got).starts_with("HTTP/1.1 400"),
        "conflicting CL: {got}"
    );
    // obs-fold continuation lines: refused by the parser.
    let got = raw(
        &rig,
        &format!("GET /v2/avatars HTTP/1.1\r\nHost: gw\r\nX-Api-Key: {k}\r\nX-Folded: a\r\n b\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert!(
        status_of(&got).starts_with("HTTP/1.1 400"),
        "obs-fold: {got}"
    );
    // Transfer-Encoding on HTTP/1.0, and a non-chunked final coding.
    let got = raw(
        &rig,
        &format!("POST /v3/assets HTTP/1.0\r\nHost: gw\r\nX-Api-Key: {k}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    )
    .await;
    assert!(
        status_of(&got).starts_with("HTTP/1.1 400"),
        "TE on 1.0: {got}"
    );
    let got = raw(
        &rig,
        &format!("POST /v3/assets HTTP/1.1\r\nHost: gw\r\nX-Api-Key: {k}\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert!(
        status_of(&got).starts_with("HTTP/1.1 400"),
        "TE gzip: {got}"
    );
    // Content-Length with Transfer-Encoding: hyper frames by the chunked
    // coding alone (RFC 9112 §6.1), drops the length and closes the
    // connection after answering, so the request hidden behind the short
    // chunked body is never read as a second request.
    let smuggled = format!("GET /v2/avatars HTTP/1.1\r\nHost: gw\r\nX-Api-Key: {k}\r\n\r\n");
    let declared = (5 + smuggled.len()).to_string();
    let got = raw(
        &rig,
        &format!(
            "POST /v3/assets HTTP/1.1\r\nHost: gw\r\nX-Api-Key: {k}\r\nContent-Length: {declared}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}"
        ),
    )
    .await;
    assert_eq!(
        got.matches("HTTP/1.1 ").count(),
        1,
        "one answer only: {got}"
    );
    assert!(
        got.to_ascii_lowercase().contains("connection: close"),
        "{got}"
    );
    assert!(
        rig.mock.requests_to("/v2/avatars").is_empty(),
        "smuggled request ran"
    );
    for r in rig.mock.requests() {
        assert_ne!(
            r.header("content-length"),
            Some(declared.as_str()),
            "{}",
            r.path
        );
        assert_eq!(r.body_len, 0, "{}", r.path);
    }
}
