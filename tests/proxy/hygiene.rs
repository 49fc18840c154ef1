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

/// Who served the one request logged (its access line's `served_by`).
fn served_by(logs: &LogBuffer) -> String {
    let line = logs.contents();
    let line = line.lines().find(|l| l.contains("Request handled."));
    line.and_then(|l| l.split("served_by=").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no access line:\n{}", logs.contents()))
        .to_string()
}

// A current-thread runtime (the default) so the gateway logs into the capture.
#[tokio::test]
async fn hop_by_hop_response_headers_never_reach_the_client() {
    let (_guard, logs) = capture_logs();
    // Hop-by-hop headers the mock cannot produce. A `Connection` naming a
    // field keeps the lane's answer in a `HeaderMap` (its hygiene decides).
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
    assert_eq!(served_by(&logs), "\"lane\"");
}

#[tokio::test]
async fn the_lanes_answer_fields_relayed_as_bytes_are_cleaned_as_the_maps() {
    let (_guard, logs) = capture_logs();
    // No `Connection` naming a field: the lane relays these as bytes
    // (`http::raw_fields`), with the map's hygiene.
    let body = r#"{"data":{"ok":true},"error":null}"#;
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nSet-Cookie: a=1\r\n\
         Content-Length: {}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\
         Proxy-Connection: keep-alive\r\nProxy-Authenticate: Basic realm=\"heygen\"\r\n\
         TE: trailers\r\nTrailer: x-after\r\nUpgrade: h2c\r\nX-Request-Id: heygen-own\r\n\
         X-End-To-End: kept\r\nSet-Cookie: b=2\r\n\r\n{body}",
        body.len()
    );
    let (upstream, _, _) = scripted(vec![(answer, false)]).await;
    let gw = TestGateway::start(TestConfig::new(&upstream)).await;
    let token = tenant_token("alpha");
    let r = send(
        "GET",
        &gw.url("/v2/templates"),
        &[("x-api-key", &token), ("x-request-id", "tenant-id")],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), body);
    assert_eq!(served_by(&logs), "\"lane\"");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.header("content-length"),
        Some(body.len().to_string().as_str())
    );
    assert_eq!(r.header("x-end-to-end"), Some("kept"));
    let cookies: Vec<_> = r.headers.get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    // The gateway's request id, not HeyGen's.
    let ids: Vec<_> = r.headers.get_all("x-request-id").iter().collect();
    assert_eq!(ids, ["tenant-id"]);
    for name in HOP.iter().chain(&["proxy-authenticate"]) {
        assert!(r.headers.get(*name).is_none(), "{name}: {:?}", r.headers);
    }
}
