//! A fast-lane answer's fields relayed as bytes (`RawFields`) reach the
//! tenant as the map's way delivers them: the plain client's map, cleaned
//! by `prepare_downstream`, given the gateway's `X-Request-Id`, written by
//! `encode::head`. Compared as what a client reads: the status line, the
//! framing, whether the connection closes, and each field name's values
//! in order (the map groups a name's values; order between names carries
//! no meaning).

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderValue, Response};
use http_body_util::{Empty, Full, StreamBody};
use proptest::prelude::*;

use super::encode;
use crate::http::raw_fields::RawFields;
use crate::proxy::headers::{prepare_downstream, X_REQUEST_ID};
use crate::upstream::head_fields;

const DATE: &str = "Mon, 07 Dec 2026 18:00:00 GMT";

/// A field HeyGen (or something between) might send, in any case.
fn field() -> impl Strategy<Value = (String, String)> {
    let token = prop::sample::select(vec![
        "keep-alive",
        "close",
        "x-custom",
        "set-cookie",
        "Idempotency-Key",
    ]);
    let connection = prop::collection::vec(token, 1..3).prop_map(|t| t.join(", "));
    let plain = prop::sample::select(vec!["a", "b=1", "text/plain", "no-store"]);
    prop_oneof![
        connection.prop_map(|v| ("Connection".to_string(), v)),
        prop::sample::select(vec!["0", "5", "5", "x"])
            .prop_map(|v| ("Content-Length".to_string(), v.to_string())),
        Just(("Transfer-Encoding".to_string(), "chunked".to_string())),
        Just(("Date".to_string(), DATE.to_string())),
        (
            prop::sample::select(vec![
                "Content-Type",
                "X-Request-Id",
                "Keep-Alive",
                "Proxy-Connection",
                "Proxy-Authenticate",
                "Proxy-Authorization",
                "TE",
                "Trailer",
                "Upgrade",
                "Set-Cookie",
                "X-Custom",
                "Idempotency-Key",
                "Cache-Control",
            ]),
            plain,
        )
            .prop_map(|(n, v)| (n.to_string(), v.to_string())),
    ]
}

/// `name` with the case of each letter flipped where `flips` says.
fn cased(name: &str, flips: u64) -> String {
    (name.chars().enumerate())
        .map(|(i, c)| match flips >> (i % 64) & 1 {
            1 if c.is_ascii_lowercase() => c.to_ascii_uppercase(),
            1 => c.to_ascii_lowercase(),
            _ => c,
        })
        .collect()
}

/// What a client reads of a written head: the status line, and each
/// name's values in order (the `Date` the writer adds for an answer that
/// had none is left out: it is the clock's).
fn read(head: &str, had_date: bool) -> (String, BTreeMap<String, Vec<String>>) {
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default().to_string();
    let mut fields = BTreeMap::<String, Vec<String>>::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(": ").expect("a field line");
        let name = name.to_ascii_lowercase();
        if name == "date" && !had_date {
            assert_eq!(value.len(), DATE.len(), "an HTTP date");
            continue;
        }
        fields.entry(name).or_default().push(value.to_string());
    }
    (status, fields)
}

/// A body of `len` bytes known ahead, or of no known length.
fn body(len: Option<usize>) -> crate::http::Body {
    match len {
        Some(0) => crate::http::boxed(Empty::<Bytes>::new()),
        Some(n) => crate::http::boxed(Full::new(Bytes::from(vec![b'x'; n]))),
        None => crate::http::boxed(StreamBody::new(futures_util::stream::pending::<
            Result<http_body::Frame<Bytes>, crate::http::BoxError>,
        >())),
    }
}

fn written(
    resp: Response<crate::http::Body>,
    head_request: bool,
) -> (String, encode::Framing, bool) {
    let (parts, body) = resp.into_parts();
    let mut out = Vec::new();
    let (framing, close) = encode::head(&parts, &body, head_request, false, &mut out);
    (String::from_utf8(out).expect("ascii"), framing, close)
}

proptest! {
    #[test]
    fn raw_fields_reach_the_client_as_the_map_way_does(
        fields in prop::collection::vec((field(), any::<u64>()), 0..8),
        status in prop::sample::select(vec![200u16, 204, 304, 404]),
        head_request in any::<bool>(),
        len in prop::option::of(0usize..20),
    ) {
        let mut wire = format!("HTTP/1.1 {status} X\r\n");
        for ((name, value), flips) in &fields {
            wire.push_str(&format!("{}: {value}\r\n", cased(name, *flips)));
        }
        wire.push_str("\r\n");
        let id = HeaderValue::from_static("gw-request-id");
        // The map's way: the stack's and the lane's before RawFields.
        let Ok((code, mut map, none)) = head_fields(wire.as_bytes(), head_request, false) else {
            // Refused either way: the read fails before any field is used.
            prop_assert!(head_fields(wire.as_bytes(), head_request, true).is_err());
            return Ok(());
        };
        prop_assert!(none.is_none());
        prepare_downstream(&mut map);
        map.insert(X_REQUEST_ID, id.clone());
        let mut by_map = Response::new(body(len));
        *by_map.status_mut() = http::StatusCode::from_u16(code).expect("status");
        *by_map.headers_mut() = map;
        // The bytes' way.
        let (code, mut map, raw) =
            head_fields(wire.as_bytes(), head_request, true).expect("read as above");
        let Some(raw) = raw else {
            // Left to the map: only for a Connection naming other fields.
            let names_others = fields.iter().any(|((n, v), _)| {
                n == "Connection" && v.split(", ").any(|t| t != "keep-alive" && t != "close")
            });
            prop_assert!(names_others, "{wire:?} was not taken as bytes");
            return Ok(());
        };
        prop_assert!(map.is_empty());
        map.insert(X_REQUEST_ID, id);
        let mut by_bytes = Response::new(body(len));
        *by_bytes.status_mut() = http::StatusCode::from_u16(code).expect("status");
        *by_bytes.headers_mut() = map;
        by_bytes.extensions_mut().insert::<RawFields>(raw);

        let had_date = fields.iter().any(|((n, _), _)| n == "Date");
        let (a, a_framing, a_close) = written(by_map, head_request);
        let (b, b_framing, b_close) = written(by_bytes, head_request);
        prop_assert_eq!(read(&a, had_date), read(&b, had_date), "{:?}\n{}\n{}", wire, a, b);
        prop_assert_eq!(a_framing, b_framing);
        prop_assert_eq!(a_close, b_close);
    }
}
