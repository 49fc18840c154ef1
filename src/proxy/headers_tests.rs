//! Header hygiene: hop-by-hop and override stripping, the org key and
//! forwarding headers, request ids, trace ids, scoped idempotency keys.

use super::*;

/// The fast lane's answers drop hop-by-hop fields as bytes
/// (`http::raw_fields`); they must be the ones stripped here.
#[test]
fn the_lanes_hop_by_hop_fields_are_these() {
    let ours = HOP_BY_HOP;
    let ours: Vec<&str> = ours.iter().map(HeaderName::as_str).collect();
    assert_eq!(ours, crate::http::raw_fields::HOP_BY_HOP);
}

#[test]
fn strips_hop_by_hop_and_connection_named_headers() {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONNECTION,
        HeaderValue::from_static("keep-alive, x-secret-hop"),
    );
    h.insert("x-secret-hop", HeaderValue::from_static("1"));
    h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
    h.insert(header::TE, HeaderValue::from_static("trailers"));
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert("x-keep", HeaderValue::from_static("1"));
    strip_hop_by_hop(&mut h);
    assert_eq!(h.len(), 1);
    assert!(h.contains_key("x-keep"));
}

#[test]
fn each_stripped_header_goes_even_when_it_is_the_only_one() {
    // The strippers return early when none of their names is present:
    // each name alone, among ordinary headers, must still be found.
    for (name, strip) in HOP_BY_HOP
        .iter()
        .map(|n| (n, strip_hop_by_hop as fn(&mut HeaderMap)))
        .chain(
            METHOD_OVERRIDES
                .iter()
                .map(|n| (n, strip_method_overrides as _)),
        )
    {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("a/b"));
        h.insert(X_API_KEY, HeaderValue::from_static("k"));
        let raw = HeaderName::from_bytes(name.as_str().to_ascii_uppercase().as_bytes());
        h.append(raw.unwrap(), HeaderValue::from_static("GET"));
        strip(&mut h);
        assert!(!h.contains_key(name), "{name} was kept");
        assert_eq!(h.len(), 2, "{name}: other headers lost");
    }
}

#[test]
fn forwarded_for_appends_the_peer_of_either_family_to_the_chain() {
    let v6: IpAddr = "2001:db8:ffff:ffff:ffff:ffff:255.255.255.255"
        .parse()
        .unwrap();
    let chain = HeaderValue::from_static("203.0.113.9, 198.51.100.7");
    let xff = forwarded_for(&chain, &peer_ip(v6));
    assert_eq!(xff, format!("203.0.113.9, 198.51.100.7, {v6}").as_str());
    let v4 = peer_ip("127.0.0.1".parse().unwrap());
    assert_eq!(v4, "127.0.0.1");
    // A chain that is no text is replaced, as before, not copied on.
    let junk = HeaderValue::from_bytes(b"\xff\xfe").unwrap();
    assert_eq!(forwarded_for(&junk, &v4), "127.0.0.1");
}

#[test]
fn fresh_request_ids_are_distinct_lower_case_v4_uuids() {
    let a = request_id(&HeaderMap::new());
    let b = request_id(&HeaderMap::new());
    assert_ne!(a, b);
    let text = a.to_str().unwrap();
    assert_eq!(text, text.to_ascii_lowercase());
    let id = uuid::Uuid::parse_str(text).unwrap();
    assert_eq!(id.get_version_num(), 4);
    assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
    assert_eq!(id.hyphenated().to_string(), text);
}

#[test]
fn reads_only_well_formed_traceparents() {
    let h = |v: &str| {
        let mut m = HeaderMap::new();
        m.insert("traceparent", HeaderValue::from_str(v).unwrap());
        trace_id(&m)
    };
    assert_eq!(
        h("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01").as_deref(),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(
        h("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
        None
    );
    assert_eq!(
        h("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        None
    );
    assert_eq!(h("00-xyz-00f067aa0ba902b7-01"), None);
    assert_eq!(trace_id(&HeaderMap::new()), None);
}

#[test]
fn finds_tenant_token_in_either_header() {
    let mut h = HeaderMap::new();
    h.insert("X-API-KEY", HeaderValue::from_static("tok1"));
    assert_eq!(tenant_token(&h), Some("tok1"));
    let mut h = HeaderMap::new();
    h.insert(
        header::AUTHORIZATION,
        HeaderValue::from_static("bearer tok2"),
    );
    assert_eq!(tenant_token(&h), Some("tok2"));
    let mut h = HeaderMap::new();
    h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
    assert_eq!(tenant_token(&h), None);
}

#[test]
fn idempotency_keys_are_scoped_per_tenant() {
    let scoped = |tenant: &str| {
        let mut h = HeaderMap::new();
        h.insert(IDEMPOTENCY_KEY, HeaderValue::from_static("order-1"));
        scope_idempotency_key(&mut h, tenant);
        h.get(IDEMPOTENCY_KEY)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    };
    assert_ne!(scoped("a"), scoped("b"));
    assert_eq!(scoped("a"), scoped("a"));
    assert!(scoped("a").starts_with("gw-") && scoped("a").len() == 67);
}

#[test]
fn injects_org_key_and_drops_tenant_credentials() {
    let mut h = HeaderMap::new();
    h.insert("x-api-key", HeaderValue::from_static("tenant"));
    h.append("X-Api-Key", HeaderValue::from_static("tenant-again"));
    h.insert(
        header::AUTHORIZATION,
        HeaderValue::from_static("Bearer tenant"),
    );
    h.insert(header::HOST, HeaderValue::from_static("gateway.local"));
    h.insert("X-HTTP-Method-Override", HeaderValue::from_static("POST"));
    h.insert("x-http-method", HeaderValue::from_static("POST"));
    h.insert("X-Method-Override", HeaderValue::from_static("DELETE"));
    let rid = HeaderValue::from_static("rid-1");
    prepare_upstream(
        &mut h,
        &HeaderValue::from_static("org"),
        &peer_ip("10.0.0.1".parse().unwrap()),
        &rid,
    );
    let keys: Vec<_> = h.get_all("x-api-key").iter().collect();
    assert_eq!(keys, ["org"]);
    assert!(h.get(header::AUTHORIZATION).is_none());
    assert!(h.get(header::HOST).is_none());
    for name in &METHOD_OVERRIDES {
        assert!(h.get(name).is_none(), "{name} reached HeyGen");
    }
    assert_eq!(h.get(X_FORWARDED_FOR).unwrap(), "10.0.0.1");
    assert_eq!(h.get(X_REQUEST_ID).unwrap(), "rid-1");
    // Sent to HeyGen unindexed (HPACK), while the id the client and the
    // logs see stays an ordinary value.
    assert!(h.get(X_REQUEST_ID).unwrap().is_sensitive());
    assert!(!rid.is_sensitive());
}

#[test]
fn a_connection_header_cannot_strip_the_idempotency_key() {
    // As `forward` does: scope the key, then prepare the headers. The key
    // was claimed by then, so HeyGen must see it, whatever `Connection` says.
    let mut h = HeaderMap::new();
    h.insert(
        header::CONNECTION,
        HeaderValue::from_static("Idempotency-Key, x-hop"),
    );
    h.insert("x-hop", HeaderValue::from_static("1"));
    h.insert(IDEMPOTENCY_KEY, HeaderValue::from_static("order-1"));
    scope_idempotency_key(&mut h, "alpha");
    let scoped = h.get(IDEMPOTENCY_KEY).cloned().unwrap();
    prepare_upstream(
        &mut h,
        &HeaderValue::from_static("org"),
        &peer_ip("10.0.0.1".parse().unwrap()),
        &HeaderValue::from_static("rid"),
    );
    assert_eq!(h.get(IDEMPOTENCY_KEY), Some(&scoped));
    assert!(scoped.to_str().unwrap().starts_with("gw-"));
    assert!(!h.contains_key("x-hop"), "other named headers still go");
    assert!(!h.contains_key(header::CONNECTION));
}
