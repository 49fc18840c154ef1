//! The heads of the plain client's exchange (`plain`): the request's
//! written out, and HeyGen's answer's parsed, its values cut from the
//! connection's buffer without copying. `upstream::answer` (the fuzz
//! target's reader of an answer from its bytes alone) parses with it too.

use std::mem::MaybeUninit;

use bytes::{Buf, BytesMut};
use http::header::{HeaderName, HeaderValue, HOST};
use http::{Request, StatusCode, Version};

use super::Target;
use crate::http::raw_fields::RawFields;
use crate::http::{Body, BoxError};
use crate::upstream::framing::{consumed, framing, Decoder, FramingError};

/// Headers a response head may have (hyper's limit too).
const MAX_HEADERS: usize = 100;
/// A response head larger than this is refused.
const MAX_HEAD: usize = 64 * 1024;

/// The request line and headers, with `Host` the target's.
pub(super) fn request_head(t: &Target, req: &Request<Body>) -> Vec<u8> {
    let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut out = Vec::with_capacity(192 + 48 * req.headers().len());
    for part in [req.method().as_str(), " ", target, " HTTP/1.1\r\nhost: "] {
        out.extend_from_slice(part.as_bytes());
    }
    out.extend_from_slice(t.host.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in req.headers() {
        if name != HOST {
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The final response head at the front of `buf` (informational ones
/// skipped), `None` until it is whole. `heard` records that some answer
/// has begun (a 1xx, or part of a head): the connection was not closed
/// unanswered. Refused: a head past [`MAX_HEAD`], and 101 (a read
/// switches no protocol). With `raw`, its fields come as [`RawFields`]
/// where they can (see `Head::raw`).
pub(in crate::upstream) fn final_head(
    buf: &mut BytesMut,
    head_request: bool,
    heard: &mut bool,
    spare: &mut http::HeaderMap,
    raw: bool,
) -> Result<Option<Head>, BoxError> {
    loop {
        let Some(h) = take_head(buf, head_request, spare, raw)? else {
            *heard |= !buf.is_empty();
            return match buf.len() > MAX_HEAD {
                true => Err("HeyGen's response head is too large".into()),
                false => Ok(None),
            };
        };
        *heard = true;
        match h.status {
            StatusCode::SWITCHING_PROTOCOLS => {
                return Err("HeyGen switched protocols on a read".into())
            }
            s if s.is_informational() => {}
            _ => return Ok(Some(h)),
        }
    }
}

pub(in crate::upstream) struct Head {
    pub(in crate::upstream) status: StatusCode,
    pub(super) version: Version,
    pub(in crate::upstream) headers: http::HeaderMap,
    /// The fields as bytes, `headers` left empty (asked for, and no
    /// `Connection` names other fields).
    pub(in crate::upstream) raw: Option<RawFields>,
    /// How its body is delimited (see `framing`).
    pub(in crate::upstream) framing: Result<(Decoder, bool), FramingError>,
}

/// A whole response head taken from the front of `buf`, its header
/// values sharing the buffer's memory, its fields but this hop's in
/// `spare` (emptied first), or with `raw` as bytes where they can be;
/// `None` until it is whole.
fn take_head(
    buf: &mut BytesMut,
    head_request: bool,
    spare: &mut http::HeaderMap,
    raw: bool,
) -> Result<Option<Head>, BoxError> {
    if buf.is_empty() {
        return Ok(None);
    }
    // Uninitialised: zeroing room for a hundred headers cost more than
    // parsing the few an answer has.
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut []);
    let config = httparse::ParserConfig::default();
    let len = match config.parse_response_with_uninit_headers(&mut parsed, buf, &mut slots)? {
        httparse::Status::Partial => return Ok(None),
        httparse::Status::Complete(len) => len,
    };
    let status = StatusCode::from_u16(parsed.code.unwrap_or(0))?;
    let version = match parsed.version {
        Some(1) => Version::HTTP_11,
        _ => Version::HTTP_10,
    };
    let raw_headers = parsed.headers.iter().map(|h| (h.name.as_bytes(), h.value));
    let framing = framing(head_request, status, version, raw_headers);
    // Where each name and value sits, so they can be cut from the frozen
    // head without copying.
    let base = buf.as_ptr() as usize;
    let at = |s: &[u8]| {
        (
            s.as_ptr() as usize - base,
            s.as_ptr() as usize - base + s.len(),
        )
    };
    let coded = (parsed.headers.iter()).any(|h| h.name.eq_ignore_ascii_case("transfer-encoding"));
    let kept = |h: &&httparse::Header<'_>| !consumed(h.name.as_bytes(), h.value, coded);
    let relayed = match raw {
        true => RawFields::relay(
            (parsed.headers.iter())
                .filter(kept)
                .map(|h| (h.name.as_bytes(), h.value)),
        ),
        false => None,
    };
    if let Some(fields) = relayed {
        buf.advance(len);
        let mut headers = std::mem::take(spare);
        headers.clear();
        return Ok(Some(Head {
            status,
            version,
            headers,
            raw: Some(fields),
            framing,
        }));
    }
    let spans: Vec<_> = parsed
        .headers
        .iter()
        .filter(kept)
        .map(|h| (at(h.name.as_bytes()), at(h.value)))
        .collect();
    let head = buf.split_to(len).freeze();
    let mut headers = std::mem::take(spare);
    headers.clear();
    headers.reserve(spans.len());
    for ((n0, n1), (v0, v1)) in spans {
        let name = HeaderName::from_bytes(&head[n0..n1])?;
        headers.append(name, HeaderValue::from_maybe_shared(head.slice(v0..v1))?);
    }
    Ok(Some(Head {
        status,
        version,
        headers,
        raw: None,
        framing,
    }))
}
