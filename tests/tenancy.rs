//! Tenant isolation over the shared org key, end to end: what one tenant
//! created, another can neither read, list, change nor delete — and HeyGen
//! never sees the attempt; account-wide routes need `org_admin`; resources
//! nobody recorded follow `isolation.unowned`.

mod common;
#[path = "tenancy/unowned.rs"]
mod unowned;

use serde_json::{json, Value};

use common::*;
use heygen_mock::MockHeygen;

struct Rig {
    mock: MockHeygen,
    gw: TestGateway,
}

impl Rig {
    async fn start(f: impl FnOnce(TestConfig) -> TestConfig) -> Rig {
        let mock = start_mock().await;
        let gw = TestGateway::start(f(TestConfig::for_mock(&mock))).await;
        Rig { mock, gw }
    }

    async fn call(&self, tenant: &str, method: &str, path: &str, body: &str) -> TestResponse {
        call_as(&self.gw, tenant, method, path, body).await
    }

    /// A video created through the gateway by `tenant`.
    async fn video(&self, tenant: &str) -> String {
        let body = json!({"video_inputs": [{"voice": {"type": "silence", "duration": 3.0}}]});
        let r = self
            .call(tenant, "POST", "/v2/video/generate", &body.to_string())
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["data"]["video_id"]
            .as_str()
            .expect("video_id")
            .to_string()
    }

    /// A video made with the org key directly (before the gateway).
    async fn unrecorded_video(&self) -> String {
        let body = json!({"video_inputs": [{"voice": {"type": "silence", "duration": 3.0}}]});
        let r = send(
            "POST",
            &format!("{}/v2/video/generate", self.mock.url()),
            &[("x-api-key", ORG_KEY), ("content-type", "application/json")],
            body.to_string(),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["data"]["video_id"]
            .as_str()
            .expect("video_id")
            .to_string()
    }
}

fn assert_not_owner(r: &TestResponse) {
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(
        r.header("x-gateway-rejected"),
        Some("not_owner"),
        "{}",
        r.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenant_cannot_read_change_or_delete_a_video_and_heygen_sees_nothing() {
    let rig = Rig::start(|c| c).await;
    let video = rig.video("alpha").await;
    let reads = [
        format!("/v1/video_status.get?video_id={video}"),
        format!("/v2/videos/{video}"),
        format!("/v3/videos/{video}"),
        format!("/v3/videos/statuses?ids=x,{video}"),
    ];
    rig.mock.clear();
    for path in &reads {
        assert_not_owner(&rig.call("beta", "GET", path, "").await);
    }
    for (method, path) in [
        ("DELETE", format!("/v1/video.delete?video_id={video}")),
        ("DELETE", format!("/v3/videos/{video}")),
    ] {
        assert_not_owner(&rig.call("beta", method, &path, "").await);
    }
    assert_eq!(rig.mock.count(), 0, "{:?}", rig.mock.requests());
    // The v1 envelope for a v1 path, the v3 one for v3.
    let v1 = rig.call("beta", "GET", &reads[0], "").await.json();
    assert_eq!(v1["error_code"], "not_found", "{v1}");
    let v3 = rig.call("beta", "GET", &reads[2], "").await.json();
    assert_eq!(v3["error"]["code"], "not_found", "{v3}");
    // The owner reads it.
    for path in &reads[..3] {
        let r = rig.call("alpha", "GET", path, "").await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_show_only_the_tenants_own_videos() {
    let rig = Rig::start(|c| c).await;
    let a = rig.video("alpha").await;
    let b = rig.video("beta").await;
    let stray = rig.unrecorded_video().await;
    let ids = |v: &Value| -> Vec<String> {
        v["data"]["videos"]
            .as_array()
            .expect("videos")
            .iter()
            .filter_map(|x| x["video_id"].as_str().map(str::to_string))
            .collect()
    };
    let alpha = rig.call("alpha", "GET", "/v1/video.list", "").await;
    assert_eq!(alpha.status, 200, "{}", alpha.text());
    assert_eq!(ids(&alpha.json()), vec![a.clone()], "{}", alpha.text());
    assert_eq!(alpha.json()["code"], 100, "HeyGen's v1 envelope is kept");
    let beta = rig.call("beta", "GET", "/v1/video.list", "").await;
    assert_eq!(ids(&beta.json()), vec![b], "{}", beta.text());
    assert!(!ids(&beta.json()).contains(&stray));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_controls_check_the_session_named_in_the_body() {
    let rig = Rig::start(|c| c).await;
    let r = rig
        .call("alpha", "POST", "/v1/streaming.new", r#"{"quality":"low"}"#)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let session = r.json()["data"]["session_id"]
        .as_str()
        .expect("session_id")
        .to_string();
    rig.mock.clear();
    for control in ["streaming.task", "streaming.stop"] {
        let body = json!({"session_id": session, "text": "say this"}).to_string();
        assert_not_owner(
            &rig.call("beta", "POST", &format!("/v1/{control}"), &body)
                .await,
        );
    }
    // The session meter's own watch (`GET /v1/streaming.list` with the org
    // key) may run meanwhile; it is not the tenants' traffic.
    let forwarded = || {
        rig.mock
            .requests()
            .into_iter()
            .filter(|r| r.path != "/v1/streaming.list")
            .count()
    };
    assert_eq!(forwarded(), 0, "{:?}", rig.mock.requests());
    let body = json!({"session_id": session, "text": "hello"}).to_string();
    let r = rig.call("alpha", "POST", "/v1/streaming.task", &body).await;
    // Forwarded (the mock has no streaming.task route; HeyGen's answer,
    // whatever it is, is not a gateway refusal).
    assert!(r.header("x-gateway-rejected").is_none(), "{}", r.text());
    assert_eq!(forwarded(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photo_and_look_generations_are_their_creators_not_stock() {
    let rig = Rig::start(|c| c).await;
    let photo = r#"{"name":"n","age":"Young Adult","gender":"Woman","ethnicity":"Unspecified","orientation":"square","pose":"half_body","style":"Realistic","appearance":"a"}"#;
    // A look from a stock (unrecorded) group: allowed, and the look is alpha's.
    let look = r#"{"group_id":"stock_group_1","prompt":"p","orientation":"square","pose":"half_body","style":"Realistic"}"#;
    for (create, body) in [
        ("/v2/photo_avatar/photo/generate", photo),
        ("/v2/photo_avatar/look/generate", look),
    ] {
        let r = rig.call("alpha", "POST", create, body).await;
        assert_eq!(r.status, 200, "{create}: {}", r.text());
        let generation = r.json()["data"]["generation_id"]
            .as_str()
            .expect("generation_id")
            .to_string();
        let path = format!("/v2/photo_avatar/generation/{generation}");
        rig.mock.clear();
        // Recorded as alpha's: beta is refused without HeyGen seeing it...
        assert_not_owner(&rig.call("beta", "GET", &path, "").await);
        assert_eq!(rig.mock.count(), 0, "{create}: {:?}", rig.mock.requests());
        // ...while alpha's read is forwarded.
        rig.call("alpha", "GET", &path, "").await;
        assert_eq!(rig.mock.count(), 1, "{create}: {:?}", rig.mock.requests());
    }
}
