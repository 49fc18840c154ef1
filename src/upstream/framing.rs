//! How an HTTP/1.1 response from HeyGen is delimited (RFC 9112 §6.3),
//! and its body decoded out of the connection's read buffer, for the
//! plain client (`pool::plain`). Pure: no I/O, so every framing rule is a
//! unit test. Anything ambiguous is refused or read to the connection's
//! end, never guessed: a wrong length here would hand the next request
//! the rest of this answer.

use bytes::{Buf, Bytes, BytesMut};
use http::{StatusCode, Version};

/// A chunk-size line or trailer field longer than this is refused.
const MAX_LINE: usize = 4096;
/// All trailer fields together.
const MAX_TRAILERS: usize = 16 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(super) enum FramingError {
    #[error("HeyGen's answer has an invalid Content-Length")]
    BadLength,
    #[error("HeyGen's answer has an invalid chunk")]
    BadChunk,
    #[error("HeyGen's answer ended before its body did")]
    Truncated,
}

/// Decodes one response body.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Decoder {
    /// This many bytes are still to come.
    Length(u64),
    Chunked(Chunk),
    /// Everything until HeyGen closes the connection.
    UntilClose,
    Done,
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Chunk {
    Size,
    Data(u64),
    DataEnd,
    Trailers(usize),
}

/// The decoder for a response head, and whether the connection can carry
/// another request once the body is read. `headers` are the head's names
/// and values as received (one pass, no map: this runs for every read).
pub(super) fn framing<'a>(
    head_request: bool,
    status: StatusCode,
    version: Version,
    headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
) -> Result<(Decoder, bool), FramingError> {
    let mut close = false;
    let mut coding: Option<Option<&[u8]>> = None;
    let mut length: Result<Option<u64>, FramingError> = Ok(None);
    for (name, value) in headers {
        if name.eq_ignore_ascii_case(b"content-length") {
            length = length.and_then(|l| content_length(l, value));
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            // The last coding of the last field is the one applied last.
            let last = tokens(value).last();
            coding = Some(last.or(coding.flatten()));
        } else if name.eq_ignore_ascii_case(b"connection") {
            close |= tokens(value).any(|t| t.eq_ignore_ascii_case(b"close"));
        }
    }
    let keep = version == Version::HTTP_11 && !close;
    if head_request || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return Ok((Decoder::Done, keep));
    }
    if let Some(last) = coding {
        // With a Content-Length too, the coding wins and the connection
        // is not trusted again (§6.3 ¶3).
        let keep = keep && matches!(length, Ok(None));
        return Ok(match last {
            Some(last) if last.eq_ignore_ascii_case(b"chunked") => {
                (Decoder::Chunked(Chunk::Size), keep)
            }
            _ => (Decoder::UntilClose, false),
        });
    }
    match length? {
        Some(0) => Ok((Decoder::Done, keep)),
        Some(n) => Ok((Decoder::Length(n), keep)),
        None => Ok((Decoder::UntilClose, false)),
    }
}

/// The length a `Content-Length` field states, given the one earlier
/// fields stated: repeated values must agree (§6.3 ¶5); digits only.
fn content_length(mut length: Option<u64>, value: &[u8]) -> Result<Option<u64>, FramingError> {
    for part in value.split(|&b| b == b',') {
        let part = trim(part);
        if part.is_empty() || part.len() > 19 || !part.iter().all(u8::is_ascii_digit) {
            return Err(FramingError::BadLength);
        }
        let n = part.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        if length.is_some_and(|l| l != n) {
            return Err(FramingError::BadLength);
        }
        length = Some(n);
    }
    Ok(length)
}

/// A field value's comma-separated tokens, trimmed, empty ones skipped.
/// Whether the plain client consumes a response field, leaving it out of
/// the answer's head: the fields that describe this connection only (RFC
/// 9110 §7.6.1), which it acts on as the framing above does and which an
/// HTTP/2 answer never carries (`Keep-Alive`, `Transfer-Encoding`, and a
/// `Connection` naming no more than `keep-alive` or `close`), and, when
/// the answer has a transfer coding (`coded`), its `Content-Length`: the
/// coding delimits the body, so that length is not the body's, and an
/// intermediary must not pass it on (RFC 9112 §6.3 ¶3). A `Connection`
/// that names other fields stays, for whoever relays the answer to strip
/// those with it.
pub(super) fn consumed(name: &[u8], value: &[u8], coded: bool) -> bool {
    match name.len() {
        10 if name.eq_ignore_ascii_case(b"keep-alive") => true,
        10 if name.eq_ignore_ascii_case(b"connection") => tokens(value)
            .all(|t| t.eq_ignore_ascii_case(b"keep-alive") || t.eq_ignore_ascii_case(b"close")),
        14 => coded && name.eq_ignore_ascii_case(b"content-length"),
        17 => name.eq_ignore_ascii_case(b"transfer-encoding"),
        _ => false,
    }
}

fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim)
        .filter(|t| !t.is_empty())
}

fn trim(t: &[u8]) -> &[u8] {
    let start = t
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(t.len());
    let end = t
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |e| e + 1);
    &t[start..end.max(start)]
}

impl Decoder {
    pub(super) fn is_done(&self) -> bool {
        *self == Decoder::Done
    }

    /// Body bytes still to come, when known.
    pub(super) fn remaining(&self) -> Option<u64> {
        match self {
            Decoder::Length(n) => Some(*n),
            Decoder::Done => Some(0),
            _ => None,
        }
    }

    /// The next body bytes decoded out of `buf`, or `None` when `buf` holds
    /// none yet (more must be read) or the body is done.
    pub(super) fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, FramingError> {
        loop {
            match self {
                Decoder::Done => return Ok(None),
                Decoder::UntilClose => return Ok(take(buf, u64::MAX)),
                Decoder::Length(n) => {
                    let Some(data) = take(buf, *n) else {
                        return Ok(None);
                    };
                    *n -= data.len() as u64;
                    if *n == 0 {
                        *self = Decoder::Done;
                    }
                    return Ok(Some(data));
                }
                Decoder::Chunked(Chunk::Data(n)) => {
                    let Some(data) = take(buf, *n) else {
                        return Ok(None);
                    };
                    *n -= data.len() as u64;
                    if *n == 0 {
                        *self = Decoder::Chunked(Chunk::DataEnd);
                    }
                    return Ok(Some(data));
                }
                Decoder::Chunked(Chunk::DataEnd) => {
                    if buf.len() < 2 {
                        return Ok(None);
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err(FramingError::BadChunk);
                    }
                    buf.advance(2);
                    *self = Decoder::Chunked(Chunk::Size);
                }
                Decoder::Chunked(Chunk::Size) => {
                    let Some(line) = line(buf, MAX_LINE)? else {
                        return Ok(None);
                    };
                    *self = match chunk_size(&line)? {
                        0 => Decoder::Chunked(Chunk::Trailers(0)),
                        n => Decoder::Chunked(Chunk::Data(n)),
                    };
                }
                Decoder::Chunked(Chunk::Trailers(seen)) => {
                    let Some(field) = line(buf, MAX_TRAILERS.saturating_sub(*seen))? else {
                        return Ok(None);
                    };
                    // Trailer fields are dropped: nothing the gateway
                    // relays or reads is sent in one.
                    *self = match field.len() {
                        0 => Decoder::Done,
                        n => Decoder::Chunked(Chunk::Trailers(*seen + n + 2)),
                    };
                }
            }
        }
    }

    /// The connection ended: fine only for a body read until it closes.
    pub(super) fn end(&mut self) -> Result<(), FramingError> {
        match self {
            Decoder::UntilClose | Decoder::Done => {
                *self = Decoder::Done;
                Ok(())
            }
            _ => Err(FramingError::Truncated),
        }
    }
}

/// Up to `max` bytes from the front of `buf`; `None` when it is empty.
fn take(buf: &mut BytesMut, max: u64) -> Option<Bytes> {
    if buf.is_empty() {
        return None;
    }
    let n = usize::try_from(max).unwrap_or(usize::MAX).min(buf.len());
    Some(buf.split_to(n).freeze())
}

/// One CRLF-ended line taken from `buf` (without its CRLF), `None` until
/// it is whole; refused past `max` bytes or with a bare CR or LF in it.
fn line(buf: &mut BytesMut, max: usize) -> Result<Option<BytesMut>, FramingError> {
    let Some(end) = buf.iter().position(|&b| b == b'\n') else {
        return match buf.len() > max {
            true => Err(FramingError::BadChunk),
            false => Ok(None),
        };
    };
    if end == 0 || buf[end - 1] != b'\r' || end - 1 > max || buf[..end - 1].contains(&b'\r') {
        return Err(FramingError::BadChunk);
    }
    let line = buf.split_to(end - 1);
    buf.advance(2);
    Ok(Some(line))
}

/// A chunk-size line: hexadecimal digits, then optional extensions after
/// a `;` (ignored).
fn chunk_size(line: &[u8]) -> Result<u64, FramingError> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 || digits > 15 {
        return Err(FramingError::BadChunk);
    }
    let rest = line[digits..].trim_ascii_start();
    if !rest.is_empty() && rest[0] != b';' {
        return Err(FramingError::BadChunk);
    }
    let text = std::str::from_utf8(&line[..digits]).map_err(|_| FramingError::BadChunk)?;
    u64::from_str_radix(text, 16).map_err(|_| FramingError::BadChunk)
}

#[cfg(test)]
#[path = "framing_tests.rs"]
mod tests;
