//! Writing a response head for the gateway's own HTTP/1 loop, with hyper's
//! framing rules for a server (hyper's `role.rs`): no body for `HEAD`,
//! 1xx, 204 and 304; otherwise `Content-Length` when the body's length is
//! known (from the body, else from the handler's own `Content-Length`),
//! else chunked. The handler's `Content-Length` and `Transfer-Encoding`
//! never reach the wire beside the framing chosen here, so the two cannot
//! disagree. `Date` is added when the handler set none, and
//! `Connection: close` when the connection ends after this response.
//! A fast-lane answer carries HeyGen's fields as bytes
//! (`crate::http::raw_fields`), written after the map's.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

use http::header::{CONNECTION, CONTENT_LENGTH, DATE, TRANSFER_ENCODING};
use http::response::Parts;
use http::StatusCode;
use http_body::Body;

use super::head::has_token;
use crate::http::raw_fields::{Lengths, RawFields};

/// How the body follows the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// Nothing follows (`HEAD`, 204, 304, or an empty body).
    None,
    /// Exactly this many bytes.
    Length(u64),
    Chunked,
}

/// Appends the head of a response to `dst`; returns its framing and
/// whether the connection ends after it (`close` in, or the handler's
/// `Connection: close`).
pub(super) fn head<B: Body>(
    parts: &Parts,
    body: &B,
    head_request: bool,
    mut close: bool,
    dst: &mut Vec<u8>,
) -> (Framing, bool) {
    let status = parts.status;
    let bodiless = head_request
        || status.is_informational()
        || matches!(status, StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED);
    let known = if body.is_end_stream() {
        Some(0)
    } else {
        body.size_hint().exact()
    };
    let raw = parts.extensions.get::<RawFields>();
    let declared = declared_length(parts).or(raw.and_then(|r| r.length));
    dst.extend_from_slice(b"HTTP/1.1 ");
    dst.extend_from_slice(status.as_str().as_bytes());
    dst.push(b' ');
    dst.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    dst.extend_from_slice(b"\r\n");
    let mut wrote_date = false;
    for (name, value) in &parts.headers {
        if name == CONTENT_LENGTH || name == TRANSFER_ENCODING {
            continue;
        }
        if name == CONNECTION {
            close |= has_token(value.as_bytes(), b"close");
            if close {
                continue;
            }
        }
        wrote_date |= name == DATE;
        line(dst, name.as_str().as_bytes(), value.as_bytes());
    }
    if let Some(raw) = raw {
        dst.extend_from_slice(&raw.lines);
        wrote_date |= raw.date;
    }
    let framing = if bodiless {
        // A HEAD answer says how long the body would have been, as hyper's
        // does: the handler's length, else a known non-zero one.
        let length = declared.or(known.filter(|n| *n > 0));
        if let (true, Some(n)) = (head_request || status == StatusCode::NOT_MODIFIED, length) {
            line(
                dst,
                b"content-length",
                itoa::Buffer::new().format(n).as_bytes(),
            );
        }
        Framing::None
    } else {
        match known.or(declared) {
            Some(n) => {
                line(
                    dst,
                    b"content-length",
                    itoa::Buffer::new().format(n).as_bytes(),
                );
                if n == 0 {
                    Framing::None
                } else {
                    Framing::Length(n)
                }
            }
            None => {
                line(dst, b"transfer-encoding", b"chunked");
                Framing::Chunked
            }
        }
    };
    if close {
        line(dst, b"connection", b"close");
    }
    if !wrote_date {
        DATE_CACHE.with(|d| line(dst, b"date", &d.borrow_mut().now()));
    }
    dst.extend_from_slice(b"\r\n");
    (framing, close)
}

fn line(dst: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    dst.extend_from_slice(name);
    dst.extend_from_slice(b": ");
    dst.extend_from_slice(value);
    dst.extend_from_slice(b"\r\n");
}

/// The handler's `Content-Length`, when it gave exactly one valid value
/// (or repeated the same one); `None` otherwise (then the body decides).
fn declared_length(parts: &Parts) -> Option<u64> {
    let mut lengths = Lengths::default();
    for v in parts.headers.get_all(CONTENT_LENGTH) {
        lengths.add(v.as_bytes());
    }
    lengths.get()
}

thread_local! {
    static DATE_CACHE: RefCell<DateCache> = const { RefCell::new(DateCache { second: u64::MAX, text: [0; 29] }) };
}

/// The `Date` value, formatted once a second per thread.
struct DateCache {
    second: u64,
    text: [u8; 29],
}

impl DateCache {
    fn now(&mut self) -> [u8; 29] {
        let now = SystemTime::now();
        let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if second != self.second {
            let formatted = httpdate::fmt_http_date(now);
            if let Ok(text) = <[u8; 29]>::try_from(formatted.as_bytes()) {
                self.text = text;
                self.second = second;
            }
        }
        self.text
    }
}
