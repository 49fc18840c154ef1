//! Tenant authentication: unknown, missing or disabled keys get a 401 in the
//! envelope of the path's API generation and nothing reaches HeyGen.

use serde_json::Value;

use crate::common::*;
use crate::Rig;

/// Asserts `body` is the gateway's 401 in the envelope of `path`'s generation.
#[track_caller]
fn assert_401_envelope(path: &str, body: &Value) {
    if path.starts_with("/v1/") {
        assert_eq!(body["code"], 400112, "{path}: {body}");
        assert!(body["message"].is_string(), "{path}: {body}");
        assert!(body.get("error").is_none(), "{path}: {body}");
    } else if path.starts_with("/v2/") {
        assert!(body["data"].is_null(), "{path}: {body}");
        assert!(body.get("data").is_some(), "{path}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized", "{path}: {body}");
        assert!(body["error"]["message"].is_string(), "{path}: {body}");
    } else {
        assert!(body.get("data").is_none(), "{path}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized", "{path}: {body}");
        assert!(body["error"]["message"].is_string(), "{path}: {body}");
    }
}

const PATHS: [&str; 3] = [
    "/v1/video_status.get?video_id=abc",
    "/v2/avatars",
    "/v3/videos/abc",
];

#[tokio::test]
async fn unknown_missing_or_disabled_keys_get_401_and_nothing_is_forwarded() {
    let rig = Rig::start_with(|c| c.disable_tenant("gamma")).await;
    let disabled = tenant_token("gamma");
    let disabled_bearer = format!("Bearer {disabled}");
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![], "unauthenticated"),
        (
            vec![("x-api-key", "hgw_not_a_tenant_key")],
            "unauthenticated",
        ),
        (vec![("x-api-key", "")], "unauthenticated"),
        (
            vec![("authorization", "Bearer hgw_not_a_tenant_key")],
            "unauthenticated",
        ),
        // Another scheme is not a bearer token.
        (
            vec![("authorization", "Basic aGd3OnNlY3JldA==")],
            "unauthenticated",
        ),
        // The org key itself is not a tenant key.
        (vec![("x-api-key", ORG_KEY)], "unauthenticated"),
        (vec![("x-api-key", &disabled)], "tenant_disabled"),
        (vec![("authorization", &disabled_bearer)], "tenant_disabled"),
    ];
    for path in PATHS {
        for (headers, reason) in &cases {
            let r = send("GET", &rig.gw.url(path), headers, "").await;
            assert_eq!(r.status, 401, "{path} {headers:?}: {}", r.text());
            assert_eq!(
                r.header("x-gateway-rejected"),
                Some(*reason),
                "{path} {headers:?}"
            );
            assert_401_envelope(path, &r.json());
            assert!(!r.text().contains(ORG_KEY));
        }
    }
    // Writes are refused the same way, body unread and unforwarded.
    for path in ["/v1/asset", "/v3/assets"] {
        let r = send(
            "POST",
            &rig.gw.url(path),
            &[("x-api-key", "hgw_nope")],
            vec![1u8; 4096],
        )
        .await;
        assert_eq!(r.status, 401, "{path}");
        assert_401_envelope(path, &r.json());
    }
    // A path with dot-segments (as heygen-mcp sends) gets the envelope of the
    // route it normalises to, not of its first segment.
    for (sent, routed) in [
        (
            "/v2/../v1/video_status.get?video_id=abc",
            "/v1/video_status.get",
        ),
        ("//v2/avatars", "/v2/avatars"),
        ("/v2/%2e%2e/v3/videos/abc", "/v3/videos/abc"),
    ] {
        let r = send("GET", &rig.gw.url(sent), &[("x-api-key", "hgw_nope")], "").await;
        assert_eq!(r.status, 401, "{sent}: {}", r.text());
        assert_401_envelope(routed, &r.json());
    }
    assert_eq!(rig.mock.count(), 0, "{:?}", rig.mock.requests());
    assert!(rig.mock.uploads().is_empty());

    // The same paths with a valid key do reach HeyGen (the 401s were the gateway's).
    for path in PATHS {
        let r = rig.get(path, &[]).await;
        assert_ne!(r.status, 401, "{path}: {}", r.text());
    }
    assert_eq!(rig.mock.count(), PATHS.len());
}

#[tokio::test]
async fn rotated_keys_both_authenticate_the_same_tenant() {
    let rig =
        Rig::start_with(|c| c.tenant("beta", |t| t.keys.push(key_hash("hgw_test_beta_rotated"))))
            .await;
    for token in [tenant_token("beta"), "hgw_test_beta_rotated".to_string()] {
        let r = send(
            "GET",
            &rig.gw.url("/v2/voices"),
            &[("x-api-key", &token)],
            "",
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert_eq!(rig.mock.count(), 2);
}
