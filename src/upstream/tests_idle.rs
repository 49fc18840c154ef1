//! Idle HTTP/1.1 connections over plain HTTP: one HeyGen closed is not
//! used again, one idle past the pool's timeout is closed, and a request
//! that one closing under it refused is sent again on a new one.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

use super::{client_tls, get, listen, test_config, upstream_at};
use crate::config::Secret;
use crate::upstream::Upstream;

/// A plain HTTP/1.1 server that answers one request per connection (with
/// keep-alive, as if it meant to keep it) and then closes it, as HeyGen
/// closes connections idle too long. Counts connections.
async fn closing_server() -> (u16, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    listen(|mut tcp| async move {
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
        let _ = tcp.write_all(answer).await;
    })
    .await
}

#[tokio::test]
async fn a_connection_closed_while_idle_is_not_used_again() {
    let (port, accepted) = closing_server().await;
    let up = upstream_at(http::uri::Scheme::HTTP, port);
    for round in 1..=3 {
        assert_eq!(get(&up, "/v1/a".into()).await, "ok");
        assert_eq!(accepted.load(Ordering::SeqCst), round);
        // Until the pooled connection has seen the close (what a request
        // arriving a moment later would find).
        let pool = up.pool().clone();
        tokio::time::timeout(Duration::from_secs(10), async {
            while !pool.idle_all_closed(0) {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the connection is seen closed");
    }
}

/// A plain HTTP/1.1 server that keeps connections alive and counts those
/// the client closed.
async fn keep_alive_server() -> (u16, Arc<AtomicUsize>) {
    let closed = Arc::new(AtomicUsize::new(0));
    let count = closed.clone();
    let (port, _) = listen(move |tcp| {
        let count = count.clone();
        async move {
            let svc = hyper::service::service_fn(|_req: Request<Incoming>| async {
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), svc)
                .await;
            count.fetch_add(1, Ordering::SeqCst);
        }
    })
    .await;
    (port, closed)
}

#[tokio::test]
async fn connections_idle_past_the_timeout_are_closed() {
    let (port, closed) = keep_alive_server().await;
    let mut cfg = test_config(port);
    cfg.api.scheme = http::uri::Scheme::HTTP;
    cfg.pool_idle_timeout = Duration::from_millis(50);
    let up =
        Upstream::with_tls(&cfg, Secret::new("sk_org"), 0, client_tls(), None).expect("upstream");
    assert_eq!(get(&up, "/v1/a".into()).await, "ok");
    assert_eq!(closed.load(Ordering::SeqCst), 0, "kept alive");
    tokio::time::timeout(Duration::from_secs(10), async {
        while closed.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the idle connection is closed by the pool");
}

/// The race the pool's one retry is for: HeyGen closes a keep-alive
/// connection just as a request takes it from the pool. The close must
/// reach the kernel before the request is written, and the connection's
/// task must not have seen it yet; this test arranges that order on the
/// test's one thread (the server is a plain thread of its own). The
/// server writes to `signal`, then closes the connection; while both
/// wait in the kernel, the test is parked on `signal`. One wake-up then
/// brings both, the test's first: it takes the still "ready" connection
/// and queues its request, and the connection's task reads the close
/// before it writes anything, so hyper hands the request back unsent.
#[tokio::test(flavor = "current_thread")]
async fn a_request_refused_by_a_connection_closing_under_it_is_sent_again() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (mut signal_tx, signal) = std::os::unix::net::UnixStream::pair().expect("pair");
    let (go_tx, go) = std::sync::mpsc::channel::<()>();
    let (done, closed) = std::sync::mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let answer = |tcp: &mut std::net::TcpStream| {
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match tcp.read(&mut buf) {
                    Ok(0) | Err(_) => return false,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            tcp.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                .is_ok()
        };
        let mut accepted = 0;
        let (mut first, _) = listener.accept().expect("accept");
        accepted += 1;
        assert!(answer(&mut first), "the first request");
        go.recv().expect("go");
        signal_tx.write_all(b"!").expect("signal");
        drop(first);
        done.send(()).expect("done");
        let (mut second, _) = listener.accept().expect("accept");
        accepted += 1;
        let answered = answer(&mut second);
        (accepted, answered)
    });

    let up = upstream_at(http::uri::Scheme::HTTP, port);
    assert_eq!(get(&up, "/v1/a".into()).await, "ok");
    // Lets the connection's task settle idle, waiting to read.
    tokio::time::sleep(Duration::from_millis(20)).await;
    signal.set_nonblocking(true).expect("nonblocking");
    let signal = tokio::net::UnixStream::from_std(signal).expect("signal");
    go_tx.send(()).expect("go");
    // Blocks this thread (no task runs, the runtime reads no events) while
    // the server signals and closes, and a moment more for the close to
    // arrive.
    closed.recv().expect("closed");
    std::thread::sleep(Duration::from_millis(20));
    signal.readable().await.expect("signalled");
    assert_eq!(get(&up, "/v1/b".into()).await, "ok");
    let (accepted, answered) = server.join().expect("server");
    assert_eq!(
        (accepted, answered),
        (2, true),
        "sent again on a new connection"
    );
}
