//! The own HTTP/1 loop (`server/h1`) when the listener drains: as hyper's
//! server, it starts nothing new once asked to stop, whether the next
//! head has only begun or was pipelined behind an answer in progress.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;
use crate::http1::{answer, get, PATH};
use crate::scripted::scripted;

/// A drain closes a connection whose next head has only begun, without
/// serving it, as hyper's server closes one: nothing new is started once
/// the listener is asked to stop (the head and idle timeouts and the
/// shutdown grace, a minute here, are not what closes it).
#[tokio::test]
async fn a_drain_closes_a_connection_mid_head_unserved() {
    let (url, _, heads) = scripted(vec![answer(r#"{"n":1}"#)]).await;
    let cfg = TestConfig::new(&url)
        .set("server", "io_threads", "1")
        .set("server", "header_read_timeout_ms", "60000")
        .set("server", "idle_timeout_ms", "60000")
        .set("server", "shutdown_grace_seconds", "60");
    let gw = TestGateway::start(cfg.tenant("alpha", crate::org_wide)).await;
    let mut tcp = TcpStream::connect(gw.addr).await.expect("connect");
    let head = get("GET", PATH, "");
    let (begun, rest) = head.split_at(head.len() / 2);
    tcp.write_all(begun.as_bytes()).await.expect("write");
    // Time for the loop to read it: a drain before that closes too.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let shutdown = tokio::spawn(gw.shutdown());
    let mut got = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut got)).await;
    assert!(closed.is_ok(), "the drain did not close the connection");
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    let _ = tcp.write_all(rest.as_bytes()).await;
    shutdown.await.expect("shutdown");
    assert!(heads.lock().expect("heads").is_empty(), "HeyGen was asked");
}

/// A drain that begins while an answer is being written ends the
/// connection after it: a read the client pipelined meanwhile is not
/// started (hyper's server starts none once asked to stop either).
#[tokio::test]
async fn a_drain_during_an_answer_starts_no_pipelined_read() {
    // More than loopback's socket buffers hold: the write waits on the
    // client, which reads nothing until the drain has begun.
    let big = "x".repeat(32 << 20);
    let (url, _, heads) = scripted(vec![answer(&big), answer(r#"{"n":2}"#)]).await;
    let cfg = TestConfig::new(&url).set("server", "io_threads", "1").set(
        "server",
        "shutdown_grace_seconds",
        "60",
    );
    let gw = TestGateway::start(cfg.tenant("alpha", crate::org_wide)).await;
    let mut tcp = TcpStream::connect(gw.addr).await.expect("connect");
    let two = get("GET", PATH, "") + &get("GET", PATH, "");
    tcp.write_all(two.as_bytes()).await.expect("write");
    let heygen = heads.clone();
    eventually(
        || heygen.lock().is_ok_and(|h| h.len() == 1),
        Duration::from_secs(10),
    )
    .await;
    // Time for the answer to fill the socket: a drain before it began
    // ends the connection after it too (with `Connection: close`).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shutdown = tokio::spawn(gw.shutdown());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), tcp.read_to_end(&mut got)).await;
    assert!(
        read.is_ok(),
        "the connection was not closed after the answer"
    );
    assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(
        got.ends_with(&big.as_bytes()[..1024]),
        "the answer is whole"
    );
    assert_eq!(got.windows(9).filter(|w| w == b"HTTP/1.1 ").count(), 1);
    shutdown.await.expect("shutdown");
    assert_eq!(
        heads.lock().expect("heads").len(),
        1,
        "HeyGen was asked twice"
    );
}
