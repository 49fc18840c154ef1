//! Writing answers on the own loop (`respond::write`): what the client
//! gets when a body does not end where its length says, and how a client
//! that stops reading is seen by the connection's watchdog.

use std::future::Future;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use http::Response;
use http_body_util::StreamBody;
use tokio::io::{AsyncReadExt, DuplexStream};

use super::{write, Watch};
use crate::conn::{IdleTracker, Timeouts, Tracked};
use crate::http::{boxed, Body, BoxError};

fn piece(n: usize) -> Result<http_body::Frame<Bytes>, BoxError> {
    Ok(http_body::Frame::data(Bytes::from(vec![b'x'; n])))
}

/// A body of `pieces` that then never ends (a HeyGen that neither sends
/// more nor ends its stream).
fn open(pieces: Vec<Result<http_body::Frame<Bytes>, BoxError>>) -> Body {
    boxed(StreamBody::new(
        futures_util::stream::iter(pieces).chain(futures_util::stream::pending()),
    ))
}

/// An answer declaring `length` bytes whose body gives `bytes`, then
/// never ends.
fn declaring(length: usize, bytes: &'static [u8]) -> Response<Body> {
    let piece = Ok(http_body::Frame::data(Bytes::from_static(bytes)));
    Response::builder()
        .header("content-length", length)
        .body(open(vec![piece]))
        .expect("response")
}

/// Starts writing `resp`, its request counted on `tracker`, to a client
/// whose socket holds `room` bytes: the client's end, and the write
/// (whether the connection may carry another request).
fn start(
    resp: Response<Body>,
    tracker: &IdleTracker,
    room: usize,
) -> (
    DuplexStream,
    impl Future<Output = Result<bool, BoxError>> + Send,
) {
    let resp = resp.map(|b| Tracked::new(b, tracker.begin()));
    let (client, mut server) = tokio::io::duplex(room);
    let wrote = async move {
        let (mut out, mut buf) = (Vec::new(), BytesMut::new());
        let mut watch = Watch::new(1024, false);
        let wrote = write(
            &mut server,
            &mut out,
            resp,
            false,
            false,
            &mut watch,
            &mut buf,
        );
        Ok(wrote.await?.0)
    };
    (client, wrote)
}

/// Writes `resp` to a client that reads everything, and returns whether
/// the connection may carry another request, and the bytes the client got.
async fn written(resp: Response<Body>) -> (bool, Vec<u8>) {
    let (mut client, wrote) = start(resp, &IdleTracker::new(), 1 << 20);
    let keep = tokio::time::timeout(Duration::from_secs(60), wrote)
        .await
        .expect("the answer is written without waiting for the body's end")
        .expect("written");
    let mut got = Vec::new();
    client.read_to_end(&mut got).await.expect("read");
    (keep, got)
}

/// A body that has given all its length is done with, whether or not it
/// says it has ended (an HTTP/2 stream may end only with a later, empty
/// frame): the client has its answer, and the connection goes on.
#[tokio::test(start_paused = true)]
async fn a_body_is_done_with_once_its_length_is_sent() {
    let (keep, got) = written(declaring(5, b"hello")).await;
    assert!(keep, "the connection carries the next request");
    let got = String::from_utf8(got).expect("ascii");
    assert!(
        got.starts_with("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n"),
        "{got}"
    );
    assert!(got.ends_with("\r\n\r\nhello"), "{got}");
}

/// Bytes past the length are cut, as hyper's encoder cuts them: the
/// client gets exactly what the head promised, and no error.
#[tokio::test(start_paused = true)]
async fn a_body_longer_than_its_length_is_cut_to_it() {
    let (keep, got) = written(declaring(4, b"abcdefgh")).await;
    assert!(keep);
    let got = String::from_utf8(got).expect("ascii");
    assert!(got.ends_with("\r\n\r\nabcd"), "{got}");
}

/// A client that stops reading while the loop writes is a stalled write,
/// whether the body is still open (its next piece awaited from HeyGen)
/// or its last piece is being written: the write timeout closes it. The
/// idle and head timeouts do not run while a request is in progress.
#[tokio::test(start_paused = true)]
async fn a_client_that_stops_reading_mid_write_is_closed_by_the_write_timeout() {
    let last = boxed(StreamBody::new(futures_util::stream::iter([piece(
        64 << 10,
    )])));
    for body in [open(vec![piece(1024)]), last] {
        let tracker = IdleTracker::new();
        // The client's end is kept, never read: writes past 64 bytes wait.
        let (_client, wrote) = start(Response::new(body), &tracker, 64);
        let writer = tokio::spawn(wrote);
        let hour = Duration::from_secs(3600);
        let write = Duration::from_secs(5);
        let t = Timeouts {
            idle: hour,
            head: hour,
            write,
        };
        tokio::time::timeout(Duration::from_secs(60), tracker.expired(t))
            .await
            .expect("the stalled write expires by the write timeout");
        assert!(!writer.is_finished(), "the write still waits on the client");
        writer.abort();
    }
}
