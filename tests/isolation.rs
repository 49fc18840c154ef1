//! Isolation per resource family, end to end: for every kind of resource a
//! tenant can create through the gateway, another tenant naming it (path,
//! query or body) gets 404 `not_owner` in the path generation's envelope
//! and HeyGen never sees the attempt, while the creator's own call goes
//! through. Lists page through only the tenant's own items.

mod common;
#[path = "isolation/families.rs"]
mod families;
#[path = "isolation/families_resources.rs"]
mod families_resources;
#[path = "isolation/lists.rs"]
mod lists;

use serde_json::{json, Value};

use common::*;
use families::families;
use heygen_mock::MockHeygen;

struct Rig {
    mock: MockHeygen,
    gw: TestGateway,
}

impl Rig {
    async fn start() -> Rig {
        let mock = start_mock().await;
        // Enterprise: proofreads and digital twins are enterprise-only.
        let cfg = TestConfig::for_mock(&mock).set("plan", "tier", "\"enterprise\"");
        let gw = TestGateway::start(cfg).await;
        Rig { mock, gw }
    }

    async fn call(&self, tenant: &str, method: &str, path: &str, body: &str) -> TestResponse {
        call_as(&self.gw, tenant, method, path, body).await
    }
}

/// One family: how its resource is created, where the answer names it, and
/// the calls that name it (`{id}` is replaced; bodies may name it too).
struct Family {
    name: &'static str,
    create: (&'static str, &'static str, Value),
    pointer: &'static str,
    names: &'static [(&'static str, &'static str, &'static str)],
}

/// The envelope a 404 on `path` must come in: v1 `error_code`, v2
/// `error.code` with `data: null`, v3 `error.code`.
fn check_envelope(path: &str, body: &Value) -> bool {
    if path.starts_with("/v1/") {
        body["error_code"] == "not_found"
    } else {
        body["error"]["code"] == "not_found"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_family_is_its_creators_alone() {
    let rig = Rig::start().await;
    let mut failures = Vec::new();
    for f in families() {
        let (m, path, body) = &f.create;
        let r = rig.call("alpha", m, path, &body.to_string()).await;
        let Some(id) = r
            .json()
            .pointer(f.pointer)
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            failures.push(format!(
                "{}: create answered {} {}",
                f.name,
                r.status,
                r.text()
            ));
            continue;
        };
        for (m, target, body) in f.names {
            let target = target.replace("{id}", &id);
            let body = body.replace("{id}", &id);
            let before = rig.mock.count();
            let r = rig.call("beta", m, &target, &body).await;
            let forwarded = rig
                .mock
                .requests()
                .iter()
                .skip(before)
                .any(|q| target.starts_with(&q.path));
            if r.status != 404
                || r.header("x-gateway-rejected") != Some("not_owner")
                || !check_envelope(&target, &r.json())
                || forwarded
            {
                failures.push(format!(
                    "{}: beta {m} {target} -> {} {:?} forwarded={forwarded} {}",
                    f.name,
                    r.status,
                    r.header("x-gateway-rejected"),
                    r.text()
                ));
            }
        }
        // The creator's own call goes through to HeyGen.
        let (m, target, body) = f.names[0];
        let target = target.replace("{id}", &id);
        let before = rig.mock.count();
        let r = rig
            .call("alpha", m, &target, &body.replace("{id}", &id))
            .await;
        let reached = rig
            .mock
            .requests()
            .iter()
            .skip(before)
            .any(|q| target.starts_with(&q.path));
        if r.header("x-gateway-rejected").is_some() || !reached {
            failures.push(format!(
                "{}: owner {m} {target} -> {} {}",
                f.name,
                r.status,
                r.text()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_unrecorded_photo_avatar_follows_the_unowned_setting() {
    let rig = Rig::start().await;
    rig.mock.clear();
    // Reads of ids nobody recorded are stock; deletes need an owner.
    let read = rig
        .call("beta", "GET", "/v2/photo_avatar/generation/g0", "")
        .await;
    assert_ne!(read.header("x-gateway-rejected"), Some("not_owner"));
    for path in ["/v2/photo_avatar/p0", "/v2/photo_avatar_group/g0"] {
        let r = rig.call("beta", "DELETE", path, "").await;
        assert_eq!(r.status, 404, "{path}: {}", r.text());
        assert_eq!(r.header("x-gateway-rejected"), Some("not_owner"), "{path}");
        assert!(rig.mock.requests_to(path).is_empty(), "{path}");
    }
}

#[tokio::test]
async fn a_body_another_parser_could_read_differently_names_nothing_unchecked() {
    let rig = Rig::start().await;
    let body = json!({"quality": "medium", "avatar_id": "a"}).to_string();
    let r = rig.call("alpha", "POST", "/v1/streaming.new", &body).await;
    let id = r.json()["data"]["session_id"]
        .as_str()
        .expect("session_id")
        .to_string();
    // A BOM, `NaN`, a repeated key and another letter case: bodies HeyGen
    // might read (finding alpha's session) where a lenient check found no
    // id, or beta's. Each is refused with a 4xx and never forwarded.
    for body in [
        format!("\u{feff}{{\"session_id\":\"{id}\"}}"),
        format!(r#"{{"session_id":"{id}","x":NaN}}"#),
        format!(r#"{{"session_id":"mine","session_id":"{id}"}}"#),
        format!(r#"{{"Session_Id":"{id}"}}"#),
    ] {
        let r = rig.call("beta", "POST", "/v1/streaming.stop", &body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        let stops = rig.mock.requests_to("/v1/streaming.stop");
        assert!(stops.is_empty(), "{body} was forwarded");
    }
}

#[tokio::test]
async fn a_job_cannot_be_made_from_another_tenants_upload() {
    let rig = Rig::start().await;
    let r = rig.call("alpha", "POST", "/v3/assets", "{}").await;
    let asset = r.json()["data"]["asset_id"]
        .as_str()
        .expect("asset_id")
        .to_string();
    let body = json!({"video": {"type": "asset", "asset_id": asset},
                      "output_languages": ["French"]})
    .to_string();
    // Beta would get a translated copy of alpha's private upload.
    let r = rig
        .call("beta", "POST", "/v3/video-translations", &body)
        .await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.header("x-gateway-rejected"), Some("not_owner"));
    assert!(rig.mock.requests_to("/v3/video-translations").is_empty());
    // Alpha makes one from its own upload; a stock avatar stays anyone's.
    let r = rig
        .call("alpha", "POST", "/v3/video-translations", &body)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let stock = json!({"video_inputs": [{"character": {"type": "avatar", "avatar_id": "stock"},
                                         "voice": {"type": "silence", "duration": 3.0}}]});
    let r = rig
        .call("beta", "POST", "/v2/video/generate", &stock.to_string())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}
