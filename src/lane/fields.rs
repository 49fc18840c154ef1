//! A tenant's request fields, read once for the fast lane, and the head
//! HeyGen gets for them, written as bytes. The rules are
//! `proxy::headers::prepare_upstream`'s, on raw fields: hop-by-hop fields,
//! method overrides, the client's `Host`, its credentials and its
//! `X-Forwarded-Proto` and `X-Request-Id` are dropped; the org key, the
//! forwarding chain and the request id are added. A field the lane would
//! have to do more with (an `Idempotency-Key` to scope, a `Connection`
//! naming other fields, a value `http` would refuse) declines the request,
//! which then takes the stack.

use http::HeaderValue;

use crate::proxy::headers;

/// What the lane learned from the fields it reads.
#[derive(Default)]
pub(super) struct Scan<'h> {
    pub x_api_key: Option<&'h [u8]>,
    pub authorization: Option<&'h [u8]>,
    pub request_id: Option<&'h [u8]>,
    pub traceparent: Option<&'h [u8]>,
    pub forwarded_for: Option<&'h [u8]>,
}

/// What the lane does with one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// Sent on to HeyGen as it came.
    Keep,
    /// Never crosses the proxy.
    Drop,
    /// Read (the first value), then dropped or kept as its kind says.
    XApiKey,
    Authorization,
    RequestId,
    Traceparent,
    ForwardedFor,
    Connection,
    /// The stack's to handle.
    Decline,
}

/// Every field the lane does more with than keep, by the length of its
/// name (looked up for every field of every read: one short list to walk).
/// Framing fields never get here (`server::h1::head` hands such heads to
/// hyper); they are declined all the same should that change.
const KNOWN: [&[(&str, Field)]; 23] = {
    use Field::{Authorization as Auth, Connection as Conn, Decline, Drop};
    let mut by_len: [&[(&str, Field)]; 23] = [&[]; 23];
    by_len[2] = &[("te", Drop)];
    by_len[4] = &[("host", Drop)];
    by_len[6] = &[("expect", Decline)];
    by_len[7] = &[("trailer", Drop), ("upgrade", Decline)];
    by_len[9] = &[("x-api-key", Field::XApiKey)];
    by_len[10] = &[("connection", Conn), ("keep-alive", Drop)];
    by_len[11] = &[("traceparent", Field::Traceparent)];
    by_len[12] = &[("x-request-id", Field::RequestId)];
    by_len[13] = &[("authorization", Auth), ("x-http-method", Drop)];
    by_len[14] = &[("content-length", Decline)];
    by_len[15] = &[
        ("x-forwarded-for", Field::ForwardedFor),
        ("idempotency-key", Decline),
    ];
    by_len[16] = &[("proxy-connection", Drop)];
    by_len[17] = &[
        ("x-forwarded-proto", Drop),
        ("x-method-override", Drop),
        ("transfer-encoding", Decline),
    ];
    by_len[18] = &[("proxy-authenticate", Drop)];
    by_len[19] = &[("proxy-authorization", Drop)];
    by_len[22] = &[("x-http-method-override", Drop)];
    by_len
};

/// The field called `name` (any letter case).
fn field(name: &str) -> Field {
    let known = KNOWN.get(name.len()).copied().unwrap_or_default();
    known
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map_or(Field::Keep, |&(_, f)| f)
}

/// The longest field name `http` takes (`HeaderName`): hyper answers a
/// longer one with 431, which the lane leaves to it.
const MAX_NAME: usize = u16::MAX as usize;

/// Reads `fields`; `None` declines the request.
pub(super) fn scan<'h>(fields: &[httparse::Header<'h>]) -> Option<Scan<'h>> {
    let mut s = Scan::default();
    let mut chains = 0;
    for f in fields {
        // `HeaderValue`'s rule; hyper answers 400 for the others.
        let valid = f
            .value
            .iter()
            .all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f));
        if !valid || f.name.len() > MAX_NAME {
            return None;
        }
        let first = |slot: &mut Option<&'h [u8]>| {
            slot.get_or_insert(f.value);
        };
        match field(f.name) {
            Field::Keep | Field::Drop => {}
            Field::XApiKey => first(&mut s.x_api_key),
            Field::Authorization => first(&mut s.authorization),
            Field::RequestId => first(&mut s.request_id),
            Field::Traceparent => first(&mut s.traceparent),
            Field::ForwardedFor => {
                // Several chains are joined by `HeaderMap::get`'s first
                // only; rare enough to leave to the stack.
                chains += 1;
                first(&mut s.forwarded_for);
            }
            // `keep-alive` and `close` name no other field to drop.
            Field::Connection if only_connection_options(f.value) => {}
            Field::Connection | Field::Decline => return None,
        }
    }
    (chains <= 1).then_some(s)
}

fn only_connection_options(value: &[u8]) -> bool {
    value.split(|&b| b == b',').all(|t| {
        let t = t.trim_ascii();
        t.is_empty() || t.eq_ignore_ascii_case(b"keep-alive") || t.eq_ignore_ascii_case(b"close")
    })
}

/// A value as text, as `HeaderValue::to_str` gives it: visible ASCII and
/// tabs, else none.
pub(super) fn text(v: &[u8]) -> Option<&str> {
    let visible = v.iter().all(|&b| b == b'\t' || (32..127).contains(&b));
    visible.then(|| std::str::from_utf8(v).ok()).flatten()
}

/// The tenant's key as `headers::tenant_token` finds it in a header map:
/// `X-Api-Key`'s first value, else `Authorization: Bearer`.
pub(super) fn tenant_token<'h>(s: &Scan<'h>) -> Option<&'h str> {
    if let Some(v) = s.x_api_key.and_then(text).map(str::trim) {
        if !v.is_empty() {
            return Some(v);
        }
    }
    let auth = s.authorization.and_then(text)?.trim();
    let (scheme, token) = auth.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// What the head HeyGen gets carries besides the tenant's kept fields.
pub(super) struct Added<'a> {
    pub host: &'a HeaderValue,
    pub org_key: &'a HeaderValue,
    pub client_ip: &'a HeaderValue,
    pub request_id: &'a HeaderValue,
}

/// The request head for HeyGen, as `upstream::pool::plain_head` writes a
/// prepared request's: request line, `host` first, names in lower case.
/// The same fields as the stack's, and values of one name in the same
/// order; the fields themselves in the order the tenant sent them, the
/// gateway's after them (a header map groups them by name instead).
pub(super) fn write_head(
    method: &str,
    target: &str,
    fields: &[httparse::Header<'_>],
    scan: &Scan<'_>,
    add: &Added<'_>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + 48 * fields.len());
    for part in [method, " ", target, " HTTP/1.1\r\nhost: "] {
        out.extend_from_slice(part.as_bytes());
    }
    out.extend_from_slice(add.host.as_bytes());
    out.extend_from_slice(b"\r\n");
    for f in fields {
        if matches!(field(f.name), Field::Keep | Field::Traceparent) {
            out.extend(f.name.bytes().map(|b| b.to_ascii_lowercase()));
            out.extend_from_slice(b": ");
            out.extend_from_slice(f.value);
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b"x-api-key: ");
    out.extend_from_slice(add.org_key.as_bytes());
    out.extend_from_slice(b"\r\nx-forwarded-for: ");
    match scan.forwarded_for {
        Some(prev) => headers::write_forwarded_for(&mut out, prev, add.client_ip),
        None => out.extend_from_slice(add.client_ip.as_bytes()),
    }
    out.extend_from_slice(b"\r\nx-forwarded-proto: http\r\nx-request-id: ");
    out.extend_from_slice(add.request_id.as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    out
}

#[cfg(test)]
#[path = "fields_tests.rs"]
mod tests;
