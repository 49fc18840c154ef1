//! Reading a request head for the gateway's own HTTP/1 loop. Only the
//! plainest request is taken: HTTP/1.1, `GET` or `HEAD`, no body, no
//! upgrade, no `Expect`, a target `http::Uri` accepts, at most
//! `MAX_HEADERS` fields. Anything else, malformed heads included, is
//! `Other`: the connection goes to hyper, which answers it (400, 431, …)
//! exactly as before this loop existed.

use std::mem::MaybeUninit;

use bytes::{Bytes, BytesMut};
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, Uri, Version};

/// Fields read into uninitialised slots: a head with more goes to hyper
/// (which takes a hundred).
const MAX_HEADERS: usize = 64;

/// What the buffer holds.
// Returned once per request and taken apart at once: boxing the request
// would add an allocation to every read.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(super) enum Parsed<T> {
    /// Not a whole head yet.
    Partial,
    /// A bodiless request, cut from the buffer; `close` when the client
    /// asked for the connection to end after it.
    Simple { req: Request<()>, close: bool },
    /// A bodiless request the fast lane took from the raw head (`taken`),
    /// cut from the buffer; `head_request` for a `HEAD`.
    Taken {
        taken: T,
        head_request: bool,
        close: bool,
    },
    /// Anything else: hyper's to answer.
    Other,
}

/// Parses the head at the start of `buf`, and cuts it off when it is taken:
/// by `lane` (given the method, target, fields and `spare`) when it takes
/// it, else as a `Request` whose fields go into `spare` (the previous
/// answer's emptied map: it has room, as hyper's server reuses it too).
pub(super) fn parse<T>(
    buf: &mut BytesMut,
    spare: &mut HeaderMap,
    lane: impl FnOnce(&Method, &str, &[httparse::Header<'_>], &mut HeaderMap) -> Option<T>,
) -> Parsed<T> {
    let mut raw = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut []);
    let config = httparse::ParserConfig::default();
    let len = match config.parse_request_with_uninit_headers(&mut parsed, buf, &mut raw) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(_) => return Parsed::Other,
    };
    if parsed.version != Some(1) {
        return Parsed::Other;
    }
    let method = match parsed.method {
        Some("GET") => Method::GET,
        Some("HEAD") => Method::HEAD,
        _ => return Parsed::Other,
    };
    let mut close = false;
    for h in parsed.headers.iter() {
        let name = h.name.as_bytes();
        if is_framing(name) {
            return Parsed::Other;
        }
        if name.eq_ignore_ascii_case(b"connection") {
            close |= has_token(h.value, b"close");
        }
    }
    let target = parsed.path.unwrap_or_default();
    if let Some(taken) = lane(&method, target, parsed.headers, spare) {
        let head_request = method == Method::HEAD;
        let _ = buf.split_to(len);
        return Parsed::Taken {
            taken,
            head_request,
            close,
        };
    }
    // Where the target and each field sit, so they can be cut from the
    // frozen head without copying.
    let base = buf.as_ptr() as usize;
    let at = |s: &[u8]| {
        let start = s.as_ptr() as usize - base;
        (start, start + s.len())
    };
    let target = at(target.as_bytes());
    let spans: Vec<_> = parsed
        .headers
        .iter()
        .map(|h| (at(h.name.as_bytes()), at(h.value)))
        .collect();
    let head = buf.split_to(len).freeze();
    let Some((uri, headers)) = build(&head, target, spans, std::mem::take(spare)) else {
        // Rare (httparse lets through targets `Uri` refuses): put the head
        // back for hyper, which answers 400.
        let mut whole = BytesMut::with_capacity(head.len() + buf.len());
        whole.extend_from_slice(&head);
        whole.extend_from_slice(buf);
        *buf = whole;
        return Parsed::Other;
    };
    let mut req = Request::new(());
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    *req.version_mut() = Version::HTTP_11;
    *req.headers_mut() = headers;
    Parsed::Simple { req, close }
}

type Span = (usize, usize);

/// The target and fields of `head`, cut from it without copying.
fn build(
    head: &Bytes,
    target: Span,
    spans: Vec<(Span, Span)>,
    mut headers: HeaderMap,
) -> Option<(Uri, HeaderMap)> {
    let uri = Uri::from_maybe_shared(head.slice(target.0..target.1)).ok()?;
    headers.clear();
    headers.reserve(spans.len());
    for ((n0, n1), (v0, v1)) in spans {
        let name = HeaderName::from_bytes(&head[n0..n1]).ok()?;
        headers.append(
            name,
            HeaderValue::from_maybe_shared(head.slice(v0..v1)).ok()?,
        );
    }
    Some((uri, headers))
}

/// Fields that give a request a body or change what the connection
/// carries: hyper's to handle.
fn is_framing(name: &[u8]) -> bool {
    [
        &b"content-length"[..],
        b"transfer-encoding",
        b"upgrade",
        b"expect",
    ]
    .iter()
    .any(|f| name.eq_ignore_ascii_case(f))
}

/// Whether a comma-separated field value lists `token`.
pub(super) fn has_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|b| *b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}
