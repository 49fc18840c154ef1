//! Lists: paging through only the tenant's own items (the upstream page
//! bound included), and stock lists hiding only what other tenants made.

use serde_json::{json, Value};

use crate::common::{send, ADMIN_TOKEN};
use crate::Rig;

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

/// `GET /v2/avatars` lists the account's own avatars beside the stock ones
/// in `avatars` (and uploads in `talking_photos`): one assigned to alpha
/// (as a digital twin it made would be) is hidden from beta, as its detail
/// route is; stock avatars stay listed for both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_v2_avatar_list_hides_other_tenants_avatars() {
    let rig = Rig::start().await;
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let body = json!({"tenant": "alpha", "resources": ["Wayne_20240716"], "kind": "avatar", "actor": "ops@example"});
    let r = send(
        "POST",
        &rig.gw.admin_url("/admin/v1/resources"),
        &[("authorization", auth.as_str())],
        body.to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let avatars = |v: &Value| -> Vec<String> {
        v["data"]["avatars"]
            .as_array()
            .expect("avatars")
            .iter()
            .filter_map(|i| i["avatar_id"].as_str().map(str::to_string))
            .collect()
    };
    let a = rig.call("alpha", "GET", "/v2/avatars", "").await;
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(
        avatars(&a.json()),
        ["Daisy-inskirt-20220818", "Wayne_20240716"]
    );
    let b = rig.call("beta", "GET", "/v2/avatars", "").await.json();
    assert_eq!(avatars(&b), ["Daisy-inskirt-20220818"], "{b}");
    // The talking photo nobody recorded stays listed, the envelope intact.
    assert_eq!(
        b["data"]["talking_photos"].as_array().map(Vec::len),
        Some(1),
        "{b}"
    );
    assert!(b["error"].is_null(), "{b}");
    let details = rig
        .call("beta", "GET", "/v2/avatar/Wayne_20240716/details", "")
        .await;
    assert_eq!(details.status, 404, "{}", details.text());
}

/// `HEAD` on a filtered list: the head of the filtered `GET` (200, JSON,
/// the filtered page's length) and no body. HeyGen is asked the `GET`:
/// its own `HEAD` would tell the unfiltered page's size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_on_a_filtered_list_answers_the_filtered_head() {
    let rig = Rig::start().await;
    rig.video("alpha").await;
    rig.video("beta").await;
    for path in ["/v3/videos", "/v1/video.list"] {
        let get = rig.call("alpha", "GET", path, "").await;
        assert_eq!(get.status, 200, "{path}: {}", get.text());
        let before = rig.mock.requests_to(path).len();
        let head = rig.call("alpha", "HEAD", path, "").await;
        assert_eq!(head.status, 200, "{path}: {}", head.text());
        assert!(head.body.is_empty(), "{path}");
        assert_eq!(
            head.header("content-length"),
            Some(get.body.len().to_string().as_str()),
            "{path}: the filtered page's length"
        );
        let asked = rig.mock.requests_to(path);
        assert_eq!(asked.len(), before + 1, "{path}");
        assert_eq!(asked[before].method, http::Method::GET, "{path}");
    }
}
