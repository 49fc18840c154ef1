//! Isolation per resource family, end to end: for every kind of resource a
//! tenant can create through the gateway, another tenant naming it (path,
//! query or body) gets 404 `not_owner` in the path generation's envelope
//! and HeyGen never sees the attempt, while the creator's own call goes
//! through. Lists page through only the tenant's own items.

mod common;

use serde_json::{json, Value};

use common::*;
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

fn families() -> Vec<Family> {
    let url = "https://example.com/source.mp4";
    let av =
        json!({"type": "avatar", "avatar_id": "Daisy", "script": "Hello there.", "voice_id": "v1"});
    vec![
        Family {
            name: "v2 studio video",
            create: (
                "POST",
                "/v2/video/generate",
                json!({"video_inputs": [{"voice": {"type": "silence", "duration": 3.0}}]}),
            ),
            pointer: "/data/video_id",
            names: &[
                ("GET", "/v1/video_status.get?video_id={id}", ""),
                ("GET", "/v2/videos/{id}", ""),
                ("DELETE", "/v1/video.delete?video_id={id}", ""),
            ],
        },
        Family {
            name: "v1 webm video",
            create: (
                "POST",
                "/v1/video.webm",
                json!({"avatar_pose_id": "p1", "avatar_style": "normal", "input_text": "Hello there.", "voice_id": "v1"}),
            ),
            pointer: "/data/video_id",
            names: &[("GET", "/v1/video_status.get?video_id={id}", "")],
        },
        Family {
            name: "v2 template video",
            create: (
                "POST",
                "/v2/template/tpl1/generate",
                json!({"variables": {}}),
            ),
            pointer: "/data/video_id",
            names: &[
                ("GET", "/v1/video_status.get?video_id={id}", ""),
                ("DELETE", "/v3/videos/{id}", ""),
            ],
        },
        Family {
            name: "v3 template video",
            create: ("POST", "/v3/templates/tpl1", json!({"variables": {}})),
            pointer: "/data/id",
            names: &[
                ("GET", "/v3/videos/{id}", ""),
                ("GET", "/v3/videos/statuses?video_ids={id}", ""),
            ],
        },
        Family {
            name: "v3 avatar video",
            create: ("POST", "/v3/videos", av.clone()),
            pointer: "/data/video_id",
            names: &[
                ("GET", "/v3/videos/{id}", ""),
                ("GET", "/v3/videos/statuses?video_ids=x,{id}", ""),
                ("DELETE", "/v3/videos/{id}", ""),
            ],
        },
        Family {
            name: "v3 video batch",
            create: (
                "POST",
                "/v3/videos/batches",
                json!({"videos": [av.clone(), av]}),
            ),
            pointer: "/data/batch_id",
            names: &[
                ("GET", "/v3/videos/batches/{id}", ""),
                ("GET", "/v3/videos/statuses?batch_ids={id}", ""),
            ],
        },
        Family {
            name: "v1 video agent",
            create: (
                "POST",
                "/v1/video_agent/generate",
                json!({"prompt": "A short demo."}),
            ),
            pointer: "/data/video_id",
            names: &[("GET", "/v1/video_status.get?video_id={id}", "")],
        },
        Family {
            name: "v3 video agent session",
            create: (
                "POST",
                "/v3/video-agents",
                json!({"prompt": "A short demo."}),
            ),
            pointer: "/data/session_id",
            names: &[
                ("GET", "/v3/video-agents/{id}", ""),
                ("GET", "/v3/video-agents/{id}/videos", ""),
                (
                    "POST",
                    "/v3/video-agents/{id}",
                    r#"{"prompt":"Make it shorter."}"#,
                ),
                ("POST", "/v3/video-agents/{id}/stop", "{}"),
            ],
        },
        Family {
            name: "v2 translation",
            create: (
                "POST",
                "/v2/video_translate",
                json!({"video_url": url, "output_language": "French"}),
            ),
            pointer: "/data/video_translate_id",
            names: &[
                ("GET", "/v2/video_translate/{id}", ""),
                ("DELETE", "/v2/video_translate/{id}", ""),
            ],
        },
        Family {
            name: "v3 translation",
            create: (
                "POST",
                "/v3/video-translations",
                json!({"video": {"type": "url", "url": url}, "output_languages": ["French"]}),
            ),
            pointer: "/data/video_translation_ids/0",
            names: &[
                ("GET", "/v3/video-translations/{id}", ""),
                (
                    "GET",
                    "/v3/video-translations/statuses?video_translation_ids={id}",
                    "",
                ),
                ("PATCH", "/v3/video-translations/{id}", r#"{"title":"x"}"#),
            ],
        },
        Family {
            name: "v2 proofread",
            create: (
                "POST",
                "/v2/video_translate/proofread",
                json!({"video_url": url, "output_language": "French"}),
            ),
            pointer: "/data/proofread_id",
            names: &[
                ("GET", "/v2/video_translate/proofread/{id}", ""),
                ("POST", "/v2/video_translate/proofread/{id}/generate", "{}"),
                ("PUT", "/v2/video_translate/proofread/{id}/srt", "{}"),
            ],
        },
        Family {
            name: "v3 proofread",
            create: (
                "POST",
                "/v3/video-translations/proofreads",
                json!({"video": {"type": "url", "url": url}, "output_languages": ["French"]}),
            ),
            pointer: "/data/proofread_ids/0",
            names: &[
                ("GET", "/v3/video-translations/proofreads/{id}", ""),
                (
                    "POST",
                    "/v3/video-translations/proofreads/{id}/generate",
                    "{}",
                ),
            ],
        },
        Family {
            name: "v3 lipsync",
            create: (
                "POST",
                "/v3/lipsyncs",
                json!({"video": {"type": "url", "url": url}, "audio": {"type": "url", "url": "https://example.com/a.mp3"}}),
            ),
            pointer: "/data/lipsync_id",
            names: &[
                ("GET", "/v3/lipsyncs/{id}", ""),
                ("DELETE", "/v3/lipsyncs/{id}", ""),
            ],
        },
        Family {
            name: "photo avatar group",
            create: (
                "POST",
                "/v2/photo_avatar/avatar_group/create",
                json!({"name": "Team", "image_key": "image/k/original"}),
            ),
            pointer: "/data/group_id",
            names: &[
                ("GET", "/v2/photo_avatar/train/status/{id}", ""),
                ("POST", "/v2/photo_avatar/train", r#"{"group_id":"{id}"}"#),
                (
                    "POST",
                    "/v2/photo_avatar/avatar_group/add",
                    r#"{"group_id":"{id}","image_keys":["k"],"name":"x"}"#,
                ),
                (
                    "POST",
                    "/v2/photo_avatar/look/generate",
                    r#"{"group_id":"{id}","prompt":"p","orientation":"square","pose":"half_body","style":"Realistic"}"#,
                ),
                ("GET", "/v2/avatar_group/{id}/avatars", ""),
                ("DELETE", "/v2/photo_avatar_group/{id}", ""),
            ],
        },
        Family {
            name: "photo avatar generation",
            create: (
                "POST",
                "/v2/photo_avatar/photo/generate",
                json!({"name": "Ann", "age": "Young Adult", "gender": "Woman", "ethnicity": "Unspecified", "orientation": "square", "pose": "half_body", "style": "Realistic", "appearance": "smiling"}),
            ),
            pointer: "/data/generation_id",
            names: &[("GET", "/v2/photo_avatar/generation/{id}", "")],
        },
        Family {
            name: "v3 avatar group",
            create: (
                "POST",
                "/v3/avatars",
                json!({"type": "photo", "name": "Me", "file": {"type": "url", "url": "https://example.com/me.png"}}),
            ),
            pointer: "/data/avatar_group/id",
            names: &[
                ("DELETE", "/v3/avatars/{id}", ""),
                ("POST", "/v3/avatars/{id}/consent", "{}"),
            ],
        },
        Family {
            name: "v3 avatar look",
            create: (
                "POST",
                "/v3/avatars",
                json!({"type": "photo", "name": "Me", "file": {"type": "url", "url": "https://example.com/me.png"}}),
            ),
            pointer: "/data/avatar_item/id",
            names: &[
                ("PATCH", "/v3/avatars/looks/{id}", r#"{"name":"x"}"#),
                ("DELETE", "/v3/avatars/looks/{id}", ""),
            ],
        },
        Family {
            name: "digital twin",
            create: (
                "POST",
                "/v2/video_avatar",
                json!({"training_footage_url": url, "video_consent_url": url, "avatar_name": "Me"}),
            ),
            pointer: "/data/avatar_id",
            names: &[("GET", "/v2/video_avatar/{id}", "")],
        },
        Family {
            name: "talking photo",
            create: ("POST", "/v1/talking_photo", json!({})),
            pointer: "/data/talking_photo_id",
            names: &[("DELETE", "/v1/talking_photo/{id}", "")],
        },
        Family {
            name: "cloned voice",
            create: (
                "POST",
                "/v3/voices/clone",
                json!({"name": "Me", "audio": {"type": "url", "url": "https://example.com/a.mp3"}}),
            ),
            pointer: "/data/voice_clone_id",
            names: &[("DELETE", "/v3/voices/{id}", "")],
        },
        Family {
            name: "designed voice",
            create: ("POST", "/v3/voices", json!({"prompt": "A warm voice."})),
            pointer: "/data/voices/0/voice_id",
            names: &[("DELETE", "/v3/voices/{id}", "")],
        },
        Family {
            name: "uploaded asset",
            create: ("POST", "/v3/assets", json!({})),
            pointer: "/data/asset_id",
            names: &[
                ("GET", "/v3/assets/{id}", ""),
                ("GET", "/v3/assets/statuses?asset_ids={id}", ""),
                ("DELETE", "/v3/assets/{id}", ""),
            ],
        },
        Family {
            name: "streaming session",
            create: (
                "POST",
                "/v1/streaming.new",
                json!({"quality": "medium", "avatar_id": "a"}),
            ),
            pointer: "/data/session_id",
            names: &[
                (
                    "POST",
                    "/v1/streaming.task",
                    r#"{"session_id":"{id}","text":"hi"}"#,
                ),
                ("POST", "/v1/streaming.stop", r#"{"session_id":"{id}"}"#),
            ],
        },
        Family {
            name: "realtime stream",
            create: (
                "POST",
                "/v3/avatar-realtime",
                json!({"type": "text_stream", "avatar_id": "a", "voice_id": "v"}),
            ),
            pointer: "/data/stream_id",
            names: &[
                ("GET", "/v3/avatar-realtime/{id}", ""),
                (
                    "POST",
                    "/v3/avatar-realtime/{id}/text",
                    r#"{"delta":"hi","final":true}"#,
                ),
                ("DELETE", "/v3/avatar-realtime/{id}", ""),
            ],
        },
        Family {
            name: "HyperFrames render",
            create: (
                "POST",
                "/v3/hyperframes/renders",
                json!({"project": {"type": "url", "url": "https://example.com/p.zip"}, "fps": 30}),
            ),
            pointer: "/data/render_id",
            names: &[
                ("GET", "/v3/hyperframes/renders/{id}", ""),
                ("DELETE", "/v3/hyperframes/renders/{id}", ""),
            ],
        },
        Family {
            name: "AI clipping job",
            create: (
                "POST",
                "/v3/ai-clipping",
                json!({"video": {"type": "url", "url": url}}),
            ),
            pointer: "/data/id",
            names: &[
                ("GET", "/v3/ai-clipping/{id}", ""),
                ("DELETE", "/v3/ai-clipping/{id}", ""),
            ],
        },
        Family {
            name: "background removal",
            create: (
                "POST",
                "/v3/background-removals",
                json!({"video": {"type": "url", "url": url}}),
            ),
            pointer: "/data/id",
            names: &[("GET", "/v3/background-removals/{id}", "")],
        },
        Family {
            name: "v3 folder",
            create: ("POST", "/v3/folders", json!({"name": "Q3"})),
            pointer: "/data/id",
            names: &[
                ("PATCH", "/v3/folders/{id}", r#"{"name":"x"}"#),
                ("DELETE", "/v3/folders/{id}", ""),
            ],
        },
    ]
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

impl Rig {
    async fn video(&self, tenant: &str) -> String {
        let body = json!({"video_inputs": [{"voice": {"type": "silence", "duration": 3.0}}]});
        let r = self
            .call(tenant, "POST", "/v2/video/generate", &body.to_string())
            .await;
        r.json()["data"]["video_id"]
            .as_str()
            .expect("video_id")
            .to_string()
    }

    /// Pages through `path` as `tenant` with `limit`; returns every item id
    /// in order and the most upstream list reads one gateway page made.
    async fn page_through(&self, tenant: &str, path: &str, limit: usize) -> (Vec<String>, usize) {
        let v3 = path.starts_with("/v3/");
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        let mut most_reads = 0;
        for _ in 0..100 {
            let target = match &token {
                Some(t) => format!("{path}?limit={limit}&token={t}"),
                None => format!("{path}?limit={limit}"),
            };
            let before = self.mock.requests_to(path).len();
            let r = self.call(tenant, "GET", &target, "").await;
            assert_eq!(r.status, 200, "{target}: {}", r.text());
            most_reads = most_reads.max(self.mock.requests_to(path).len() - before);
            let v = r.json();
            let (items, next) = if v3 {
                (v["data"].clone(), v["next_token"].clone())
            } else {
                (v["data"]["videos"].clone(), v["data"]["token"].clone())
            };
            let key = if v3 { "id" } else { "video_id" };
            for item in items.as_array().expect("items") {
                ids.push(item[key].as_str().expect("id").to_string());
            }
            if v3 {
                assert_eq!(v["has_more"], next.is_string(), "{v}");
            }
            match next.as_str() {
                Some(t) => token = Some(t.to_string()),
                None => return (ids, most_reads),
            }
        }
        panic!("{path}: paging never ended");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_through_only_the_tenants_own_items() {
    let rig = Rig::start().await;
    let mut alpha = Vec::new();
    for i in 0..14 {
        if i % 2 == 0 {
            alpha.push(rig.video("alpha").await);
        } else {
            rig.video("beta").await;
        }
    }
    for path in ["/v1/video.list", "/v3/videos"] {
        let (ids, reads) = rig.page_through("alpha", path, 3).await;
        assert_eq!(
            ids, alpha,
            "{path}: alpha sees exactly its own, in order, once"
        );
        assert!(reads <= 5, "{path}: {reads} upstream pages for one page");
    }
    // Sparse: one own item behind many others. A gateway page reads at most
    // five upstream pages, answers what it found and a token; paging on
    // still reaches the item.
    for _ in 0..20 {
        rig.video("beta").await;
    }
    let last = rig.video("alpha").await;
    alpha.push(last);
    for path in ["/v1/video.list", "/v3/videos"] {
        let (ids, reads) = rig.page_through("alpha", path, 2).await;
        assert_eq!(ids, alpha, "{path}");
        assert_eq!(reads, 5, "{path}: the upstream page bound is 5");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_lists_hide_only_what_other_tenants_made() {
    let rig = Rig::start().await;
    let clone = json!({"name": "Me", "audio": {"type": "url", "url": "https://example.com/a.mp3"}});
    let voice = rig
        .call("alpha", "POST", "/v3/voices/clone", &clone.to_string())
        .await
        .json()["data"]["voice_clone_id"]
        .as_str()
        .expect("voice")
        .to_string();
    let avatar = json!({"type": "photo", "name": "Me", "file": {"type": "url", "url": "https://example.com/me.png"}});
    let look = rig
        .call("alpha", "POST", "/v3/avatars", &avatar.to_string())
        .await
        .json()["data"]["avatar_item"]["id"]
        .as_str()
        .expect("look")
        .to_string();
    let ids = |v: &Value, key: &str| -> Vec<String> {
        v["data"]
            .as_array()
            .expect("data")
            .iter()
            .filter_map(|i| i[key].as_str().map(str::to_string))
            .collect()
    };
    for (path, key, own) in [
        ("/v3/voices", "voice_id", &voice),
        ("/v3/avatars/looks", "id", &look),
    ] {
        let a = rig.call("alpha", "GET", path, "").await.json();
        let b = rig.call("beta", "GET", path, "").await.json();
        let (a, b) = (ids(&a, key), ids(&b, key));
        assert!(a.contains(own), "{path}: the creator sees its own: {a:?}");
        assert!(!b.contains(own), "{path}: others do not: {b:?}");
        assert_eq!(b.len(), 1, "{path}: stock content stays listed: {b:?}");
    }
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
