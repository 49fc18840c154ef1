//! HTTP/2 to HeyGen (`pool::h2conn`) against an `h2` server over TLS:
//! bodies past HTTP/2's windows both ways, a tenant's body failing or
//! outlived by an early answer, trailers, HeyGen's reset after a whole
//! answer, and a connection HeyGen goes away from.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response};
use http_body::Frame;
use http_body_util::BodyExt;
use tokio::sync::mpsc;

use super::{acceptor, client_tls, listen, test_config};
use crate::config::Secret;
use crate::http::BoxError;
use crate::upstream::{Host, Upstream, UpstreamError};

type Respond = h2::server::SendResponse<Bytes>;
/// A server-side HTTP/2 connection over TLS.
pub(super) type ServerConn =
    h2::server::Connection<tokio_rustls::server::TlsStream<tokio::net::TcpStream>, Bytes>;

/// An HTTP/2-only TLS server running `serve` on each connection once its
/// TLS and HTTP/2 handshakes are done.
pub(super) async fn h2_conns<F, Fut>(serve: F) -> (u16, Arc<AtomicUsize>)
where
    F: Fn(ServerConn) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let tls = acceptor(&[b"h2"]);
    listen(move |tcp| {
        let (tls, serve) = (tls.clone(), serve.clone());
        async move {
            let Ok(io) = tls.accept(tcp).await else {
                return;
            };
            if let Ok(conn) = h2::server::handshake(io).await {
                serve(conn).await;
            }
        }
    })
    .await
}

/// An HTTP/2-only TLS server running `handle` on each request stream.
pub(super) async fn h2_server<F, Fut>(handle: F) -> (u16, Arc<AtomicUsize>)
where
    F: Fn(Request<h2::RecvStream>, Respond) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    h2_conns(move |mut conn| {
        let handle = handle.clone();
        async move {
            while let Some(Ok((req, respond))) = conn.accept().await {
                tokio::spawn(handle(req, respond));
            }
        }
    })
    .await
}

pub(super) fn upstream(port: u16) -> Upstream {
    upstream_from(&test_config(port))
}

/// An upstream with `cfg`, trusting the test CA.
pub(super) fn upstream_from(cfg: &crate::config::UpstreamConfig) -> Upstream {
    Upstream::with_tls(cfg, Secret::new("sk_org"), 0, client_tls(), None).expect("upstream")
}

/// `method path` without a body: the answer's head.
pub(super) async fn ask(
    up: &Upstream,
    method: Method,
    path: &str,
) -> Result<Response<crate::upstream::UpBody>, UpstreamError> {
    let empty = crate::http::empty();
    up.send(Host::Api, method, path, HeaderMap::new(), empty)
        .await
}

/// The whole of a request body, its window given back as it is read.
async fn read_all(body: &mut h2::RecvStream) -> Result<Vec<u8>, h2::Error> {
    let mut all = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        let _ = body.flow_control().release_capacity(chunk.len());
        all.extend_from_slice(&chunk);
    }
    Ok(all)
}

pub(super) fn head(status: u16, headers: &[(&str, String)]) -> Response<()> {
    let mut resp = Response::builder().status(status);
    for (name, value) in headers {
        resp = resp.header(*name, value.as_str());
    }
    resp.body(()).expect("head")
}

/// A request body fed from a channel, for bodies that arrive over time.
pub(super) fn chan() -> (
    mpsc::UnboundedSender<Result<Bytes, BoxError>>,
    crate::http::Body,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Result<Bytes, BoxError>>();
    let frames = futures_util::stream::poll_fn(move |cx| {
        rx.poll_recv(cx)
            .map(|chunk| chunk.map(|c| c.map(Frame::data)))
    });
    (tx, http_body_util::StreamBody::new(frames).boxed())
}

pub(super) async fn post(
    up: &Upstream,
    headers: HeaderMap,
    body: crate::http::Body,
) -> Result<Response<crate::upstream::UpBody>, UpstreamError> {
    up.send(Host::Api, Method::POST, "/v1/echo", headers, body)
        .await
}

#[tokio::test]
async fn bodies_past_http2s_windows_cross_whole_both_ways_on_one_connection() {
    // Echoes the body twice (6 MB: past the client's 2 MB stream window
    // and 5 MB connection window), naming the length the request declared.
    let (port, accepted) = h2_server(|req, mut respond| async move {
        let (parts, mut body) = req.into_parts();
        let got = read_all(&mut body).await.expect("request body");
        let declared = parts.headers.get("content-length");
        let resp = head(
            200,
            &[
                ("x-declared", format!("{declared:?}")),
                ("content-length", (got.len() * 2).to_string()),
            ],
        );
        let mut tx = respond.send_response(resp, false).expect("head");
        tx.send_data(Bytes::from(got.clone()), false).expect("data");
        tx.send_data(Bytes::from(got), true).expect("data");
    })
    .await;
    let up = upstream(port);
    let payload: Bytes = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    // In one piece, of a known length; then in pieces, of none.
    let whole = crate::http::full(payload.clone());
    let pieces: Vec<Result<Frame<Bytes>, BoxError>> = payload
        .chunks(100_000)
        .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
        .collect();
    let streamed = http_body_util::StreamBody::new(futures_util::stream::iter(pieces)).boxed();
    for (body, declared) in [(whole, "Some(\"3000000\")"), (streamed, "None")] {
        let resp = post(&up, HeaderMap::new(), body).await.expect("answer");
        assert_eq!(resp.headers()["x-declared"], declared);
        let echoed = up.read_body(resp.into_body(), 8 << 20).await.expect("body");
        assert_eq!(echoed.len(), 6_000_000);
        assert!(echoed[..3_000_000] == payload && echoed[3_000_000..] == payload);
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_header_http2_forbids_is_refused_before_anything_is_sent() {
    // The proxy strips hop-by-hop headers (`proxy::headers`); a caller
    // that did not gets a clear error, and HeyGen no stream.
    let streams = Arc::new(AtomicUsize::new(0));
    let count = streams.clone();
    let (port, _) = h2_server(move |_, mut respond| {
        count.fetch_add(1, Ordering::SeqCst);
        async move {
            let _ = respond.send_response(head(204, &[]), true);
        }
    })
    .await;
    let up = upstream(port);
    let mut headers = HeaderMap::new();
    headers.insert("connection", "keep-alive".parse().expect("value"));
    let err = post(&up, headers, crate::http::full("{}"))
        .await
        .expect_err("refused");
    // A request after it, on the same connection, is HeyGen's first.
    let resp = post(&up, HeaderMap::new(), crate::http::full("{}")).await;
    assert_eq!(resp.expect("answer").status(), 204);
    assert_eq!(streams.load(Ordering::SeqCst), 1);
    let UpstreamError::Unreachable(why) = err else {
        panic!("{err:?}");
    };
    assert!(why.contains("malformed headers"), "{why}");
}

#[tokio::test]
async fn a_body_failing_before_the_answer_fails_the_request_with_its_own_error() {
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    let (port, _) = h2_server(move |req, _respond| {
        let seen_tx = seen_tx.clone();
        async move {
            let outcome = read_all(&mut req.into_body()).await;
            let _ = seen_tx.send(outcome.map_err(|e| e.reason()));
        }
    })
    .await;
    let up = upstream(port);
    let (tx, body) = chan();
    tx.send(Ok(Bytes::from_static(b"{\"video_inputs\":")))
        .expect("open");
    tx.send(Err(Box::new(crate::http::BodyReadTimeout)))
        .expect("open");
    let err = post(&up, HeaderMap::new(), body).await.expect_err("failed");
    assert!(matches!(err, UpstreamError::ClientBodyTimeout), "{err:?}");
    // HeyGen saw the stream cancelled, never a shorter body that ended.
    let seen = seen.recv().await.expect("the server read the stream");
    assert_eq!(seen, Err(Some(h2::Reason::CANCEL)));
}

#[tokio::test]
async fn an_answer_before_the_body_ends_is_returned_and_the_rest_still_sent() {
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    let (port, _) = h2_server(move |req, mut respond| {
        let seen_tx = seen_tx.clone();
        async move {
            let mut tx = respond.send_response(head(202, &[]), false).expect("head");
            tx.send_data(Bytes::from_static(b"early"), true)
                .expect("data");
            let read = read_all(&mut req.into_body()).await;
            let _ = seen_tx.send(read.map(|b| b.len()).map_err(|e| e.reason()));
        }
    })
    .await;
    let up = upstream(port);
    let (tx, body) = chan();
    tx.send(Ok(Bytes::from(vec![1u8; 1000]))).expect("open");
    let resp = post(&up, HeaderMap::new(), body).await.expect("answer");
    assert_eq!(resp.status(), 202);
    let answer = up.read_body(resp.into_body(), 1024).await.expect("body");
    assert_eq!(&answer[..], b"early");
    // The rest of the body, after the answer, still reaches HeyGen.
    tx.send(Ok(Bytes::from(vec![2u8; 500]))).expect("open");
    drop(tx);
    assert_eq!(seen.recv().await.expect("read"), Ok(1500));
}

#[tokio::test]
async fn the_rest_of_a_body_heygen_neither_reads_nor_resets_is_given_up() {
    // HeyGen answers at once, then leaves the body unread: its 64 KB
    // window fills and is never opened again, and what is left of the
    // body waits for window. Past the request timeout the stream is reset
    // instead of waiting forever: for a body in one piece past the window
    // (the rest of the piece waits) and for one that goes on after the
    // answer (its next piece waits).
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    let (port, _) = h2_server(move |req, mut respond| {
        let seen_tx = seen_tx.clone();
        async move {
            let _ = respond.send_response(head(202, &[]), true);
            let mut body = req.into_body();
            // Read without giving window back.
            let outcome = loop {
                match body.data().await {
                    Some(Ok(_)) => {}
                    Some(Err(e)) => break Err(e.reason()),
                    None => break Ok(()),
                }
            };
            let _ = seen_tx.send(outcome);
        }
    })
    .await;
    let mut cfg = test_config(port);
    cfg.request_timeout = std::time::Duration::from_millis(300);
    let up = upstream_from(&cfg);
    let (tx, streamed) = chan();
    tx.send(Ok(Bytes::from(vec![7u8; 100_000]))).expect("open");
    let whole = crate::http::full(vec![7u8; 200_000]);
    for (body, after) in [(whole, None), (streamed, Some(&tx))] {
        let resp = post(&up, HeaderMap::new(), body).await.expect("answer");
        assert_eq!(resp.status(), 202);
        if let Some(tx) = after {
            tx.send(Ok(Bytes::from(vec![8u8; 1_000]))).expect("open");
        }
        let outcome = tokio::time::timeout(std::time::Duration::from_secs(10), seen.recv())
            .await
            .expect("the stream ended");
        assert_eq!(outcome, Some(Err(Some(h2::Reason::CANCEL))));
    }
}

#[path = "tests_h2_ends.rs"]
mod ends;
