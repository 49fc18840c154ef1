//! An allowed address: the request is sent as built (never the caller's
//! Host), redirects come back unfollowed, size caps and timeouts hold, https
//! speaks TLS, and a closed port is a connect error.

use std::time::Duration;

use heygen_gateway::egress::{EgressError, EgressRequest};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::{guard, ok, Reply, Server};

#[tokio::test]
async fn allow_list_admits_the_local_server() {
    let server = Server::start(ok("hello")).await;
    let g = guard(&["127.0.0.1/32"]);
    let mut req = EgressRequest::post(server.url("/hook?x=1"), "payload");
    req.headers
        .insert("x-signature", http::HeaderValue::from_static("sig"));
    req.headers
        .insert(http::header::HOST, http::HeaderValue::from_static("evil"));
    let resp = g.send(req).await.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(&resp.body[..], b"hello");
    let seen = server.requests.lock().unwrap()[0].clone();
    assert!(seen.starts_with("POST /hook?x=1 HTTP/1.1\r\n"), "{seen}");
    assert!(seen.contains("x-signature: sig"), "{seen}");
    assert!(seen.ends_with("payload"), "{seen}");
    assert!(
        !seen.contains("evil"),
        "caller's Host header must not be sent"
    );
    // A neighbouring loopback address is still outside the allow list.
    let err = g.check("http://127.0.0.2/").await.unwrap_err();
    assert!(matches!(err, EgressError::Forbidden { .. }), "{err:?}");
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let server = Server::start(Reply::Bytes(
        b"HTTP/1.1 302 Found\r\nlocation: http://169.254.169.254/\r\ncontent-length: 0\r\n\r\n"
            .to_vec(),
    ))
    .await;
    let g = guard(&["127.0.0.1/32"]);
    let resp = g.send(EgressRequest::get(server.url("/"))).await.unwrap();
    assert_eq!(resp.status, 302);
    assert_eq!(resp.headers["location"], "http://169.254.169.254/");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn size_cap_is_enforced_with_and_without_content_length() {
    let big = "x".repeat(5_000);
    let declared = Server::start(ok(&big)).await;
    let chunked = Server::start(Reply::Bytes(
        format!("HTTP/1.1 200 OK\r\n\r\n{big}").into_bytes(),
    ))
    .await;
    let g = guard(&["127.0.0.1/32"]);
    for server in [&declared, &chunked] {
        let err = g
            .send(EgressRequest::get(server.url("/")))
            .await
            .unwrap_err();
        assert_eq!(err, EgressError::TooLarge);
        let mut req = EgressRequest::get(server.url("/"));
        req.truncate = true;
        let resp = g.send(req).await.unwrap();
        assert!(resp.truncated);
        assert_eq!(resp.body.len(), 1_000);
    }
    // A per-request cap overrides the guard's.
    let mut req = EgressRequest::get(declared.url("/"));
    req.max_response_bytes = Some(10_000);
    let resp = g.send(req).await.unwrap();
    assert_eq!((resp.body.len(), resp.truncated), (5_000, false));
}

#[tokio::test]
async fn stalled_servers_hit_the_total_timeout() {
    let g = guard(&["127.0.0.1/32"]);
    for reply in [Reply::Stall, Reply::StallBody] {
        let server = Server::start(reply).await;
        let mut req = EgressRequest::get(server.url("/"));
        req.timeout = Some(Duration::from_millis(300));
        let err = g.send(req).await.unwrap_err();
        assert_eq!(err, EgressError::Timeout);
    }
}

#[tokio::test]
async fn https_speaks_tls_to_the_checked_address() {
    // A plain-HTTP server answers the ClientHello with cleartext: the guard
    // fails the handshake instead of falling back to cleartext.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello")
                .await;
            let _ = sock.shutdown().await;
        }
    });
    let g = guard(&["127.0.0.1/32"]);
    let url = format!("https://127.0.0.1:{port}/");
    let err = g.send(EgressRequest::get(url)).await.unwrap_err();
    assert!(matches!(err, EgressError::Connect(_)), "{err:?}");
}

#[tokio::test]
async fn closed_port_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let g = guard(&["127.0.0.1/32"]);
    let err = g
        .send(EgressRequest::get(format!("http://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    assert!(matches!(err, EgressError::Connect(_)), "{err:?}");
}
