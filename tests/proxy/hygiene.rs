//! Header hygiene: hop-by-hop headers (the fixed list and whatever
//! `Connection` names) never cross the proxy in either direction; the
//! end-to-end ones do; `X-Forwarded-For` / `-Proto` are added.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;
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

/// A one-shot upstream that answers any request with hop-by-hop headers the
/// mock cannot produce.
async fn hop_emitting_upstream() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let body = r#"{"data":{"ok":true},"error":null}"#;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\nConnection: X-Resp-Hop\r\nX-Resp-Hop: secret\r\n\
                     Keep-Alive: timeout=5, max=100\r\nProxy-Connection: keep-alive\r\n\
                     Proxy-Authenticate: Basic realm=\"heygen\"\r\nX-End-To-End: kept\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(resp.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn hop_by_hop_response_headers_never_reach_the_client() {
    let upstream = hop_emitting_upstream().await;
    let gw = TestGateway::start(TestConfig::new(&format!("http://{upstream}"))).await;
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
