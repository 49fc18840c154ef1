//! Request targets: paths are normalised once and the normalised path is
//! forwarded; query strings pass byte for byte; targets that climb above the
//! root, absolute-form and CONNECT are refused; no spelling of a request sends
//! the org key anywhere but the configured HeyGen hosts.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::common::*;
use crate::{raw_json, status_line, Rig};

#[tokio::test]
async fn the_normalised_path_is_what_heygen_receives() {
    let rig = Rig::start().await;
    let id = rig.mock_video().await;
    // (sent, path the mock must see, query the mock must see)
    let cases = [
        // HeyGen's own Python client sends this spelling.
        (
            format!("/v2/../v1/video_status.get?video_id={id}"),
            "/v1/video_status.get",
            Some(format!("video_id={id}")),
        ),
        ("//v2/avatars".into(), "/v2/avatars", None),
        ("/v2//voices/".into(), "/v2/voices", None),
        (
            "/v2/./user/remaining_quota".into(),
            "/v2/user/remaining_quota",
            None,
        ),
        (
            format!("/v2/%2e%2e/v1/video_status.get?video_id={id}"),
            "/v1/video_status.get",
            Some(format!("video_id={id}")),
        ),
        (
            format!("/v2/%2E%2E/v1/video_status.get?video_id={id}"),
            "/v1/video_status.get",
            Some(format!("video_id={id}")),
        ),
        ("/%76%32/avatars".into(), "/v2/avatars", None),
        (format!("/v3/%76ideos/{id}"), "/v3/videos/ID", None),
        // Reserved characters stay escaped (upper-cased), never decoded.
        ("/v3/videos/a%3ab".into(), "/v3/videos/a%3Ab", None),
    ];
    for (sent, want_path, want_query) in &cases {
        rig.mock.clear();
        let r = rig.get(sent, &[]).await;
        assert!(
            r.header("x-gateway-rejected").is_none(),
            "{sent}: {}",
            r.text()
        );
        let seen = rig.mock.requests();
        assert_eq!(seen.len(), 1, "{sent}");
        let want_path = want_path.replace("ID", &id);
        assert_eq!(seen[0].path, want_path, "{sent}");
        assert_eq!(&seen[0].query, want_query, "{sent}");
        if !sent.contains("a%3ab") {
            assert_eq!(r.status, 200, "{sent}: {}", r.text());
            let direct = rig
                .direct(
                    "GET",
                    &match want_query {
                        Some(q) => format!("{want_path}?{q}"),
                        None => want_path.clone(),
                    },
                )
                .await;
            assert_eq!(r.body, direct.body, "{sent}");
        }
    }
}

#[tokio::test]
async fn query_strings_are_kept_byte_for_byte() {
    let rig = Rig::start().await;
    let query = "video_id=a%2Fb&x=1&x=2&empty=&sp=a+b&t=%7E%2e&u=%C3%A9&flag";
    for path in [
        "/v1/video_status.get",
        "/v2/../v1/video_status.get",
        "//v2/avatars",
    ] {
        rig.mock.clear();
        let r = rig.get(&format!("{path}?{query}"), &[]).await;
        assert!(r.header("x-gateway-rejected").is_none(), "{path}");
        let seen = rig.mock.requests();
        assert_eq!(seen.len(), 1, "{path}");
        assert_eq!(seen[0].query.as_deref(), Some(query), "{path}");
    }
}

#[tokio::test]
async fn paths_climbing_above_the_root_are_refused_unforwarded() {
    let rig = Rig::start().await;
    let token = tenant_token("alpha");
    for path in [
        "/../v2/avatars",
        "/%2e%2e/v2/avatars",
        "/v2/../../v1/video_status.get?video_id=x",
        "/v3/videos/../../../etc/passwd",
    ] {
        for headers in [vec![("x-api-key", token.as_str())], vec![]] {
            let r = send("GET", &rig.gw.url(path), &headers, "").await;
            assert_eq!(r.status, 400, "{path}: {}", r.text());
            assert_eq!(r.header("x-gateway-rejected"), Some("invalid_request"));
            let body = r.json();
            if path.starts_with("/v2/") {
                assert!(
                    body["data"].is_null() && body.get("data").is_some(),
                    "{body}"
                );
            } else {
                // Not a v1/v2 path: the v3 envelope.
                assert!(body.get("data").is_none(), "{body}");
            }
            assert_eq!(body["error"]["code"], "invalid_parameter", "{body}");
        }
    }
    assert_eq!(rig.mock.count(), 0);
}

#[tokio::test]
async fn absolute_form_and_connect_are_refused_unforwarded() {
    let rig = Rig::start().await;
    let token = tenant_token("alpha");
    let requests = [
        format!(
            "GET http://evil.example/v2/avatars HTTP/1.1\r\nHost: evil.example\r\nX-Api-Key: {token}\r\nConnection: close\r\n\r\n"
        ),
        format!(
            "GET http://{}/v2/avatars HTTP/1.1\r\nHost: {}\r\nX-Api-Key: {token}\r\nConnection: close\r\n\r\n",
            rig.mock.addr(),
            rig.mock.addr()
        ),
        format!(
            "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\nX-Api-Key: {token}\r\nConnection: close\r\n\r\n"
        ),
    ];
    for req in &requests {
        let raw = raw_http(rig.gw.addr, req).await;
        assert!(
            status_line(&raw).starts_with("HTTP/1.1 400"),
            "{req}\n---\n{raw}"
        );
        assert_eq!(
            raw_json(&raw)["error"]["code"],
            "invalid_parameter",
            "{raw}"
        );
        assert!(raw
            .to_ascii_lowercase()
            .contains("x-gateway-rejected: invalid_request"));
    }
    assert_eq!(rig.mock.count(), 0);
}

/// A listener that only counts connections: the org key must never get there.
async fn evil_listener() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind evil listener");
    let addr = listener.local_addr().expect("evil addr");
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((_stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    (addr, hits)
}

#[tokio::test]
async fn the_org_key_only_ever_goes_to_the_configured_host() {
    let rig = Rig::start().await;
    let (evil, hits) = evil_listener().await;
    let token = tenant_token("alpha");
    let targets = [
        "/v2/avatars@evil".to_string(),
        format!("/v2/avatars@{evil}"),
        format!("/v2/avatars@{evil}/v2/avatars"),
        "//evil.example/v2/avatars".to_string(),
        format!("//{evil}/v2/avatars"),
        format!("/v2/..//{evil}/v2/avatars"),
        format!("/v2/avatars?next=http://{evil}/&host={evil}"),
        format!("/v2/%2F%2F{evil}/v2/avatars"),
    ];
    for target in &targets {
        let raw = raw_http(
            rig.gw.addr,
            &format!(
                "GET {target} HTTP/1.1\r\nHost: {evil}\r\nX-Forwarded-Host: {evil}\r\nX-Api-Key: {token}\r\nConnection: close\r\n\r\n"
            ),
        )
        .await;
        assert!(
            status_line(&raw).starts_with("HTTP/1.1 "),
            "{target}: {raw}"
        );
        assert!(!raw.contains(ORG_KEY), "{target}");
    }
    // Whatever was forwarded went to the mock, named as the mock.
    let mock_host = rig.mock.addr().to_string();
    for r in rig.mock.requests() {
        assert_eq!(r.host.as_deref(), Some(mock_host.as_str()), "{}", r.path);
        assert_eq!(r.header("x-api-key"), Some(ORG_KEY));
    }
    assert!(!rig.mock.requests_to("/v2/avatars@evil").is_empty());
    assert_eq!(hits.load(Ordering::SeqCst), 0, "a request reached {evil}");
}
