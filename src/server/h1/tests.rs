use bytes::{Bytes, BytesMut};
use http::{Response, StatusCode};
use http_body_util::{Empty, Full, StreamBody};

use super::encode::{self, Framing};
use super::head::{parse, Parsed};

fn parsed(wire: &str) -> (Parsed<()>, BytesMut) {
    let mut buf = BytesMut::from(wire);
    (
        parse(&mut buf, &mut http::HeaderMap::new(), |_, _, _, _| None),
        buf,
    )
}

#[test]
fn a_read_the_lane_takes_is_cut_from_the_buffer_and_built_no_further() {
    let mut buf = BytesMut::from(
        "HEAD /v2/voices?x=1 HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\nGET /next",
    );
    let mut seen = None;
    let mut spare = http::HeaderMap::new();
    let p = parse(&mut buf, &mut spare, |m, target, fields, _| {
        seen = Some((m.clone(), target.to_string(), fields.len()));
        Some("taken")
    });
    let Parsed::Taken {
        taken,
        head_request,
        close,
    } = p
    else {
        panic!("{p:?}")
    };
    assert_eq!((taken, head_request, close), ("taken", true, true));
    assert_eq!(seen, Some((http::Method::HEAD, "/v2/voices?x=1".into(), 2)));
    assert_eq!(&buf[..], b"GET /next");
}

#[test]
fn a_plain_read_is_taken_and_cut_from_the_buffer() {
    let (p, rest) =
        parsed("GET /v2/avatars?a=1 HTTP/1.1\r\nHost: gw\r\nX-Api-Key: k\r\n\r\nGET /next");
    let Parsed::Simple { req, close } = p else {
        panic!("{p:?}")
    };
    assert!(!close);
    assert_eq!(req.method(), http::Method::GET);
    assert_eq!(req.uri().path(), "/v2/avatars");
    assert_eq!(req.uri().query(), Some("a=1"));
    assert_eq!(req.version(), http::Version::HTTP_11);
    assert_eq!(req.headers()["x-api-key"], "k");
    assert_eq!(req.headers()["host"], "gw");
    assert_eq!(&rest[..], b"GET /next", "the next request stays");
}

#[test]
fn connection_close_is_noticed_among_other_tokens() {
    let (p, _) = parsed("HEAD / HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n");
    assert!(matches!(p, Parsed::Simple { close: true, .. }), "{p:?}");
}

#[test]
fn a_partial_head_waits_for_more() {
    for wire in ["", "GET / HT", "GET / HTTP/1.1\r\nHost: gw\r\n"] {
        let (p, rest) = parsed(wire);
        assert!(matches!(p, Parsed::Partial), "{wire:?}: {p:?}");
        assert_eq!(&rest[..], wire.as_bytes());
    }
}

#[test]
fn everything_else_is_left_whole_for_hyper() {
    let heads = [
        "POST /v2/video/generate HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}",
        "GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
        "GET / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
        "GET / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
        "GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
        "DELETE /v1/video.delete HTTP/1.1\r\n\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "GET / HTTP/1.1\r\nbad header\r\n\r\n",
        // httparse takes this target; `http::Uri` does not.
        "GET /a<b> HTTP/1.1\r\nhost: gw\r\n\r\nGET / HTTP/1.1\r\n\r\n",
    ];
    for wire in heads {
        let (p, rest) = parsed(wire);
        assert!(matches!(p, Parsed::Other), "{wire:?}: {p:?}");
        assert_eq!(&rest[..], wire.as_bytes(), "{wire:?}: the buffer is whole");
    }
    let many: String = (0..65).map(|i| format!("x-{i}: v\r\n")).collect();
    let wire = format!("GET / HTTP/1.1\r\n{many}\r\n");
    assert!(matches!(parsed(&wire).0, Parsed::Other), "too many fields");
}

/// The head `encode::head` writes for `resp`, and its framing and close.
fn encoded<B: http_body::Body>(
    resp: &Response<B>,
    head_request: bool,
    close: bool,
) -> (String, Framing, bool) {
    let mut out = Vec::new();
    let (parts, body) = (resp_parts(resp), resp.body());
    let (framing, close) = encode::head(&parts, body, head_request, close, &mut out);
    (String::from_utf8(out).expect("ascii"), framing, close)
}

fn resp_parts<B>(resp: &Response<B>) -> http::response::Parts {
    let mut r = Response::new(());
    *r.status_mut() = resp.status();
    *r.headers_mut() = resp.headers().clone();
    r.into_parts().0
}

fn full(s: &'static str) -> Full<Bytes> {
    Full::new(Bytes::from_static(s.as_bytes()))
}

#[test]
fn known_lengths_are_written_and_stale_framing_fields_dropped() {
    let resp = Response::builder()
        .header("content-type", "application/json")
        .header("content-length", "999")
        .header("transfer-encoding", "chunked")
        .body(full("{}"))
        .expect("response");
    let (head, framing, close) = encoded(&resp, false, false);
    assert_eq!(framing, Framing::Length(2));
    assert!(!close);
    assert!(
        head.starts_with(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\ndate: "
        ),
        "{head}"
    );
    assert!(head.ends_with(" GMT\r\n\r\n"), "{head}");
    assert!(!head.contains("999") && !head.contains("chunked"), "{head}");
}

#[test]
fn unknown_lengths_use_the_handlers_length_or_chunks() {
    let stream = || {
        let s = futures_util::stream::empty::<Result<http_body::Frame<Bytes>, std::io::Error>>();
        StreamBody::new(s)
    };
    let declared = Response::builder()
        .header("content-length", "12")
        .body(stream())
        .expect("r");
    let (head, framing, _) = encoded(&declared, false, false);
    assert_eq!(framing, Framing::Length(12));
    assert!(head.contains("\r\ncontent-length: 12\r\n"), "{head}");
    let open = Response::new(stream());
    let (head, framing, _) = encoded(&open, false, false);
    assert_eq!(framing, Framing::Chunked);
    assert!(
        head.contains("\r\ntransfer-encoding: chunked\r\n"),
        "{head}"
    );
}

#[test]
fn bodiless_answers_write_no_body() {
    // HEAD keeps the handler's length; an empty body adds none.
    let head_ok = Response::builder()
        .header("content-length", "11")
        .body(Empty::<Bytes>::new())
        .expect("r");
    let (head, framing, _) = encoded(&head_ok, true, false);
    assert_eq!(framing, Framing::None);
    assert!(head.contains("\r\ncontent-length: 11\r\n"), "{head}");
    let (head, _, _) = encoded(&Response::new(Empty::<Bytes>::new()), true, false);
    assert!(!head.contains("content-length"), "{head}");
    // 204: no length at all; an empty 200: length 0.
    let mut no_content = Response::new(full("ignored"));
    *no_content.status_mut() = StatusCode::NO_CONTENT;
    let (head, framing, _) = encoded(&no_content, false, false);
    assert_eq!(framing, Framing::None);
    assert!(
        head.starts_with("HTTP/1.1 204 No Content\r\n") && !head.contains("content-length"),
        "{head}"
    );
    let (head, framing, _) = encoded(&Response::new(Empty::<Bytes>::new()), false, false);
    assert_eq!(framing, Framing::None);
    assert!(head.contains("\r\ncontent-length: 0\r\n"), "{head}");
}

#[test]
fn closing_is_said_once_and_a_handlers_close_is_kept() {
    let (head, _, close) = encoded(&Response::new(full("x")), false, true);
    assert!(close);
    assert_eq!(head.matches("connection: close").count(), 1, "{head}");
    let asked = Response::builder()
        .header("connection", "close")
        .body(full("x"))
        .expect("r");
    let (head, _, close) = encoded(&asked, false, false);
    assert!(close, "the handler's close ends the connection");
    assert_eq!(head.matches("connection: close").count(), 1, "{head}");
    let dated = Response::builder()
        .header("date", "then")
        .body(full("x"))
        .expect("r");
    let (head, _, _) = encoded(&dated, false, false);
    assert_eq!(head.matches("date: ").count(), 1, "{head}");
}

#[test]
fn a_request_is_built_in_the_previous_answers_emptied_map() {
    let mut buf = BytesMut::from("GET /v2/avatars HTTP/1.1\r\nHost: gw\r\n\r\n");
    let mut spare = http::HeaderMap::with_capacity(40);
    spare.insert(
        "x-stale",
        http::HeaderValue::from_static("from the last answer"),
    );
    let Parsed::Simple { req, .. } = parse(&mut buf, &mut spare, |_, _, _, _| None::<()>) else {
        panic!("not taken")
    };
    assert!(req.headers().capacity() >= 40);
    assert_eq!(req.headers().len(), 1);
    assert_eq!(req.headers()["host"], "gw");
}

/// The loop moves each request's call several times before it polls it
/// (through `Parsed`, the tracker, `Either` and `until`), a `memcpy` each:
/// the stack's call must stay a few words (its future boxed, and the rare
/// `Oneshot`, ~400 bytes, too). The loop itself asserts the size of the
/// lane's boxed read in every test that drives the lane.
#[tokio::test]
async fn the_call_the_loop_moves_is_a_few_words() {
    use crate::server::per_connection::{Stack, TrackedResponseFuture};
    fn call_size<S: Stack>(_: &S) -> usize {
        std::mem::size_of::<TrackedResponseFuture<S>>()
    }
    let dir = tempfile::tempdir().expect("dir");
    let svc = crate::stack::tenant_service(crate::proxy::tests::state(&dir).await);
    assert!(call_size(&svc) <= 64, "{} bytes", call_size(&svc));
}
