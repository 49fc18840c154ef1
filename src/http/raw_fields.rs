//! HeyGen's answer fields relayed as bytes, for the fast lane's reads
//! (`src/lane`): the plain client leaves them out of the answer's
//! `HeaderMap` and hands them on as one block of lines, which the
//! connection's own HTTP/1 loop (`server::h1`, the only writer of a lane
//! answer) writes after the map's fields. Parsing each field into the map,
//! cleaning the map and encoding it again was about 5 % of a relayed
//! read's user-space instructions (`bench/RESULTS.md`, stop 45).
//!
//! What the tenant gets is what the map's way gives: the same fields but
//! the hop-by-hop ones (`proxy::headers::strip_hop_by_hop`, whose list a
//! test ties to [`HOP_BY_HOP`]) and HeyGen's `X-Request-Id` (the gateway
//! sets its own), names in lower case, `Content-Length` left to the writer's
//! framing. An answer whose `Connection` names other fields is not taken
//! this way: the map's hygiene decides which of them go.

/// Hop-by-hop fields (RFC 9110 §7.6.1, with `proxy-connection` and
/// `keep-alive`), as `proxy::headers` strips them from a map.
pub const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// HeyGen's kept answer fields, as written to the tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawFields {
    /// `name: value\r\n` lines, names in lower case.
    pub lines: Vec<u8>,
    /// Whether a `Date` is among them (the writer adds none then).
    pub date: bool,
    /// The answer's `Content-Length` by [`Lengths`]' rule, which the lines
    /// leave out: the writer frames the body itself and says it only where
    /// the body does not (`HEAD`, 304).
    pub length: Option<u64>,
}

impl RawFields {
    /// The fields (name, value) framing left of an answer, as the tenant
    /// gets them; `None` when a `Connection` among them names other fields
    /// (framing consumes the one saying only `keep-alive` or `close`).
    pub fn relay<'a>(fields: impl Iterator<Item = (&'a [u8], &'a [u8])>) -> Option<RawFields> {
        let mut out = RawFields {
            lines: Vec::with_capacity(256),
            ..RawFields::default()
        };
        let mut lengths = Lengths::default();
        for (name, value) in fields {
            match kind(name) {
                Kind::Connection => return None,
                Kind::Length => lengths.add(value),
                Kind::Dropped => {}
                kept => {
                    out.date |= kept == Kind::Date;
                    let at = out.lines.len();
                    out.lines.extend_from_slice(name);
                    out.lines[at..].make_ascii_lowercase();
                    out.lines.extend_from_slice(b": ");
                    out.lines.extend_from_slice(value);
                    out.lines.extend_from_slice(b"\r\n");
                }
            }
        }
        out.length = lengths.get();
        Some(out)
    }
}

/// What [`RawFields::relay`] does with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Kept,
    Date,
    Length,
    Connection,
    /// One of [`HOP_BY_HOP`] (but `Connection`) or HeyGen's `X-Request-Id`.
    Dropped,
}

/// The field named `name` (any case), its length looked at first: most
/// fields are then compared with one name or none.
fn kind(name: &[u8]) -> Kind {
    let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
    match name.len() {
        2 if is("te") => Kind::Dropped,
        4 if is("date") => Kind::Date,
        7 if is("trailer") || is("upgrade") => Kind::Dropped,
        10 if is("connection") => Kind::Connection,
        10 if is("keep-alive") => Kind::Dropped,
        12 if is("x-request-id") => Kind::Dropped,
        14 if is("content-length") => Kind::Length,
        16 if is("proxy-connection") => Kind::Dropped,
        17 if is("transfer-encoding") => Kind::Dropped,
        18 if is("proxy-authenticate") => Kind::Dropped,
        19 if is("proxy-authorization") => Kind::Dropped,
        _ => Kind::Kept,
    }
}

/// The length a message's `Content-Length` values declare: exactly one
/// valid value (digits only), or the same one repeated; none for anything
/// else, when the body's own length decides (hyper's rule for a server's
/// response).
#[derive(Debug, Clone, Copy, Default)]
pub struct Lengths {
    found: Option<u64>,
    bad: bool,
}

impl Lengths {
    pub fn add(&mut self, value: &[u8]) {
        let mut n = (!value.is_empty()).then_some(0u64);
        for &b in value {
            n = match b {
                b'0'..=b'9' => n.and_then(|n| n.checked_mul(10)?.checked_add(u64::from(b - b'0'))),
                _ => None,
            };
        }
        match (n, self.found) {
            (None, _) => self.bad = true,
            (Some(n), Some(f)) if f != n => self.bad = true,
            (Some(n), _) => self.found = Some(n),
        }
    }

    pub fn get(&self) -> Option<u64> {
        self.found.filter(|_| !self.bad)
    }
}

#[cfg(test)]
#[path = "raw_fields_tests.rs"]
mod tests;
