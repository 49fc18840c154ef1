//! The tenant listener's HTTP/1.1 on the wire, byte for byte: pipelined
//! reads answered in order, `HEAD`, `Connection: close`, reads and bodies
//! mixed on one connection, HTTP/1.0, bad and oversized heads, and a client
//! that leaves mid-read (its exchange with HeyGen is dropped). Bodiless
//! reads are the gateway's own HTTP/1 loop's (`server/h1`, with the fast
//! lane's reads among them), the rest hyper's, which the loop hands the
//! connection to: both must answer as hyper alone did.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;
use crate::scripted::{content_length, read_more, scripted, take_head};

pub(crate) const PATH: &str = "/v2/video_translate/target_languages";

pub(crate) fn answer(body: &str) -> (String, bool) {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    (head + body, false)
}

/// A gateway over a HeyGen answering `bodies` in turn.
async fn gateway(bodies: &[&str]) -> TestGateway {
    let (url, _, _) = scripted(bodies.iter().map(|b| answer(b)).collect()).await;
    let cfg = TestConfig::new(&url).set("server", "io_threads", "1");
    TestGateway::start(cfg.tenant("alpha", crate::org_wide)).await
}

/// One answer read off `tcp`: its head (lowercased) and body. Bodies are
/// framed by `content-length` or chunked; `bodiless` for answers to HEAD.
async fn read_answer(tcp: &mut TcpStream, buf: &mut Vec<u8>, bodiless: bool) -> (String, Vec<u8>) {
    let head = loop {
        if let Some(head) = take_head(buf) {
            break String::from_utf8_lossy(&head).to_lowercase();
        }
        fill(tcp, buf).await;
    };
    if bodiless {
        return (head, Vec::new());
    }
    let mut body = Vec::new();
    if head.contains("\r\ncontent-length: ") {
        let len = content_length(&head);
        while buf.len() < len {
            fill(tcp, buf).await;
        }
        body.extend(buf.drain(..len));
    } else {
        assert!(
            head.contains("\r\ntransfer-encoding: chunked\r\n"),
            "{head}"
        );
        loop {
            let line_end = loop {
                if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                fill(tcp, buf).await;
            };
            let size = usize::from_str_radix(&String::from_utf8_lossy(&buf[..line_end]), 16)
                .expect("chunk size");
            while buf.len() < line_end + 2 + size + 2 {
                fill(tcp, buf).await;
            }
            body.extend_from_slice(&buf[line_end + 2..line_end + 2 + size]);
            buf.drain(..line_end + 2 + size + 2);
            if size == 0 {
                break;
            }
        }
    }
    (head, body)
}

async fn fill(tcp: &mut TcpStream, buf: &mut Vec<u8>) {
    let mut piece = [0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut piece))
        .await
        .expect("an answer in time")
        .expect("read");
    assert!(
        n > 0,
        "closed early; have {:?}",
        String::from_utf8_lossy(buf)
    );
    buf.extend_from_slice(&piece[..n]);
}

/// Sends a read of `PATH` on `tcp` and returns its answer's body.
async fn read_on(tcp: &mut TcpStream, buf: &mut Vec<u8>) -> Vec<u8> {
    tcp.write_all(get("GET", PATH, "").as_bytes())
        .await
        .expect("write");
    read_answer(tcp, buf, false).await.1
}

pub(crate) fn get(method: &str, path: &str, extra: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nhost: gw\r\nx-api-key: {}\r\n{extra}\r\n",
        tenant_token("alpha")
    )
}

#[tokio::test]
async fn pipelined_reads_and_head_are_answered_in_order_on_one_connection() {
    let gw = gateway(&[r#"{"n":1}"#, r#"{"n":"two"}"#, r#"{"n":3}"#, r#"{"n":4}"#]).await;
    let mut tcp = TcpStream::connect(gw.addr).await.expect("connect");
    // Three requests in one write: each answered, in order.
    let burst = get("GET", PATH, "") + &get("HEAD", PATH, "") + &get("GET", PATH, "");
    tcp.write_all(burst.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    let (head, body) = read_answer(&mut tcp, &mut buf, false).await;
    assert!(head.starts_with("http/1.1 200 ok\r\n"), "{head}");
    assert!(head.contains("\r\ndate: "), "{head}");
    assert_eq!(body, br#"{"n":1}"#);
    // HEAD: HeyGen's length, no body.
    let (head, _) = read_answer(&mut tcp, &mut buf, true).await;
    assert!(head.contains("\r\ncontent-length: 11\r\n"), "{head}");
    let (_, body) = read_answer(&mut tcp, &mut buf, false).await;
    assert_eq!(body, br#"{"n":3}"#, "the HEAD answer carried no body bytes");
    // The connection stays open for more.
    assert_eq!(read_on(&mut tcp, &mut buf).await, br#"{"n":4}"#);
    assert!(buf.is_empty());
}

#[tokio::test]
async fn connection_close_is_answered_then_the_connection_ends() {
    let gw = gateway(&[r#"{"n":1}"#]).await;
    let out = raw_http(gw.addr, &get("GET", PATH, "connection: close\r\n")).await;
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.contains("\r\nconnection: close\r\n"), "{out}");
    assert!(
        out.ends_with(r#"{"n":1}"#),
        "answered whole, then closed: {out}"
    );
}

#[tokio::test]
async fn reads_and_a_request_with_a_body_share_one_connection() {
    let gw = gateway(&[r#"{"n":1}"#, r#"{"n":2}"#, r#"{"n":3}"#]).await;
    let mut tcp = TcpStream::connect(gw.addr).await.expect("connect");
    let mut buf = Vec::new();
    assert_eq!(read_on(&mut tcp, &mut buf).await, br#"{"n":1}"#);
    // A request with a body (a free upload route)...
    let post = get(
        "POST",
        "/v1/asset",
        "content-type: image/png\r\ncontent-length: 4\r\n",
    ) + "abcd";
    tcp.write_all(post.as_bytes()).await.expect("write");
    let (head, body) = read_answer(&mut tcp, &mut buf, false).await;
    assert!(head.starts_with("http/1.1 200 ok\r\n"), "{head}");
    assert_eq!(body, br#"{"n":2}"#);
    // ...and a read after it, on the same connection.
    assert_eq!(read_on(&mut tcp, &mut buf).await, br#"{"n":3}"#);
}

#[tokio::test]
async fn http_1_0_bad_heads_and_oversized_heads_are_answered() {
    let gw = gateway(&[r#"{"n":1}"#]).await;
    // An HTTP/1.0 client is answered in HTTP/1.0.
    let old = raw_http(
        gw.addr,
        &get("GET", PATH, "").replace("HTTP/1.1", "HTTP/1.0"),
    )
    .await;
    assert!(old.starts_with("HTTP/1.0 200 OK\r\n"), "{old}");
    let bad = raw_http(gw.addr, "G(T / HTTP/1.1\r\nhost: gw\r\n\r\n").await;
    assert!(bad.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{bad}");
    // A target the request-line grammar takes but `http::Uri` refuses.
    let odd = raw_http(gw.addr, &get("GET", "/a<b>", "")).await;
    assert!(odd.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{odd}");
    // Past `conn.max_header_bytes` (64 KiB by default).
    let huge = get(
        "GET",
        PATH,
        &format!("x-filler: {}\r\n", "a".repeat(70_000)),
    );
    let too_big = raw_http(gw.addr, &huge).await;
    assert!(too_big.starts_with("HTTP/1.1 431 "), "{too_big}");
}

#[tokio::test]
async fn a_client_that_leaves_cancels_its_read_upstream() {
    // A HeyGen that reads a request and never answers; it reports when the
    // gateway gives up on the exchange.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (arrived_tx, arrived_rx) = tokio::sync::oneshot::channel();
    let (gone_tx, gone_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.expect("accept");
        let mut buf = Vec::new();
        while take_head(&mut buf).is_none() {
            if !read_more(&mut tcp, &mut buf).await {
                return;
            }
        }
        let _ = arrived_tx.send(());
        let _ = tcp.read_to_end(&mut buf).await;
        let _ = gone_tx.send(());
    });
    let cfg = TestConfig::new(&url).set("server", "io_threads", "1").set(
        "upstream",
        "request_timeout_ms",
        "60000",
    );
    let gw = TestGateway::start(cfg.tenant("alpha", crate::org_wide)).await;
    let mut tcp = TcpStream::connect(gw.addr).await.expect("connect");
    tcp.write_all(get("GET", PATH, "").as_bytes())
        .await
        .expect("write");
    // The client leaves once HeyGen has the read, not before.
    tokio::time::timeout(Duration::from_secs(10), arrived_rx)
        .await
        .expect("the read reached HeyGen")
        .expect("HeyGen stand-in");
    drop(tcp);
    tokio::time::timeout(Duration::from_secs(10), gone_rx)
        .await
        .expect("the exchange was dropped long before HeyGen's timeout")
        .expect("HeyGen stand-in");
}
