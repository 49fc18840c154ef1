//! What counts as "never sent" (the hold released) and what as maybe sent
//! (kept): a connection that cannot be made in time, and HTTP/2 streams
//! the server says it did not process, are `Unreachable`; a stream reset
//! for any other reason is `Failed`. And the request timeout runs only
//! from the hand-off, so a slow connect does not use it up.

use std::time::{Duration, Instant};

use http::{HeaderMap, Method};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{acceptor, client_tls, listen, test_config};
use crate::config::Secret;
use crate::upstream::{Host, Upstream, UpstreamError};

fn upstream_with(port: u16, connect_ms: u64, request_ms: u64) -> Upstream {
    let mut cfg = test_config(port);
    cfg.connect_timeout = Duration::from_millis(connect_ms);
    cfg.request_timeout = Duration::from_millis(request_ms);
    Upstream::with_tls(&cfg, Secret::new("sk_org"), 0, client_tls(), None).expect("upstream")
}

async fn post(up: &Upstream) -> Result<http::StatusCode, UpstreamError> {
    let body = crate::http::full(r#"{"video_inputs":[]}"#);
    let path = "/v2/video/generate";
    let resp = up
        .send(Host::Api, Method::POST, path, HeaderMap::new(), body)
        .await?;
    Ok(resp.status())
}

/// A read (no body: HTTP/2 ends its stream with the head).
async fn get(up: &Upstream) -> Result<http::StatusCode, UpstreamError> {
    let body = crate::http::empty();
    let resp = up
        .send(
            Host::Api,
            Method::GET,
            "/v2/avatars",
            HeaderMap::new(),
            body,
        )
        .await?;
    Ok(resp.status())
}

#[tokio::test]
async fn a_tls_handshake_that_never_answers_is_unreachable_within_the_connect_timeout() {
    let (port, _) = listen(|tcp| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(tcp);
    })
    .await;
    let up = upstream_with(port, 200, 30_000);
    let start = Instant::now();
    let err = post(&up).await.expect_err("no answer");
    assert!(matches!(err, UpstreamError::Unreachable(_)), "{err:?}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn the_request_timeout_starts_when_a_connection_has_the_request() {
    // The TLS handshake takes 400 ms; the answer is then immediate.
    let tls = acceptor(&[b"http/1.1"]);
    let (port, _) = listen(move |tcp| {
        let tls = tls.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            let Ok(mut tls) = tls.accept(tcp).await else {
                return;
            };
            let mut buf = vec![0u8; 4096];
            let mut got = Vec::new();
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
            let _ = tls.write_all(answer).await;
            let _ = tls.flush().await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
    .await;
    let up = upstream_with(port, 5_000, 300);
    assert_eq!(post(&up).await.expect("answered"), 200);
}

/// What an HTTP/2 server does with the first request stream.
#[derive(Clone, Copy)]
enum Refuse {
    /// `RST_STREAM` with this error code.
    Reset(u32),
    /// `GOAWAY` naming stream 0 as the last it processed.
    GoAway,
}

/// An HTTP/2 server (raw frames over TLS) that refuses the first request
/// stream as `how` says and then keeps the connection open.
async fn refusing_h2(how: Refuse) -> u16 {
    raw_h2(move |stream| match how {
        Refuse::Reset(code) => (frame(3, 0, stream, &code.to_be_bytes()), false),
        Refuse::GoAway => (goaway(0), false),
    })
    .await
}

/// An HTTP/2 server (raw frames over TLS) that writes what `answer` gives
/// for each request stream as its HEADERS arrive, then closes the
/// connection if it also said so, else keeps it open.
pub(super) async fn raw_h2<F>(answer: F) -> u16
where
    F: Fn(u32) -> (Vec<u8>, bool) + Clone + Send + Sync + 'static,
{
    let tls = acceptor(&[b"h2"]);
    let (port, _) = listen(move |tcp| {
        let (tls, answer) = (tls.clone(), answer.clone());
        async move {
            let Ok(mut io) = tls.accept(tcp).await else {
                return;
            };
            // The server's SETTINGS (empty) come first.
            let _ = io.write_all(&frame(4, 0, 0, &[])).await;
            let mut preface = [0u8; 24];
            if io.read_exact(&mut preface).await.is_err() {
                return;
            }
            loop {
                let mut head = [0u8; 9];
                if io.read_exact(&mut head).await.is_err() {
                    return;
                }
                let len =
                    usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
                let mut payload = vec![0u8; len];
                if io.read_exact(&mut payload).await.is_err() {
                    return;
                }
                let (kind, flags) = (head[3], head[4]);
                let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
                let (reply, close) = match kind {
                    4 if flags & 1 == 0 => (frame(4, 1, 0, &[]), false),
                    1 => answer(stream),
                    _ => continue,
                };
                if io.write_all(&reply).await.is_err() || close {
                    return;
                }
            }
        }
    })
    .await;
    port
}

/// A GOAWAY (`NO_ERROR`) naming `last` as the last stream processed.
pub(super) fn goaway(last: u32) -> Vec<u8> {
    let mut payload = last.to_be_bytes().to_vec();
    payload.extend_from_slice(&[0, 0, 0, 0]);
    frame(7, 0, 0, &payload)
}

/// One HTTP/2 frame.
pub(super) fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).expect("small").to_be_bytes();
    let mut f = vec![len[1], len[2], len[3], kind, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

#[tokio::test]
async fn http2_streams_the_server_did_not_process_are_unreachable() {
    const REFUSED_STREAM: u32 = 0x7;
    for how in [Refuse::Reset(REFUSED_STREAM), Refuse::GoAway] {
        let up = upstream_with(refusing_h2(how).await, 5_000, 5_000);
        let err = post(&up).await.expect_err("refused");
        assert!(matches!(err, UpstreamError::Unreachable(_)), "{err:?}");
        let up = upstream_with(refusing_h2(how).await, 5_000, 5_000);
        let err = get(&up).await.expect_err("refused");
        assert!(matches!(err, UpstreamError::Unreachable(_)), "{err:?}");
    }
}

#[tokio::test]
async fn an_http2_stream_reset_for_another_reason_may_have_been_processed() {
    const INTERNAL_ERROR: u32 = 0x2;
    let up = upstream_with(
        refusing_h2(Refuse::Reset(INTERNAL_ERROR)).await,
        5_000,
        5_000,
    );
    let err = post(&up).await.expect_err("reset");
    assert!(matches!(err, UpstreamError::Failed(_)), "{err:?}");
}

#[tokio::test]
async fn a_stream_a_goaway_kept_and_the_connection_then_lost_may_have_been_processed() {
    // HeyGen's GOAWAY names the request's stream as processed (or being
    // processed), and the connection ends before the answer.
    for read in [false, true] {
        let up = upstream_with(raw_h2(|stream| (goaway(stream), true)).await, 5_000, 5_000);
        let err = if read {
            get(&up).await
        } else {
            post(&up).await
        };
        let err = err.expect_err("lost");
        assert!(matches!(err, UpstreamError::Failed(_)), "{err:?}");
    }
}

/// Nothing listens on the port: the error names the host and the cause, not
/// only the connector's "tcp connect error".
#[tokio::test]
async fn a_refused_connection_names_the_host_and_the_cause() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let up = upstream_with(port, 2_000, 2_000);
    let Err(UpstreamError::Unreachable(msg)) = post(&up).await else {
        panic!("not unreachable");
    };
    assert!(msg.contains(&format!("localhost:{port}")), "{msg}");
    assert!(msg.to_lowercase().contains("refused"), "{msg}");
}
