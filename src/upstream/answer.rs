//! The plain client's reading of one answer from its bytes alone, without
//! a connection: the same head parsing (`pool::plain_head::final_head`) and
//! body framing (`framing`) as a real exchange, fed any number of bytes at
//! a time. The fuzz target `upstream_answer` (`fuzz/harness/`) checks that
//! how HeyGen's bytes arrive never changes what they are read as: a
//! framing that depended on it could hand one answer's bytes to the next
//! request on the connection.

use bytes::BytesMut;

use super::pool::final_head;

/// One answer as the plain client reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    /// Whether the connection would carry another request: kept alive,
    /// and nothing arrived after the answer.
    pub reusable: bool,
    /// What arrived after the answer.
    pub rest: Vec<u8>,
}

/// Reads `wire` as the answer to a `GET` (or, with `head_request`, a
/// `HEAD`), `step` bytes at a time, then the connection's end. The error
/// says why the client would have failed the read.
pub fn read_answer(wire: &[u8], step: usize, head_request: bool) -> Result<Answer, String> {
    let mut pieces = wire.chunks(step.max(1));
    let mut buf = BytesMut::new();
    let mut heard = false;
    let head = loop {
        match final_head(
            &mut buf,
            head_request,
            &mut heard,
            &mut http::HeaderMap::new(),
            false,
        ) {
            Ok(Some(head)) => break head,
            Ok(None) => match pieces.next() {
                Some(piece) => buf.extend_from_slice(piece),
                None if heard => return Err("closed mid-answer".into()),
                None => return Err("closed unanswered".into()),
            },
            Err(e) => return Err(e.to_string()),
        }
    };
    let (mut decoder, keep) = head.framing.map_err(|e| e.to_string())?;
    let mut body = Vec::new();
    while !decoder.is_done() {
        while let Some(data) = decoder.decode(&mut buf).map_err(|e| e.to_string())? {
            body.extend_from_slice(&data);
        }
        if !decoder.is_done() {
            match pieces.next() {
                Some(piece) => buf.extend_from_slice(piece),
                None => decoder.end().map_err(|e| e.to_string())?,
            }
        }
    }
    for piece in pieces {
        buf.extend_from_slice(piece);
    }
    Ok(Answer {
        status: head.status.as_u16(),
        body,
        reusable: keep && buf.is_empty(),
        rest: buf.to_vec(),
    })
}

/// The final head of the answer in `wire` to a `GET` (or a `HEAD`), as
/// the plain client takes it: its status, its fields' map and, with `raw`
/// (the fast lane's reads), its fields as bytes where they can be (the map
/// then empty). The error says why the client would fail the read, its
/// body's framing included. Tests compare the two ways with it.
#[cfg(test)]
pub(crate) fn head_fields(
    wire: &[u8],
    head_request: bool,
    raw: bool,
) -> Result<
    (
        u16,
        http::HeaderMap,
        Option<crate::http::raw_fields::RawFields>,
    ),
    String,
> {
    let mut buf = BytesMut::from(wire);
    let mut spare = http::HeaderMap::new();
    match final_head(&mut buf, head_request, &mut false, &mut spare, raw) {
        Ok(Some(head)) => match head.framing {
            Ok(_) => Ok((head.status.as_u16(), head.headers, head.raw)),
            Err(e) => Err(e.to_string()),
        },
        Ok(None) => Err("no whole head".into()),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_reads_the_same_in_any_pieces() {
        let wire = b"HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n\
            HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nHTTP/1.1";
        let whole = read_answer(wire, wire.len(), false).expect("read");
        assert_eq!(whole.status, 200);
        assert_eq!(whole.body, b"abc");
        assert_eq!(whole.rest, b"HTTP/1.1");
        assert!(!whole.reusable, "bytes after the answer");
        for step in 1..wire.len() {
            assert_eq!(
                read_answer(wire, step, false).as_ref(),
                Ok(&whole),
                "step {step}"
            );
        }
    }

    #[test]
    fn what_the_client_refuses_is_an_error() {
        let refused: [&[u8]; 4] = [
            b"",
            b"HTTP/1.1 200 OK\r\ncontent-length: 1",
            b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nshort",
        ];
        for wire in refused {
            assert!(read_answer(wire, 3, false).is_err(), "{wire:?}");
        }
        let head = read_answer(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n", 3, true);
        assert_eq!(head.map(|a| (a.body, a.reusable)), Ok((Vec::new(), true)));
    }
}
