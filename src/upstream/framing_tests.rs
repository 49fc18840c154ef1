use super::*;

fn head<'a>(pairs: &'a [(&str, &str)]) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + Clone {
    pairs.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes()))
}

fn frame(pairs: &[(&str, &str)]) -> Result<(Decoder, bool), FramingError> {
    framing(false, StatusCode::OK, Version::HTTP_11, head(pairs))
}

/// Decodes `wire` fed in pieces of `step` bytes: the body and what is
/// left in the buffer after it.
fn decode_in_steps(
    mut d: Decoder,
    wire: &[u8],
    step: usize,
) -> Result<(Vec<u8>, Vec<u8>), FramingError> {
    let mut buf = BytesMut::new();
    let mut body = Vec::new();
    for piece in wire.chunks(step) {
        buf.extend_from_slice(piece);
        while let Some(data) = d.decode(&mut buf)? {
            body.extend_from_slice(&data);
        }
    }
    if !d.is_done() {
        d.end()?;
    }
    Ok((body, buf.to_vec()))
}

#[test]
fn content_length_delimits_the_body_and_keeps_the_connection() {
    assert_eq!(
        frame(&[("content-length", "5")]),
        Ok((Decoder::Length(5), true))
    );
    assert_eq!(frame(&[("content-length", "0")]), Ok((Decoder::Done, true)));
    // Repeated values that agree are one length (RFC 9112 §6.3 ¶5).
    assert_eq!(
        frame(&[("content-length", "7, 7"), ("content-length", "7")]),
        Ok((Decoder::Length(7), true))
    );
    for (wire, step) in [(&b"hello"[..], 1), (b"hello", 5)] {
        let (body, rest) = decode_in_steps(Decoder::Length(5), wire, step).expect("decoded");
        assert_eq!(
            (body.as_slice(), rest.as_slice()),
            (&b"hello"[..], &b""[..])
        );
    }
    // Bytes past the length are not this body's (and the pool then
    // drops the connection, see `body::Plain::finish`).
    let (body, rest) = decode_in_steps(Decoder::Length(2), b"okHTTP", 6).expect("decoded");
    assert_eq!(
        (body.as_slice(), rest.as_slice()),
        (&b"ok"[..], &b"HTTP"[..])
    );
}

#[test]
fn lengths_that_disagree_or_are_not_digits_are_refused() {
    for bad in [
        "5, 6",
        "-1",
        "+5",
        "0x10",
        "",
        "5 5",
        "99999999999999999999",
    ] {
        assert_eq!(
            frame(&[("content-length", bad)]),
            Err(FramingError::BadLength),
            "{bad:?}"
        );
    }
    assert_eq!(
        frame(&[("content-length", "5"), ("content-length", "6")]),
        Err(FramingError::BadLength)
    );
}

#[test]
fn a_body_cut_short_is_an_error_not_an_end() {
    assert_eq!(
        decode_in_steps(Decoder::Length(5), b"hel", 3),
        Err(FramingError::Truncated)
    );
    let chunked = Decoder::Chunked(Chunk::Size);
    assert_eq!(
        decode_in_steps(chunked, b"5\r\nhel", 2),
        Err(FramingError::Truncated)
    );
}

#[test]
fn chunked_bodies_are_decoded_in_any_pieces() {
    let wire = b"5\r\nhello\r\n7;ext=\"x\"\r\n, world\r\nA \r\n0123456789\r\n0\r\nx-trailer: 1\r\n\r\nNEXT";
    for step in [1, 2, 3, 7, wire.len()] {
        let (body, rest) =
            decode_in_steps(Decoder::Chunked(Chunk::Size), wire, step).expect("decoded");
        assert_eq!(body, b"hello, world0123456789", "step {step}");
        assert_eq!(rest, b"NEXT", "step {step}");
    }
}

#[test]
fn malformed_chunks_are_refused() {
    for wire in [
        &b"5\nhello\r\n0\r\n\r\n"[..], // bare LF
        b"5\r\nhelloXX0\r\n\r\n",      // data not followed by CRLF
        b"zz\r\n",                     // not hex
        b"\r\n",                       // no size
        b"5x\r\nhello\r\n",            // junk after the size
        b"1000000000000000\r\n",       // 16 hex digits: past any body
        b"5\r\rhello\r\n",             // a CR inside the line
    ] {
        let r = decode_in_steps(Decoder::Chunked(Chunk::Size), wire, wire.len());
        assert_eq!(
            r,
            Err(FramingError::BadChunk),
            "{:?}",
            String::from_utf8_lossy(wire)
        );
    }
    let endless = vec![b'a'; MAX_LINE + 2];
    let mut long_ext = b"5;".to_vec();
    long_ext.extend_from_slice(&endless);
    let r = decode_in_steps(Decoder::Chunked(Chunk::Size), &long_ext, 512);
    assert_eq!(r, Err(FramingError::BadChunk));
    let mut trailers = b"0\r\n".to_vec();
    for _ in 0..(MAX_TRAILERS / 10) {
        trailers.extend_from_slice(b"x: 123456\r\n");
    }
    let r = decode_in_steps(Decoder::Chunked(Chunk::Size), &trailers, 100);
    assert_eq!(r, Err(FramingError::BadChunk));
}

#[test]
fn transfer_coding_wins_over_length_and_the_connection_is_not_reused() {
    assert_eq!(
        frame(&[("transfer-encoding", "chunked")]),
        Ok((Decoder::Chunked(Chunk::Size), true))
    );
    assert_eq!(
        frame(&[("transfer-encoding", "gzip, Chunked")]),
        Ok((Decoder::Chunked(Chunk::Size), true))
    );
    assert_eq!(
        frame(&[("transfer-encoding", "chunked"), ("content-length", "5")]),
        Ok((Decoder::Chunked(Chunk::Size), false))
    );
    // Not chunked last: the body runs to the connection's end.
    assert_eq!(
        frame(&[("transfer-encoding", "chunked, gzip")]),
        Ok((Decoder::UntilClose, false))
    );
    assert_eq!(
        frame(&[
            ("transfer-encoding", "chunked"),
            ("transfer-encoding", "gzip")
        ]),
        Ok((Decoder::UntilClose, false))
    );
    // An invalid length beside a coding is ignored with the length.
    assert_eq!(
        frame(&[("content-length", "x"), ("Transfer-Encoding", "chunked")]),
        Ok((Decoder::Chunked(Chunk::Size), false))
    );
}

#[test]
fn without_length_or_coding_the_body_runs_to_the_close() {
    assert_eq!(frame(&[]), Ok((Decoder::UntilClose, false)));
    let (body, rest) = decode_in_steps(Decoder::UntilClose, b"all of it", 4).expect("decoded");
    assert_eq!(
        (body.as_slice(), rest.as_slice()),
        (&b"all of it"[..], &b""[..])
    );
}

#[test]
fn bodiless_answers_and_closing_connections() {
    let length = [("content-length", "50")];
    let empty = |head_req, status| framing(head_req, status, Version::HTTP_11, head(&length));
    assert_eq!(empty(true, StatusCode::OK), Ok((Decoder::Done, true)));
    assert_eq!(
        empty(false, StatusCode::NO_CONTENT),
        Ok((Decoder::Done, true))
    );
    assert_eq!(
        empty(false, StatusCode::NOT_MODIFIED),
        Ok((Decoder::Done, true))
    );
    let close = [("connection", "keep-alive, Close"), ("content-length", "1")];
    assert_eq!(
        framing(false, StatusCode::OK, Version::HTTP_11, head(&close)),
        Ok((Decoder::Length(1), false))
    );
    assert_eq!(
        framing(false, StatusCode::OK, Version::HTTP_10, head(&length)),
        Ok((Decoder::Length(50), false))
    );
}

#[test]
fn only_fields_of_this_connection_and_a_coded_answers_length_are_consumed() {
    let hop = |n: &str, v: &str| consumed(n.as_bytes(), v.as_bytes(), false);
    assert!(hop("Connection", "keep-alive"));
    assert!(hop("connection", "Keep-Alive, close"));
    assert!(hop("keep-alive", "timeout=5"));
    assert!(hop("Transfer-Encoding", "chunked"));
    // A `Connection` naming another field stays, for the relay to strip
    // that field too; everything else is end to end.
    assert!(!hop("connection", "keep-alive, x-secret"));
    assert!(!hop("content-length", "2"));
    assert!(!hop("x-keep-alive", "1"));
    assert!(!hop("content-encoding", "gzip"));
    // With a transfer coding, the length is not the body's.
    assert!(consumed(b"Content-Length", b"3", true));
    assert!(!consumed(b"content-type", b"text/plain", true));
}
