//! Header hygiene: hop-by-hop headers (the fixed list and whatever
//! `Connection` names) never cross the proxy in either direction; the
//! end-to-end ones do; `X-Forwarded-For` / `-Proto` are added.

use crate::common::*;
use crate::scripted::scripted;
use crate::{status_line, Rig};

/// Request headers that must never reach HeyGen.
const HOP: [&str; 9] = [
    "connection",
    "x-custom",
    "x-other-hop",
    "keep-alive",
    "te",
    "proxy-authorization",
    "proxy-connection",
    "upgrade",
    "trailer",
];

#[track_caller]
fn assert_no_hop_headers(req: &heygen_mock::ReceivedRequest) {
    for name in HOP {
        assert!(
            req.headers.get(name).is_none(),
            "{name} reached HeyGen: {:?}",
            req.headers
        );
    }
}

#[tokio::test]
async fn hop_by_hop_request_headers_never_reach_heygen() {
    let rig = Rig::start().await;
    let r = rig
        .get(
            "/v2/avatars",
            &[
                ("connection", "x-custom"),
                ("x-custom", "secret-hop"),
                ("keep-alive", "timeout=5"),
                ("te", "trailers"),
                ("proxy-authorization", "Basic cHJveHk6cHc="),
                ("proxy-connection", "keep-alive"),
                ("x-end-to-end", "kept"),
                ("accept", "application/json"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let seen = rig.mock.requests();
    assert_no_hop_headers(&seen[0]);
    assert_eq!(seen[0].header("x-end-to-end"), Some("kept"));
    assert_eq!(seen[0].header("accept"), Some("application/json"));
    assert_eq!(seen[0].header("x-forwarded-for"), Some("127.0.0.1"));
    assert_eq!(seen[0].header("x-forwarded-proto"), Some("http"));

    // On the wire, with `Upgrade` and several names in `Connection`.
    let token = tenant_token("alpha");
    let raw = raw_http(
        rig.gw.addr,
        &format!(
            "GET /v2/voices HTTP/1.1\r\nHost: gw\r\nX-Api-Key: {token}\r\n\
             Connection: close, X-Custom , x-other-hop\r\nX-Custom: 1\r\nX-Other-Hop: 2\r\n\
             Upgrade: websocket\r\nTE: trailers\r\nKeep-Alive: 300\r\n\
             Proxy-Authorization: Basic cHJveHk6cHc=\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(status_line(&raw), "HTTP/1.1 200 OK", "{raw}");
    let seen = rig.mock.requests();
    assert_eq!(seen.len(), 2);
    assert_no_hop_headers(&seen[1]);
    // The client's chain is kept and the peer appended.
    assert_eq!(
        seen[1].header("x-forwarded-for"),
        Some("203.0.113.9, 127.0.0.1")
    );
    assert_eq!(seen[1].header("x-forwarded-proto"), Some("http"));
}

#[tokio::test]
async fn hop_by_hop_response_headers_never_reach_the_client() {
    // Hop-by-hop headers the mock cannot produce.
    let body = r#"{"data":{"ok":true},"error":null}"#;
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: X-Resp-Hop\r\nX-Resp-Hop: secret\r\n\
         Keep-Alive: timeout=5, max=100\r\nProxy-Connection: keep-alive\r\n\
         Proxy-Authenticate: Basic realm=\"heygen\"\r\nX-End-To-End: kept\r\n\r\n{body}",
        body.len()
    );
    let (upstream, _, _) = scripted(vec![(answer, true)]).await;
    let gw = TestGateway::start(TestConfig::new(&upstream)).await;
    let token = tenant_token("alpha");
    let r = send(
        "GET",
        &gw.url("/v2/templates"),
        &[("x-api-key", &token)],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), r#"{"data":{"ok":true},"error":null}"#);
    assert_eq!(r.header("x-end-to-end"), Some("kept"));
    for name in [
        "connection",
        "x-resp-hop",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
    ] {
        assert!(r.headers.get(name).is_none(), "{name}: {:?}", r.headers);
    }
}
