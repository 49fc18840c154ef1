//! Header hygiene between tenant and HeyGen: hop-by-hop headers never cross
//! the proxy (RFC 9110 §7.6.1), the tenant's credentials never reach HeyGen,
//! the org key is injected only on requests built for the configured hosts.

use std::net::IpAddr;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::error::GatewayError;

pub(crate) const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub(crate) const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
pub(crate) const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
pub(crate) const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// Hop-by-hop headers from RFC 9110 plus the de-facto `proxy-connection` and
/// `keep-alive`. Names, not strings: a `&str` key is parsed on every lookup.
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// Headers some frameworks honour to treat a request as another method: the
/// gateway prices and routes by the real method, so HeyGen must see only that.
const METHOD_OVERRIDES: [HeaderName; 3] = [
    HeaderName::from_static("x-http-method-override"),
    HeaderName::from_static("x-http-method"),
    HeaderName::from_static("x-method-override"),
];

const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// End-to-end headers a `Connection` header may not name away: the gateway
/// has acted on them before forwarding. An `Idempotency-Key` was claimed
/// (and scoped for HeyGen); were HeyGen not to see it, a retry the gateway
/// adopts as the same job would create a second, unbilled one.
const KEPT_END_TO_END: [HeaderName; 1] = [IDEMPOTENCY_KEY];

/// Removes method-override headers (see [`METHOD_OVERRIDES`]).
pub(crate) fn strip_method_overrides(headers: &mut HeaderMap) {
    remove_present(
        headers,
        &METHOD_OVERRIDES,
        present(headers, &METHOD_OVERRIDES),
    );
}

/// Removes hop-by-hop headers, including any the `Connection` header names.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let found = present(headers, &HOP_BY_HOP);
    // `HOP_BY_HOP[0]` is `Connection`.
    if found & 1 != 0 {
        strip_connection_named(headers);
    }
    remove_present(headers, &HOP_BY_HOP, found);
}

/// Which of `names` (at most 32) `headers` holds, as a bit per index. Most
/// messages hold few of the names looked for here, and one pass over the
/// names a message carries costs less than hashing each of `names` for a
/// removal that finds nothing (several times per proxied request).
fn present(headers: &HeaderMap, names: &[HeaderName]) -> u32 {
    headers
        .keys()
        .fold(0, |found, k| match names.iter().position(|n| n == k) {
            Some(i) => found | 1 << i,
            None => found,
        })
}

/// Removes the `names` whose bits are set in `found`.
fn remove_present(headers: &mut HeaderMap, names: &[HeaderName], found: u32) {
    for (i, name) in names.iter().enumerate() {
        if found & 1 << i != 0 {
            headers.remove(name);
        }
    }
}

/// Removes the headers a `Connection` header names, but for
/// [`KEPT_END_TO_END`].
fn strip_connection_named(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        // The usual `keep-alive` / `close` options name no other header
        // (`keep-alive` is hop-by-hop anyway): no name to build for them.
        .filter(|name| {
            !name.eq_ignore_ascii_case("keep-alive") && !name.eq_ignore_ascii_case("close")
        })
        .filter_map(|name| HeaderName::from_bytes(name.as_bytes()).ok())
        .filter(|name| !KEPT_END_TO_END.contains(name))
        .collect();
    for name in &named {
        headers.remove(name);
    }
}

/// The tenant's key from `X-Api-Key` (any case: `HeaderMap` is case-blind) or
/// `Authorization: Bearer`.
pub(crate) fn tenant_token(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get(X_API_KEY).and_then(|v| v.to_str().ok()) {
        let v = v.trim();
        if !v.is_empty() {
            return Some(v);
        }
    }
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = auth.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Rewrites request headers for HeyGen: no hop-by-hop, no tenant credentials,
/// no client `Host`, the org key injected, `X-Forwarded-*` appended.
pub(crate) fn prepare_upstream(
    headers: &mut HeaderMap,
    org_key: &HeaderValue,
    client_ip: &HeaderValue,
    request_id: &HeaderValue,
) {
    strip_hop_by_hop(headers);
    strip_method_overrides(headers);
    // The two dropped, then the chain the client sent (bit 2).
    const LOOKED_FOR: [HeaderName; 3] = [header::AUTHORIZATION, header::HOST, X_FORWARDED_FOR];
    let found = present(headers, &LOOKED_FOR);
    remove_present(headers, &LOOKED_FOR[..2], found);
    // `insert` replaces every value under the name: the tenant's own key
    // (however many times it was sent) goes with it.
    headers.insert(X_API_KEY, org_key.clone());
    let prev = (found & 4 != 0)
        .then(|| headers.get(X_FORWARDED_FOR))
        .flatten();
    let xff = match prev {
        Some(prev) => forwarded_for(prev, client_ip),
        None => client_ip.clone(),
    };
    headers.insert(X_FORWARDED_FOR, xff);
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
    // A value that never repeats gains nothing from HTTP/2's header table,
    // and adding each one would evict what does repeat (path, authority,
    // forwarding headers): sent as a literal never indexed, which is what
    // h2 does with a value marked sensitive.
    let mut id = request_id.clone();
    id.set_sensitive(true);
    headers.insert(X_REQUEST_ID, id);
}

/// The peer's address as a header value, made once per connection (the
/// text of an address costs ~1,000 instructions to format, each request).
pub(crate) fn peer_ip(ip: IpAddr) -> HeaderValue {
    HeaderValue::from_str(&ip.to_string()).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

/// `X-Forwarded-For` with the peer appended to the chain the client sent;
/// a chain that is no text is replaced by the peer alone.
fn forwarded_for(prev: &HeaderValue, client_ip: &HeaderValue) -> HeaderValue {
    let mut buf = bytes::BytesMut::with_capacity(prev.len() + 2 + client_ip.len());
    write_forwarded_for(&mut buf, prev.as_bytes(), client_ip);
    HeaderValue::from_maybe_shared(buf.freeze()).unwrap_or_else(|_| client_ip.clone())
}

/// Writes the `X-Forwarded-For` value for a chain `prev` (the fast lane
/// writes its heads as bytes).
pub(crate) fn write_forwarded_for(
    out: &mut impl bytes::BufMut,
    prev: &[u8],
    client_ip: &HeaderValue,
) {
    // `HeaderValue::to_str`'s rule: visible ASCII and tabs are text.
    if prev.iter().all(|&b| b == b'\t' || (32..127).contains(&b)) {
        out.put_slice(prev);
        out.put_slice(b", ");
    }
    out.put_slice(client_ip.as_bytes());
}

/// Validates an `Idempotency-Key` (HeyGen's rule: 1-255 of `[A-Za-z0-9_:.-]`);
/// the admin API's adjustments take the same.
pub(crate) fn idempotency_key(h: &HeaderMap) -> Result<Option<String>, GatewayError> {
    let Some(v) = h.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let b = v.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 255
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_:.-".contains(c));
    if !ok {
        return Err(GatewayError::IdempotencyKeyInvalid);
    }
    Ok(v.to_str().ok().map(str::to_string))
}

/// HeyGen keeps idempotency keys per org key, and every tenant shares the
/// org key: a tenant's `Idempotency-Key` is sent as a digest of tenant and
/// key, so two tenants choosing the same key never see each other's answers.
pub(crate) fn scope_idempotency_key(headers: &mut HeaderMap, tenant: &str) {
    use sha2::{Digest, Sha256};
    let Some(key) = headers.get(IDEMPOTENCY_KEY) else {
        return;
    };
    let mut h = Sha256::new();
    h.update(tenant.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    let scoped = format!("gw-{}", hex::encode(h.finalize()));
    if let Ok(v) = HeaderValue::from_str(&scoped) {
        headers.insert(IDEMPOTENCY_KEY, v);
    }
}

/// Rewrites response headers for the tenant. (Its `X-Request-Id` is set
/// on every answer, this one included, by `request_log`.)
pub(crate) fn prepare_downstream(headers: &mut HeaderMap) {
    strip_hop_by_hop(headers);
}

/// The trace id of a well-formed W3C `traceparent`
/// (`00-<32 hex>-<16 hex>-<2 hex>`, ids not all zero).
pub(crate) fn trace_id(headers: &HeaderMap) -> Option<String> {
    trace_id_of(headers.get(TRACEPARENT)?.to_str().ok()?)
}

/// [`trace_id`] of a `traceparent` value.
pub(crate) fn trace_id_of(v: &str) -> Option<String> {
    let v = v.trim();
    let parts: Vec<&str> = v.split('-').collect();
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let ok = parts.len() >= 4
        && hex(parts[0], 2)
        && parts[0] != "ff"
        && hex(parts[1], 32)
        && hex(parts[2], 16)
        && hex(parts[3], 2)
        && parts[1].bytes().any(|b| b != b'0')
        && parts[2].bytes().any(|b| b != b'0');
    ok.then(|| parts[1].to_ascii_lowercase())
}

/// The client's `X-Request-Id` when it is sane, else a fresh one.
pub(crate) fn request_id(headers: &HeaderMap) -> HeaderValue {
    headers
        .get(X_REQUEST_ID)
        .filter(|v| sane_request_id(v.as_bytes()))
        .cloned()
        .unwrap_or_else(fresh_request_id)
}

/// Whether a client's `X-Request-Id` is kept (else the gateway makes one).
pub(crate) fn sane_request_id(b: &[u8]) -> bool {
    !b.is_empty() && b.len() <= 128 && b.iter().all(|c| c.is_ascii_graphic())
}

/// A random (v4) UUID from the thread's RNG: `Uuid::new_v4` would ask the
/// OS for randomness (a syscall) on every request. The text is owned by the
/// header value's buffer (`Bytes::from_owner`), so the clones the request
/// makes (upstream header, response header) share it without copying.
pub(crate) fn fresh_request_id() -> HeaderValue {
    use rand::Rng;
    let id = uuid::Builder::from_random_bytes(rand::rng().random()).into_uuid();
    let mut buf = [0; uuid::fmt::Hyphenated::LENGTH];
    id.hyphenated().encode_lower(&mut buf);
    HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(buf))
        .unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

#[cfg(test)]
#[path = "headers_tests.rs"]
mod tests;
