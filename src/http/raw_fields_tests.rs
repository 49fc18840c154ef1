use super::*;

fn relay(fields: &[(&str, &str)]) -> Option<RawFields> {
    RawFields::relay(fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())))
}

#[test]
fn fields_are_kept_in_order_in_lower_case_without_hop_by_hop_ones() {
    let raw = relay(&[
        ("Content-Type", "application/json"),
        ("Keep-Alive", "timeout=5"),
        ("X-Request-Id", "heygen-own"),
        ("Set-Cookie", "a=1"),
        ("Proxy-Authenticate", "Basic"),
        ("TE", "trailers"),
        ("Trailer", "x"),
        ("Upgrade", "h2c"),
        ("Proxy-Connection", "keep-alive"),
        ("Transfer-Encoding", "chunked"),
        ("set-cookie", "b=2"),
    ])
    .expect("no Connection naming fields");
    assert_eq!(
        String::from_utf8_lossy(&raw.lines),
        "content-type: application/json\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n"
    );
    assert!(!raw.date);
    assert_eq!(raw.length, None);
}

#[test]
fn date_is_noticed_and_content_length_left_to_the_writer() {
    let raw = relay(&[
        ("DATE", "Mon, 07 Dec 2026 18:00:00 GMT"),
        ("Content-Length", "12"),
    ])
    .expect("taken");
    assert_eq!(
        String::from_utf8_lossy(&raw.lines),
        "date: Mon, 07 Dec 2026 18:00:00 GMT\r\n"
    );
    assert!(raw.date);
    assert_eq!(raw.length, Some(12));
}

#[test]
fn a_connection_naming_fields_leaves_the_answer_to_the_map() {
    assert_eq!(
        relay(&[("Connection", "x-secret"), ("X-Secret", "1")]),
        None
    );
}

#[test]
fn lengths_declare_one_valid_value_or_the_same_repeated() {
    let length = |values: &[&str]| {
        let mut l = Lengths::default();
        values.iter().for_each(|v| l.add(v.as_bytes()));
        l.get()
    };
    assert_eq!(length(&[]), None);
    assert_eq!(length(&["0"]), Some(0));
    assert_eq!(length(&["42", "42"]), Some(42));
    assert_eq!(length(&["42", "43"]), None);
    assert_eq!(length(&["42", ""]), None);
    assert_eq!(length(&["+4"]), None);
    assert_eq!(length(&[" 4"]), None);
    assert_eq!(length(&["99999999999999999999999"]), None);
    assert_eq!(length(&["x", "4"]), None);
}

#[test]
fn every_hop_by_hop_name_is_dropped_in_any_case_and_nothing_else() {
    for name in HOP_BY_HOP {
        let expected = match name {
            "connection" => Kind::Connection,
            _ => Kind::Dropped,
        };
        assert_eq!(kind(name.as_bytes()), expected, "{name}");
        assert_eq!(
            kind(name.to_ascii_uppercase().as_bytes()),
            expected,
            "{name}"
        );
    }
    assert_eq!(kind(b"X-Request-ID"), Kind::Dropped);
    assert_eq!(kind(b"Date"), Kind::Date);
    assert_eq!(kind(b"content-LENGTH"), Kind::Length);
    for kept in [
        "content-type",
        "tee",
        "t",
        "x-request-ids",
        "set-cookie",
        "upgrades",
        "",
    ] {
        assert_eq!(kind(kept.as_bytes()), Kind::Kept, "{kept}");
    }
}
