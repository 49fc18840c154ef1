//! What no tenant created: account-wide routes need `org_admin`, resources
//! nobody recorded follow `isolation.unowned`, and ops adopt such resources
//! for a tenant by CLI and admin API.

use serde_json::json;

use crate::common::*;
use crate::{assert_not_owner, Rig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_wide_routes_need_org_admin() {
    let rig = Rig::start(|c| {
        c.tenant("gamma", |t| {
            t.lines
                .push("routes = { allow = [\"org_admin\", \"account\", \"webhook\"] }".into())
        })
    })
    .await;
    let routes = [
        (
            "POST",
            "/v1/webhook/endpoint.add",
            r#"{"url":"https://attacker.example/h"}"#,
        ),
        (
            "PATCH",
            "/v1/webhook/endpoint.update",
            r#"{"endpoint_id":"e","url":"https://x.example"}"#,
        ),
        ("DELETE", "/v1/webhook/endpoint.delete?endpoint_id=e", ""),
        ("GET", "/v1/webhook/endpoint.list", ""),
        (
            "POST",
            "/v3/webhooks/endpoints",
            r#"{"url":"https://x.example"}"#,
        ),
        (
            "PATCH",
            "/v3/webhooks/endpoints/e1",
            r#"{"url":"https://x.example"}"#,
        ),
        ("DELETE", "/v3/webhooks/endpoints/e1", ""),
        ("GET", "/v3/webhooks/endpoints", ""),
        ("POST", "/v3/webhooks/endpoints/e1/rotate-secret", "{}"),
        ("GET", "/v3/users/me", ""),
        ("GET", "/v1/user/me", ""),
        ("GET", "/v2/user/remaining_quota", ""),
    ];
    rig.mock.clear();
    for (method, path, body) in routes {
        let r = rig.call("alpha", method, path, body).await;
        assert_eq!(r.status, 403, "{path}: {}", r.text());
        assert_eq!(r.header("x-gateway-rejected"), Some("org_route"), "{path}");
    }
    assert_eq!(
        rig.mock.count(),
        0,
        "nothing forwarded: {:?}",
        rig.mock.requests()
    );
    // A tenant that names org_admin reaches HeyGen.
    let r = rig.call("gamma", "GET", "/v3/users/me", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(rig.mock.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unowned_resources_follow_the_isolation_setting() {
    // deny (default): invisible.
    let rig = Rig::start(|c| c).await;
    let stray = rig.unrecorded_video().await;
    assert_not_owner(
        &rig.call("alpha", "GET", &format!("/v3/videos/{stray}"), "")
            .await,
    );
    // read: readable, not deletable; stock content is readable either way.
    let rig = Rig::start(|c| c.set("isolation", "unowned", "\"read\"")).await;
    let stray = rig.unrecorded_video().await;
    let r = rig
        .call("alpha", "GET", &format!("/v3/videos/{stray}"), "")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_not_owner(
        &rig.call("alpha", "DELETE", &format!("/v3/videos/{stray}"), "")
            .await,
    );
    for path in ["/v2/avatars", "/v2/voices"] {
        assert_eq!(
            rig.call("beta", "GET", path, "").await.status,
            200,
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_adopt_existing_resources_by_cli_and_admin_api() {
    let rig = Rig::start(|c| c).await;
    let first = rig.unrecorded_video().await;
    let second = rig.unrecorded_video().await;
    let status = |id: &str| format!("/v3/videos/{id}");
    assert_not_owner(&rig.call("alpha", "GET", &status(&first), "").await);

    // CLI: the config's store, journaled; unknown tenants are usage errors.
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_heygen-gateway"))
            .arg("assign")
            .arg("--config")
            .arg(&rig.gw.config_path)
            .args(args)
            .env("HEYGEN_API_KEY", ORG_KEY)
            .output()
            .expect("run assign")
    };
    let out = cli(&["--tenant", "nobody", &first]);
    assert_eq!(out.status.code(), Some(64), "{out:?}");
    let out = cli(&["--tenant", "alpha", "--kind", "video", &first]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let r = rig.call("alpha", "GET", &status(&first), "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_not_owner(&rig.call("beta", "GET", &status(&first), "").await);

    // Admin API.
    let admin = |method: &str, path: &str, body: String| {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let url = rig.gw.admin_url(path);
        let method = method.to_string();
        async move { send(&method, &url, &[("authorization", auth.as_str())], body).await }
    };
    let r = admin(
        "POST",
        "/admin/v1/resources",
        json!({"tenant": "beta", "resources": [second], "kind": "video", "actor": "ops@example"})
            .to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["data"]["assigned"], 1);
    assert_eq!(
        rig.call("beta", "GET", &status(&second), "").await.status,
        200
    );
    let r = admin(
        "POST",
        "/admin/v1/resources",
        json!({"tenant": "ghost", "resources": ["x"]}).to_string(),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text());
    let listed = admin("GET", "/admin/v1/resources?tenant=beta", String::new()).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let ids: Vec<String> = listed.json()["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r["resource_id"].as_str().map(str::to_string))
        .collect();
    assert!(ids.contains(&second), "{ids:?}");
}
