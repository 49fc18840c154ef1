use http::header::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;

use super::*;

fn fields<'a>(raw: &'a [(&'a str, &'a str)]) -> Vec<httparse::Header<'a>> {
    raw.iter()
        .map(|(name, value)| httparse::Header {
            name,
            value: value.as_bytes(),
        })
        .collect()
}

fn added<'a>(
    host: &'a HeaderValue,
    org: &'a HeaderValue,
    ip: &'a HeaderValue,
    id: &'a HeaderValue,
) -> Added<'a> {
    Added {
        host,
        org_key: org,
        client_ip: ip,
        request_id: id,
    }
}

/// The fields of a written head, lower-cased names, sorted.
fn written(head: &[u8]) -> (String, Vec<(String, String)>) {
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut slots);
    assert!(req.parse(head).expect("a head").is_complete());
    let line = format!("{} {}", req.method.unwrap_or("-"), req.path.unwrap_or("-"));
    let mut out: Vec<_> = req
        .headers
        .iter()
        .map(|h| {
            let value = String::from_utf8_lossy(h.value).into_owned();
            (h.name.to_ascii_lowercase(), value)
        })
        .collect();
    out.sort();
    (line, out)
}

#[test]
fn the_head_drops_credentials_and_hops_and_adds_the_org_key_and_forwarding() {
    let raw = [
        ("Host", "gw.internal"),
        ("X-Api-Key", "tenant-key"),
        ("Accept", "application/json"),
        ("Connection", "keep-alive"),
        ("Keep-Alive", "timeout=5"),
        ("X-Forwarded-For", "10.0.0.1"),
        ("X-Forwarded-Proto", "https"),
        ("X-Request-Id", "client-id"),
        ("X-HTTP-Method-Override", "DELETE"),
        (
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
        ("User-Agent", "app/1.0"),
    ];
    let f = fields(&raw);
    let scan = scan(&f).expect("taken");
    assert_eq!(tenant_token(&scan), Some("tenant-key"));
    assert_eq!(scan.request_id, Some(&b"client-id"[..]));
    let (host, org) = (
        HeaderValue::from_static("heygen:80"),
        HeaderValue::from_static("sk_org"),
    );
    let (ip, id) = (
        HeaderValue::from_static("127.0.0.1"),
        HeaderValue::from_static("rid"),
    );
    let head = write_head(
        "GET",
        "/v2/voices?a=1",
        &f,
        &scan,
        &added(&host, &org, &ip, &id),
    );
    let (line, got) = written(&head);
    assert_eq!(line, "GET /v2/voices?a=1");
    let want = [
        ("accept", "application/json"),
        ("host", "heygen:80"),
        (
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
        ("user-agent", "app/1.0"),
        ("x-api-key", "sk_org"),
        ("x-forwarded-for", "10.0.0.1, 127.0.0.1"),
        ("x-forwarded-proto", "http"),
        ("x-request-id", "rid"),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn fields_the_stack_must_handle_decline_the_request() {
    for raw in [
        &[("Idempotency-Key", "k1")][..],
        &[("Connection", "keep-alive, X-Api-Key")],
        &[("Content-Length", "0")],
        &[("Upgrade", "h2c")],
        &[
            ("X-Forwarded-For", "1.1.1.1"),
            ("X-Forwarded-For", "2.2.2.2"),
        ],
        &[("Accept", "a\x01b")],
    ] {
        assert!(scan(&fields(raw)).is_none(), "{raw:?}");
    }
    // A name `HeaderName` refuses for its length: hyper's 431.
    let long = "x".repeat(usize::from(u16::MAX) + 1);
    assert!(scan(&fields(&[(long.as_str(), "v")])).is_none());
    let options = [("Connection", "close, Keep-Alive"), ("X-Api-Key", "k")];
    assert!(scan(&fields(&options)).is_some());
}

#[test]
fn the_tenant_key_is_found_as_the_stack_finds_it() {
    let cases: [&[(&str, &str)]; 7] = [
        &[("X-Api-Key", "  k1 ")],
        &[("x-api-key", ""), ("Authorization", "Bearer k2")],
        &[("Authorization", "bearer   k3 ")],
        &[("Authorization", "Basic k4")],
        &[("X-Api-Key", "k5"), ("X-Api-Key", "k6")],
        &[("Authorization", "Bearer")],
        &[("X-Api-Key", "k\u{e9}"), ("Authorization", "Bearer k7")],
    ];
    for raw in cases {
        let f = fields(raw);
        let mut map = HeaderMap::new();
        for (n, v) in raw {
            let name = HeaderName::from_bytes(n.as_bytes()).expect("name");
            map.append(name, HeaderValue::from_bytes(v.as_bytes()).expect("value"));
        }
        let lane = scan(&f).and_then(|s| tenant_token(&s).map(str::to_string));
        let stack = headers::tenant_token(&map).map(str::to_string);
        assert_eq!(lane, stack, "{raw:?}");
    }
}

/// Names the lane and `prepare_upstream` treat in every way they can.
const NAMES: [&str; 14] = [
    "Accept",
    "user-agent",
    "Host",
    "X-Api-Key",
    "Authorization",
    "Connection",
    "Keep-Alive",
    "TE",
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "X-Request-Id",
    "traceparent",
    "X-Method-Override",
    "Proxy-Authorization",
];
const VALUES: [&str; 5] = ["keep-alive", "close", "Bearer k", "10.1.2.3", "a b"];

proptest! {
    /// Whatever fields a read carries, HeyGen gets from the lane what
    /// `prepare_upstream` leaves in a header map of them.
    #[test]
    fn the_lanes_head_is_what_the_stack_would_send(
        picks in proptest::collection::vec((0..NAMES.len(), 0..VALUES.len()), 0..8)
    ) {
        let raw: Vec<(&str, &str)> = picks.iter().map(|&(n, v)| (NAMES[n], VALUES[v])).collect();
        let f = fields(&raw);
        let Some(scan) = scan(&f) else {
            return Ok(());
        };
        let (host, org) = (HeaderValue::from_static("heygen"), HeaderValue::from_static("sk_org"));
        let (ip, id) = (HeaderValue::from_static("127.0.0.1"), HeaderValue::from_static("rid"));
        let head = write_head("GET", "/v2/voices", &f, &scan, &added(&host, &org, &ip, &id));
        let (_, lane) = written(&head);

        let mut map = HeaderMap::new();
        for (n, v) in &raw {
            let name = HeaderName::from_bytes(n.as_bytes()).expect("name");
            map.append(name, HeaderValue::from_static(v));
        }
        headers::prepare_upstream(&mut map, &org, &ip, &id);
        map.insert(http::header::HOST, host.clone());
        let mut stack: Vec<_> = map
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        stack.sort();
        prop_assert_eq!(lane, stack);
    }
}

#[test]
fn every_known_name_is_filed_under_its_length() {
    for (len, names) in KNOWN.iter().enumerate() {
        for (name, f) in names.iter() {
            assert_eq!(name.len(), len, "{name}");
            assert_eq!(field(&name.to_ascii_uppercase()), *f, "{name}");
        }
    }
    assert_eq!(field("Accept"), Field::Keep);
    assert_eq!(field("x-custom-field-name-longer-than-all"), Field::Keep);
}

#[test]
fn only_what_to_str_takes_is_text() {
    assert_eq!(text(b"00-ab\tcd"), Some("00-ab\tcd"));
    // Valid UTF-8, but not what `HeaderValue::to_str` gives: the stack
    // logs no trace id for it, and neither does the lane.
    assert_eq!(text("00-\u{fc}".as_bytes()), None);
    assert_eq!(text(b"a\x7fb"), None);
}
