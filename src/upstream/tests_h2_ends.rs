//! How HTTP/2 answers end (`pool::h2conn`, `h2body`): trailers after
//! the data, a `HEAD` answer with no body, HeyGen's reset after a whole
//! answer and before one, and a connection HeyGen goes away from.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method};
use http_body_util::BodyExt;
use tokio::sync::mpsc;

use super::super::unsent::{frame, goaway, raw_h2};
use super::{ask, chan, h2_conns, h2_server, head, post, upstream, upstream_from};

#[tokio::test]
async fn trailers_reach_the_body_and_a_head_answer_has_none() {
    let (port, _) = h2_server(|req, mut respond| async move {
        if req.uri().path() == "/v1/empty" {
            // No length named; the head ends the stream.
            let _ = respond.send_response(head(200, &[]), true);
            return;
        }
        if req.method() == Method::HEAD {
            let resp = head(200, &[("content-length", "42".into())]);
            let _ = respond.send_response(resp, true);
            return;
        }
        let resp = head(200, &[("content-length", "2".into())]);
        let mut tx = respond.send_response(resp, false).expect("head");
        tx.send_data(Bytes::from_static(b"ok"), false)
            .expect("data");
        let mut trailers = HeaderMap::new();
        trailers.insert("x-checksum", "abc".parse().expect("value"));
        tx.send_trailers(trailers).expect("trailers");
    })
    .await;
    let up = upstream(port);
    let resp = ask(&up, Method::GET, "/v1/t").await.expect("answer");
    assert_eq!(http_body::Body::size_hint(resp.body()).exact(), Some(2));
    let all = resp.into_body().collect().await.expect("body");
    assert_eq!(
        all.trailers().map(|t| &t["x-checksum"]),
        Some(&"abc".parse().expect("v"))
    );
    assert_eq!(&all.to_bytes()[..], b"ok");

    let resp = ask(&up, Method::HEAD, "/v1/t").await.expect("answer");
    assert_eq!(resp.headers()["content-length"], "42");
    assert!(http_body::Body::is_end_stream(resp.body()));
    assert_eq!(http_body::Body::size_hint(resp.body()).exact(), Some(0));

    let resp = ask(&up, Method::GET, "/v1/empty").await.expect("answer");
    assert_eq!(http_body::Body::size_hint(resp.body()).exact(), Some(0));
}

#[tokio::test]
async fn a_reset_with_no_error_ends_a_whole_answer_and_fails_a_short_one() {
    // HeyGen answers 400 with `Content-Length: 2` without reading the
    // body, then stops it with RST_STREAM(NO_ERROR), in one write: after
    // the two bytes and the end of its stream, or after one byte, short.
    for (short, read) in [(false, Some("no")), (true, None)] {
        let port = raw_h2(move |stream| {
            // `:status: 400` and `content-length: 2`, in HPACK.
            let head = [0x8c, 0x0f, 0x0d, 0x01, b'2'];
            let (data, end): (&[u8], u8) = if short { (b"n", 0) } else { (b"no", 1) };
            let mut frames = frame(1, 0x4, stream, &head);
            frames.extend(frame(0, end, stream, data));
            frames.extend(frame(3, 0, stream, &[0, 0, 0, 0]));
            (frames, false)
        })
        .await;
        let up = upstream(port);
        // The body never ends: HeyGen's reset is what stops it.
        let (_tx, body) = chan();
        let resp = post(&up, HeaderMap::new(), body).await.expect("answer");
        assert_eq!(resp.status(), 400);
        let got = up.read_body(resp.into_body(), 1024).await;
        match read {
            Some(whole) => assert_eq!(&got.expect("whole")[..], whole.as_bytes()),
            None => assert!(got.is_err(), "{got:?}"),
        }
    }
}

#[tokio::test]
async fn a_connection_heygen_went_away_from_is_replaced_and_each_request_sent_once() {
    let streams = Arc::new(AtomicUsize::new(0));
    let (closed_tx, mut closed) = mpsc::unbounded_channel();
    let count = streams.clone();
    let (port, accepted) = h2_conns(move |mut conn| {
        let (count, closed_tx) = (count.clone(), closed_tx.clone());
        async move {
            // One answer per connection, then a GOAWAY and the close.
            if let Some(Ok((_, mut respond))) = conn.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let _ = respond.send_response(head(200, &[]), true);
                conn.graceful_shutdown();
                while let Some(Ok(_)) = conn.accept().await {
                    count.fetch_add(1, Ordering::SeqCst);
                }
            }
            let _ = closed_tx.send(());
        }
    })
    .await;
    let up = upstream(port);
    for round in 1..=3 {
        let resp = ask(&up, Method::GET, "/v1/a").await.expect("answer");
        assert_eq!(resp.status(), 200);
        closed.recv().await.expect("closed");
        assert_eq!(accepted.load(Ordering::SeqCst), round);
        assert_eq!(streams.load(Ordering::SeqCst), round);
    }
}

#[tokio::test]
async fn a_busy_connection_heygen_went_away_from_sends_the_next_request_on_a_new_one() {
    // The first request's stream gets a GOAWAY naming it (it runs on, and
    // keeps the connection open) and no answer; every later stream, on
    // any connection, is answered 200.
    let streams = Arc::new(AtomicUsize::new(0));
    let count = streams.clone();
    let port = raw_h2(move |stream| match count.fetch_add(1, Ordering::SeqCst) {
        0 => (goaway(stream), false),
        // `:status: 200`, ending the stream.
        _ => (frame(1, 0x5, stream, &[0x88]), false),
    })
    .await;
    let up = Arc::new(upstream(port));
    let first = tokio::spawn({
        let up = up.clone();
        async move { ask(&up, Method::GET, "/v1/a").await.map(|r| r.status()) }
    });
    // Until the pooled connection has seen the GOAWAY, while the first
    // request keeps it open (so the pool still hands it out).
    tokio::time::timeout(Duration::from_secs(10), async {
        while up.pool().h2_takes_streams(0) != Some(false) {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the GOAWAY is seen");
    let resp = ask(&up, Method::GET, "/v1/b")
        .await
        .expect("answered on a new connection");
    assert_eq!(resp.status(), 200);
    assert_eq!(streams.load(Ordering::SeqCst), 2, "each request sent once");
    first.abort();
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed_after_the_pools_timeout() {
    let (closed_tx, mut closed) = mpsc::unbounded_channel();
    let (port, _) = h2_conns(move |mut conn| {
        let closed_tx = closed_tx.clone();
        async move {
            while let Some(Ok((_, mut respond))) = conn.accept().await {
                let _ = respond.send_response(head(200, &[]), true);
            }
            // The client let go of the connection.
            let _ = closed_tx.send(());
        }
    })
    .await;
    let mut cfg = super::super::test_config(port);
    cfg.pool_idle_timeout = Duration::from_millis(200);
    let up = upstream_from(&cfg);
    let resp = ask(&up, Method::GET, "/v1/a").await.expect("answer");
    assert_eq!(resp.status(), 200);
    drop(resp);
    tokio::time::timeout(Duration::from_secs(10), closed.recv())
        .await
        .expect("closed within the idle timeout and a reaper tick")
        .expect("closed");
    assert_eq!(up.pool().h2_takes_streams(0), None, "no longer pooled");
}
