//! `upstream.proxy_url` end to end: a `serve` process whose only way to
//! the mock HeyGen is a `CONNECT` proxy (below, on loopback) that wants
//! Basic credentials. With the right ones a billable request goes through
//! the tunnel; with wrong ones the proxy answers 407 and the tenant gets
//! HeyGen's envelope with 502, its hold released, and HeyGen sees nothing.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::start_mock;
use crate::harness::{base_config, generate, Node};

/// The credentials the proxy accepts: `gw:s3cret` as Basic.
const WANTED: &str = "Basic Z3c6czNjcmV0";

/// Each `CONNECT`'s target and whether it was let through.
type Asked = Arc<Mutex<Vec<(String, bool)>>>;

/// A `CONNECT` proxy: its port and what it was asked.
async fn proxy() -> (u16, Asked) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = asked.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(tunnel(tcp, log.clone()));
        }
    });
    (port, asked)
}

async fn tunnel(mut tcp: TcpStream, asked: Asked) {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        match tcp.read_u8().await {
            Ok(b) => head.push(b),
            Err(_) => return,
        }
    }
    let head = String::from_utf8(head).unwrap();
    let target = head
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("not a CONNECT: {head}"))
        .to_owned();
    let allowed = head.lines().any(|l| {
        l.split_once(": ")
            .is_some_and(|(n, v)| n.eq_ignore_ascii_case("proxy-authorization") && v == WANTED)
    });
    asked.lock().unwrap().push((target.clone(), allowed));
    if !allowed {
        let refuse = "HTTP/1.1 407 Proxy Authentication Required\r\n\
                      Proxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\n\r\n";
        let _ = tcp.write_all(refuse.as_bytes()).await;
        return;
    }
    let Ok(mut host) = TcpStream::connect(&target).await else {
        return;
    };
    if tcp
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_ok()
    {
        let _ = tokio::io::copy_bidirectional(&mut tcp, &mut host).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_reaches_heygen_only_through_the_proxy() {
    let mock = start_mock().await;
    let (port, asked) = proxy().await;
    let url = format!("\"http://gw:s3cret@127.0.0.1:{port}\"");
    let mut node = Node::new(base_config(&mock, None).set("upstream", "proxy_url", &url));
    let gw = node.start().await;

    let r = generate(&gw.url("")).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(mock.requests_to("/v2/video/generate").len(), 1);
    let asked = asked.lock().unwrap().clone();
    assert!(!asked.is_empty());
    let mock_addr = mock.addr().to_string();
    assert!(
        asked.iter().all(|(t, ok)| *t == mock_addr && *ok),
        "{asked:?}"
    );
    // The password is in no log line.
    assert!(!gw.log_text().contains("s3cret"), "{}", gw.log_text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_refusing_the_credentials_is_a_502_and_heygen_sees_nothing() {
    let mock = start_mock().await;
    let (port, asked) = proxy().await;
    let url = format!("\"http://gw:wr0ng-pw@127.0.0.1:{port}\"");
    let mut node = Node::new(base_config(&mock, None).set("upstream", "proxy_url", &url));
    let gw = node.start().await;

    let r = generate(&gw.url("")).await.unwrap();
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.header("x-gateway-rejected"), Some("upstream_unreachable"));
    assert_eq!(r.json()["error"]["code"], "bad_gateway", "{}", r.text());
    assert_eq!(mock.count(), 0, "nothing reached HeyGen");
    let asked = asked.lock().unwrap().clone();
    assert!(
        asked.iter().all(|(_, ok)| !ok) && !asked.is_empty(),
        "{asked:?}"
    );
    // A second try is refused the same way: nothing was held for the first.
    let r = generate(&gw.url("")).await.unwrap();
    assert_eq!(r.status, 502, "{}", r.text());
    // The log says why, naming the proxy's answer but not the password.
    let log = gw.log_text();
    assert!(log.contains("407 Proxy Authentication Required"), "{log}");
    assert!(!log.contains("wr0ng-pw"), "{log}");
}
