//! The plain client against a scripted server that answers each request
//! it reads with the next of its answers, byte for byte: how answers are
//! delimited, when a connection is reused, and what a lost answer means.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{HeaderMap, Method};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::Secret;
use crate::test_tls::listen;
use crate::upstream::tests::{client_tls, get, test_config};
use crate::upstream::{Host, UpBody, Upstream, UpstreamError, X_API_KEY};

/// The next request's answer, and whether the server then closes.
type Answer = (&'static [u8], bool);
const OK: Answer = (b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok", false);
/// Closes the connection after reading the request, answering nothing.
const HANG_UP: Answer = (b"", true);

struct Scripted {
    port: u16,
    connections: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
}

async fn scripted(answers: Vec<Answer>) -> Scripted {
    let answers = Arc::new(answers);
    let next = Arc::new(AtomicUsize::new(0));
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = heads.clone();
    let (port, connections) = listen(move |mut tcp| {
        let (answers, next, seen) = (answers.clone(), next.clone(), seen.clone());
        async move {
            let mut buf = Vec::new();
            while let Some(head) = read_head(&mut tcp, &mut buf).await {
                seen.lock()
                    .expect("heads")
                    .push(String::from_utf8_lossy(&head).into_owned());
                let Some(&(bytes, close)) = answers.get(next.fetch_add(1, Ordering::SeqCst)) else {
                    return;
                };
                if tcp.write_all(bytes).await.is_err() || close {
                    return;
                }
            }
        }
    })
    .await;
    Scripted {
        port,
        connections,
        heads,
    }
}

/// The next request head read off `tcp` (`None` at its end); what
/// follows it stays in `buf`.
async fn read_head(tcp: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Some(buf.drain(..at + 4).collect());
        }
        let mut piece = [0u8; 1024];
        match tcp.read(&mut piece).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&piece[..n]),
        }
    }
}

fn plain_upstream(port: u16) -> Upstream {
    plain_upstream_with(port, Duration::from_secs(5), Duration::from_secs(5))
}

fn plain_upstream_with(port: u16, connect: Duration, request: Duration) -> Upstream {
    let mut cfg = test_config(port);
    cfg.api.scheme = http::uri::Scheme::HTTP;
    cfg.connect_timeout = connect;
    cfg.request_timeout = request;
    Upstream::with_tls(&cfg, Secret::new("sk_org"), 0, client_tls(), None).expect("upstream")
}

/// A bodiless request with the org key; its answer, the body unread.
async fn ask(up: &Upstream, method: Method) -> Result<http::Response<UpBody>, UpstreamError> {
    let mut headers = HeaderMap::new();
    headers.insert(X_API_KEY, up.org_key_header().clone());
    let empty = crate::http::empty();
    up.send(Host::Api, method, "/v1/a?b=c", headers, empty)
        .await
}

async fn try_get(up: &Upstream, method: Method) -> Result<(u16, String), UpstreamError> {
    let resp = ask(up, method).await?;
    let status = resp.status().as_u16();
    let body = up.read_body(resp.into_body(), 1 << 16).await.expect("body");
    Ok((status, String::from_utf8(body.to_vec()).expect("utf-8")))
}

/// One read per body in `bodies`, each answered 200 with it.
async fn assert_reads(up: &Upstream, bodies: &[&str]) {
    for body in bodies {
        let got = try_get(up, Method::GET).await.expect("answer");
        assert_eq!(got, (200, body.to_string()));
    }
}

#[tokio::test]
async fn reads_share_one_connection_and_name_the_host_and_the_org_key() {
    let s = scripted(vec![OK; 3]).await;
    let up = plain_upstream(s.port);
    for _ in 0..3 {
        assert_eq!(get(&up, "/v1/a?b=c".into()).await, "ok");
    }
    assert_eq!(s.connections.load(Ordering::SeqCst), 1);
    let heads = s.heads.lock().expect("heads").clone();
    let want = format!(
        "GET /v1/a?b=c HTTP/1.1\r\nhost: localhost:{}\r\nx-api-key: sk_org\r\n\r\n",
        s.port
    );
    assert_eq!(heads, vec![want; 3]);
}

#[tokio::test]
async fn an_answer_carries_exactly_heygens_fields_never_the_requests() {
    // The answer's fields go into the request's emptied map: nothing of
    // the request (the org key above all) may be left in it. Nor may the
    // fields that describe only this connection (`framing::consumed`).
    let answer = b"HTTP/1.1 200 OK\r\nconnection: keep-alive\r\ncontent-type: application/json\r\nx-a: 1\r\nKeep-Alive: timeout=5\r\nx-a: 2\r\ncontent-length: 2\r\n\r\nok";
    let s = scripted(vec![(answer, false), (answer, false)]).await;
    let up = plain_upstream(s.port);
    for _ in 0..2 {
        let resp = ask(&up, Method::GET).await.expect("answer");
        let fields: Vec<_> = resp
            .headers()
            .iter()
            .map(|(n, v)| format!("{n}: {}", v.to_str().expect("ascii")))
            .collect();
        assert_eq!(
            fields,
            [
                "content-type: application/json",
                "x-a: 1",
                "x-a: 2",
                "content-length: 2"
            ]
        );
        let body = up.read_body(resp.into_body(), 64).await.expect("body");
        assert_eq!(&body[..], b"ok");
    }
}

#[tokio::test]
async fn chunked_answers_are_decoded_and_informational_heads_skipped() {
    let chunked: Answer = (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\
          3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\nx-trailer: 1\r\n\r\n",
        false,
    );
    let s = scripted(vec![chunked, OK]).await;
    let up = plain_upstream(s.port);
    assert_reads(&up, &["abcdefg", "ok"]).await;
    assert_eq!(
        s.connections.load(Ordering::SeqCst),
        1,
        "reused after the chunked body"
    );
}

#[tokio::test]
async fn a_coded_answer_loses_the_length_it_also_claims() {
    // Chunked wins over the length (RFC 9112 §6.3): passed on, the 3 would
    // make the tenant's side cut the 7-byte body short.
    let both: Answer = (
        b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\nx-a: 1\r\n\r\n\
          7\r\nabcdefg\r\n0\r\n\r\n",
        true,
    );
    let s = scripted(vec![both]).await;
    let up = plain_upstream(s.port);
    let resp = ask(&up, Method::GET).await.expect("answer");
    let names: Vec<_> = resp.headers().keys().map(|n| n.as_str()).collect();
    assert_eq!(names, ["x-a"]);
    let body = up.read_body(resp.into_body(), 64).await.expect("body");
    assert_eq!(&body[..], b"abcdefg");
}

#[tokio::test]
async fn a_head_answer_has_no_body_whatever_its_length_says() {
    let head: Answer = (b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n", false);
    let s = scripted(vec![head, OK]).await;
    let up = plain_upstream(s.port);
    assert_eq!(
        try_get(&up, Method::HEAD).await.expect("answer"),
        (200, String::new())
    );
    assert_reads(&up, &["ok"]).await;
    assert_eq!(s.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn answers_that_close_or_run_to_the_close_are_not_followed_by_another_request() {
    let closing: Answer = (
        b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok",
        false,
    );
    let until_close: Answer = (b"HTTP/1.1 200 OK\r\n\r\nall of it", true);
    let s = scripted(vec![closing, until_close, OK]).await;
    let up = plain_upstream(s.port);
    assert_reads(&up, &["ok", "all of it", "ok"]).await;
    assert_eq!(s.connections.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_body_left_unread_closes_its_connection() {
    let long: Answer = (b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhel", false);
    let s = scripted(vec![long, OK]).await;
    let up = plain_upstream(s.port);
    drop(ask(&up, Method::GET).await.expect("head"));
    assert_reads(&up, &["ok"]).await;
    assert_eq!(s.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_reused_connection_closed_under_a_read_sends_it_again() {
    let s = scripted(vec![OK, HANG_UP, OK]).await;
    let up = plain_upstream(s.port);
    assert_reads(&up, &["ok", "ok"]).await;
    assert_eq!(s.connections.load(Ordering::SeqCst), 2);
    assert_eq!(
        s.heads.lock().expect("heads").len(),
        3,
        "asked twice, answered once"
    );
}

#[tokio::test]
async fn a_new_connection_that_answers_nothing_or_garbage_has_failed_after_sending() {
    let bad_length: Answer = (b"HTTP/1.1 200 OK\r\ncontent-length: 2, 3\r\n\r\nok", false);
    let not_http: Answer = (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", false);
    let cut: Answer = (b"HTTP/1.1 200 OK\r\ncontent-le", true);
    for answer in [HANG_UP, bad_length, not_http, cut] {
        let s = scripted(vec![answer]).await;
        let up = plain_upstream(s.port);
        let got = try_get(&up, Method::GET).await;
        assert!(
            matches!(got, Err(UpstreamError::Failed(_))),
            "{:?}: {got:?}",
            String::from_utf8_lossy(answer.0)
        );
        assert_eq!(s.heads.lock().expect("heads").len(), 1, "sent once");
    }
}

#[tokio::test]
async fn a_body_cut_short_is_an_error_to_its_reader() {
    let cut: Answer = (b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhel", true);
    let s = scripted(vec![cut]).await;
    let up = plain_upstream(s.port);
    let resp = ask(&up, Method::GET).await.expect("head");
    assert!(up.read_body(resp.into_body(), 1 << 16).await.is_err());
}

#[path = "plain_tests_retry.rs"]
mod retry;
