//! Pass-through: the org key replaces the tenant key, bodies and statuses come
//! back exactly as HeyGen sent them, request ids flow both ways, HTTP/2 works.

use http::Version;

use crate::common::*;
use crate::{status_line, Rig};

/// Asserts the last request the mock saw carried exactly the org key and no
/// trace of the tenant's credentials.
#[track_caller]
fn assert_org_key_only(rig: &Rig, tenant_token: &str) {
    let reqs = rig.mock.requests();
    let last = reqs.last().expect("the mock received the request");
    let keys: Vec<_> = last.headers.get_all("x-api-key").iter().collect();
    assert_eq!(keys.len(), 1, "exactly one X-Api-Key upstream: {keys:?}");
    assert_eq!(keys[0].as_bytes(), ORG_KEY.as_bytes());
    assert!(last.headers.get("authorization").is_none());
    for (name, value) in &last.headers {
        let v = String::from_utf8_lossy(value.as_bytes());
        assert!(
            !v.contains(tenant_token),
            "tenant token leaked upstream in {name}"
        );
    }
}

#[tokio::test]
async fn upstream_sees_the_org_key_and_never_the_tenant_key() {
    let rig = Rig::start().await;
    let direct = rig.direct("GET", "/v2/avatars").await;
    assert_eq!(direct.status, 200);
    let token = tenant_token("alpha");
    let bearer = format!("Bearer {token}");
    let lower_bearer = format!("bearer {token}");
    let header_sets: [Vec<(&str, &str)>; 4] = [
        vec![("x-api-key", &token)],
        vec![("X-API-KEY", &token)],
        vec![("authorization", &bearer)],
        vec![("Authorization", &lower_bearer)],
    ];
    for headers in &header_sets {
        let r = send("GET", &rig.gw.url("/v2/avatars"), headers, "").await;
        assert_eq!(r.status, 200, "{headers:?}: {}", r.text());
        assert_eq!(r.body, direct.body, "{headers:?}");
        assert_org_key_only(&rig, &token);
    }
    assert_eq!(
        rig.mock.count(),
        header_sets.len() + 1,
        "plus the direct read"
    );

    // On the wire in mixed case (hyper's client would lower-case the name).
    let raw = raw_http(
        rig.gw.addr,
        &format!(
            "GET /v2/voices HTTP/1.1\r\nHost: gw\r\nX-aPi-KeY: {token}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(status_line(&raw), "HTTP/1.1 200 OK", "{raw}");
    assert_org_key_only(&rig, &token);
    assert!(!raw.contains(ORG_KEY));
}

#[tokio::test]
async fn responses_are_exactly_what_heygen_returned() {
    let rig = Rig::start().await;
    let id = rig.mock_video().await;
    let paths = [
        "/v2/avatars".to_string(),
        "/v2/voices".to_string(),
        "/v2/user/remaining_quota".to_string(),
        format!("/v1/video_status.get?video_id={id}"),
        format!("/v3/videos/{id}"),
        // HeyGen's own 404 for an unknown id passes through untouched too.
        "/v3/videos/no_such_video".to_string(),
    ];
    for path in &paths {
        let direct = rig.direct("GET", path).await;
        let r = rig.get(path, &[]).await;
        assert_eq!(r.status, direct.status, "{path}");
        assert_eq!(r.body, direct.body, "{path}");
        assert_eq!(
            r.header("content-type"),
            direct.header("content-type"),
            "{path}"
        );
        assert!(r.header("x-gateway-rejected").is_none(), "{path}");
    }
    assert!(!rig.mock.requests_to("/v3/videos/no_such_video").is_empty());
}

#[tokio::test]
async fn free_uploads_are_streamed_to_their_hosts() {
    let rig = Rig::start().await;
    let token = tenant_token("beta");
    let png: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let r = send(
        "POST",
        &rig.gw.url("/v1/asset"),
        &[("x-api-key", &token), ("content-type", "image/png")],
        png.clone(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let uploads = rig.mock.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].bytes, png.len() as u64);
    assert_eq!(uploads[0].content_type.as_deref(), Some("image/png"));
    assert_eq!(r.json()["data"]["id"], uploads[0].id.as_str());

    let body = r#"{"url":"https://example.com/a.png"}"#;
    let r = send(
        "POST",
        &rig.gw.url("/v3/assets"),
        &[("x-api-key", &token), ("content-type", "application/json")],
        body,
    )
    .await;
    assert!(r.header("x-gateway-rejected").is_none(), "{}", r.text());
    let seen = rig.mock.requests_to("/v3/assets");
    assert_eq!(seen.len(), 1);
    assert_eq!(&seen[0].body[..], body.as_bytes());
    assert_org_key_only(&rig, &token);
}

#[tokio::test]
async fn request_id_is_generated_or_propagated_both_ways() {
    let rig = Rig::start().await;
    let r = rig.get("/v2/avatars", &[]).await;
    assert_eq!(r.status, 200);
    let generated = r.header("x-request-id").expect("generated id").to_string();
    assert!(!generated.is_empty());
    let upstream = rig.mock.requests();
    assert_eq!(upstream[0].header("x-request-id"), Some(generated.as_str()));

    let r = rig
        .get("/v2/avatars", &[("x-request-id", "client-req-42")])
        .await;
    assert_eq!(r.header("x-request-id"), Some("client-req-42"));
    assert_eq!(
        rig.mock.requests()[1].header("x-request-id"),
        Some("client-req-42")
    );
    let r2 = rig.get("/v2/avatars", &[]).await;
    assert_ne!(r2.header("x-request-id"), Some(generated.as_str()));

    // Rejections carry it too.
    let r = send(
        "GET",
        &rig.gw.url("/v2/avatars"),
        &[("x-request-id", "rejected-1")],
        "",
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-request-id"), Some("rejected-1"));
}

#[tokio::test]
async fn http2_prior_knowledge_clients_work_end_to_end() {
    let rig = Rig::start().await;
    let id = rig.mock_video().await;
    let token = tenant_token("alpha");
    for path in ["/v2/avatars".to_string(), format!("/v3/videos/{id}")] {
        let direct = rig.direct("GET", &path).await;
        let r = send_h2("GET", &rig.gw.url(&path), &[("x-api-key", &token)], "").await;
        assert_eq!(r.version, Version::HTTP_2);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(r.body, direct.body, "{path}");
        assert!(r.header("x-request-id").is_some());
        assert_org_key_only(&rig, &token);
    }
    let r = send_h2(
        "POST",
        &rig.gw.url("/v1/asset"),
        &[("x-api-key", &token), ("content-type", "video/mp4")],
        vec![7u8; 100_000],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(rig.mock.uploads()[0].bytes, 100_000);
    // Refusals keep their envelope over HTTP/2.
    let r = send_h2("GET", &rig.gw.url("/v2/avatars"), &[], "").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-gateway-rejected"), Some("unauthenticated"));
}

#[tokio::test]
async fn request_id_is_returned_on_the_gateways_own_errors() {
    let rig = Rig::start_with(|c| {
        c.set("upstream", "request_timeout_ms", "300")
            .set("server", "max_body_bytes", "1000")
    })
    .await;
    let token = tenant_token("alpha");
    // Each case makes the gateway answer by itself: (status, reason).
    async fn attempt(rig: &Rig, case: usize, headers: &[(&str, &str)]) -> TestResponse {
        match case {
            0 => send("GET", &rig.gw.url("/../v2/avatars"), headers, "").await,
            1 => send("POST", &rig.gw.url("/v1/asset"), headers, vec![0u8; 2000]).await,
            2 => {
                rig.mock.hang(true);
                let r = send("GET", &rig.gw.url("/v2/voices"), headers, "").await;
                rig.mock.hang(false);
                r
            }
            _ => {
                rig.mock.reset_connections(true);
                let r = send("GET", &rig.gw.url("/v2/voices"), headers, "").await;
                rig.mock.reset_connections(false);
                r
            }
        }
    }
    let want = [
        (400, "invalid_request"),
        (413, "payload_too_large"),
        (504, "upstream_timeout"),
        (502, "upstream_failed"),
    ];
    let mut generated = Vec::new();
    for (case, (status, reason)) in want.iter().enumerate() {
        let id = format!("client-err-{case}");
        let given = attempt(
            &rig,
            case,
            &[("x-api-key", token.as_str()), ("x-request-id", id.as_str())],
        )
        .await;
        assert_eq!(given.status, *status, "{}", given.text());
        assert_eq!(given.header("x-gateway-rejected"), Some(*reason));
        assert_eq!(given.header("x-request-id"), Some(id.as_str()), "{reason}");

        let fresh = attempt(&rig, case, &[("x-api-key", token.as_str())]).await;
        assert_eq!(fresh.status, *status, "{}", fresh.text());
        let fresh_id = fresh
            .header("x-request-id")
            .unwrap_or_else(|| panic!("{reason}: no generated X-Request-Id"))
            .to_string();
        assert!(!fresh_id.is_empty(), "{reason}");
        generated.push(fresh_id);
    }
    generated.sort();
    generated.dedup();
    assert_eq!(generated.len(), want.len(), "ids are unique: {generated:?}");
}

#[tokio::test]
async fn the_org_key_can_come_from_a_file_and_never_inline() {
    let mock = start_mock().await;
    let cfg = TestConfig::for_mock(&mock);
    let key_file = cfg.dir.path().join("heygen.key");
    std::fs::write(&key_file, format!("{ORG_KEY}\n")).expect("write key file");
    let cfg = cfg.unset("upstream", "api_key_env").set(
        "upstream",
        "api_key_file",
        &format!("{:?}", key_file.display().to_string()),
    );
    let gw = TestGateway::start(cfg).await;
    let token = tenant_token("alpha");
    let r = send("GET", &gw.url("/v2/avatars"), &[("x-api-key", &token)], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let seen = mock.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("x-api-key"),
        Some(ORG_KEY),
        "trimmed file content"
    );

    // The key itself in the config is refused, naming the key path.
    let inline = TestConfig::for_mock(&mock).set("upstream", "api_key", &format!("{ORG_KEY:?}"));
    let errs = match heygen_gateway::config::Config::from_toml(&inline.toml()) {
        Ok(_) => panic!("an inline org key was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(errs.contains("upstream.api_key"), "{errs}");
    assert!(!errs.contains(ORG_KEY), "the error repeats the key: {errs}");
}
