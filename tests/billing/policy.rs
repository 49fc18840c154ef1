//! Plan policy through HTTP (issue 3): nothing refused (plan limits,
//! unknown writes, malformed or oversized bodies) is forwarded or held;
//! free test videos and per-call features. Route access (paid path
//! spellings, tenant allow and deny) is in `route_access.rs`.

use serde_json::json;

use crate::common::*;
use crate::{assert_refused, assert_v2_envelope, half_credit, hold_id, text_scene, v3_video, Rig};

/// Asserts HeyGen saw nothing and no hold was taken.
pub(crate) async fn assert_untouched(rig: &Rig) {
    assert_eq!(rig.mock.count(), 0, "forwarded: {:?}", rig.mock.requests());
    assert!(rig.holds(None).await.is_empty(), "a hold was taken");
}

fn long_video() -> serde_json::Value {
    // 5,000 words: 2,000 s × 1.1 = 2,200 s, over the 1,800 s default.
    json!({"video_inputs": [text_scene(&"word ".repeat(5000))]})
}

fn uhd_v2() -> serde_json::Value {
    let mut body = half_credit();
    body["dimension"] = json!({"width": 3840, "height": 2160});
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_policy_refuses_before_forwarding() {
    let rig = Rig::start(|c| c).await;

    let long = rig.post("/v2/video/generate", &long_video()).await;
    assert_refused(&long, 400, "video_too_long", "video_too_long");
    assert_v2_envelope(&long.json());

    let uhd = rig.post("/v2/video/generate", &uhd_v2()).await;
    assert_refused(
        &uhd,
        400,
        "resolution_not_allowed",
        "resolution_not_allowed",
    );
    // Portrait 2160×3840 is just as far above 1080p.
    let mut portrait = half_credit();
    portrait["dimension"] = json!({"width": 2160, "height": 3840});
    let portrait = rig.post("/v2/video/generate", &portrait).await;
    assert_refused(
        &portrait,
        400,
        "resolution_not_allowed",
        "resolution_not_allowed",
    );

    let v3_4k = rig
        .post("/v3/videos", &v3_video(json!({"resolution": "4k"})))
        .await;
    assert_refused(
        &v3_4k,
        400,
        "resolution_not_allowed",
        "resolution_not_allowed",
    );
    assert!(v3_4k.json().get("data").is_none(), "v3 envelope");

    let twin = rig
        .post(
            "/v3/avatars",
            &json!({"type": "digital_twin", "name": "me", "file": {}}),
        )
        .await;
    assert_refused(&twin, 403, "enterprise_only", "enterprise_only");

    let translation =
        json!({"video_url": "https://files.example/src.mp4", "output_language": "French"});
    for path in [
        "/v2/video_translate/proofread",
        "/v3/video-translations/proofreads",
    ] {
        let resp = rig.post(path, &translation).await;
        assert_refused(&resp, 403, "enterprise_only", "enterprise_only");
    }
    assert_untouched(&rig).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enterprise_plan_allows_long_and_4k() {
    let rig = Rig::start(|c| c.set("plan", "tier", "\"enterprise\"")).await;
    for (path, body) in [
        ("/v2/video/generate", long_video()),
        ("/v2/video/generate", uhd_v2()),
        ("/v3/videos", v3_video(json!({"resolution": "4k"}))),
        (
            "/v3/avatars",
            json!({"type": "digital_twin", "name": "me", "file": {}}),
        ),
    ] {
        let resp = rig.post(path, &body).await;
        assert_eq!(resp.status, 200, "{path}: {}", resp.text());
        hold_id(&resp);
    }
    // Four creates forwarded (the v3 video's look was also read, a GET).
    let creates = rig
        .mock
        .requests()
        .iter()
        .filter(|r| r.method != http::Method::GET)
        .count();
    assert_eq!(creates, 4, "{:?}", rig.mock.requests());
    assert_eq!(rig.holds(None).await.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_writes_are_refused_by_default() {
    let rig = Rig::start(|c| c).await;
    let resp = rig
        .post("/v2/brand_new_paid_thing", &json!({"anything": 1}))
        .await;
    assert_refused(&resp, 403, "forbidden", "unknown_route");
    assert_v2_envelope(&resp.json());
    let v3 = rig.post("/v3/shiny-new-feature", &json!({})).await;
    assert_refused(&v3, 403, "forbidden", "unknown_route");
    // A path HeyGen serves under other methods: a wrong method, named with
    // the methods it takes, not an unknown route.
    for (method, path, allow) in [
        ("PUT", "/v2/video/generate", "POST"),
        ("POST", "/v1/video_status.get", "GET"),
        ("DELETE", "/v2/avatars", "GET"),
    ] {
        let r = rig.call("alpha", method, path, &[], "{}").await;
        assert_refused(&r, 405, "method_not_allowed", "method_not_allowed");
        assert_eq!(r.header("allow"), Some(allow), "{method} {path}");
    }
    assert_untouched(&rig).await;
    // Unknown reads still pass (they cannot spend).
    let read = rig.get("/v2/brand_new_read").await;
    assert_eq!(read.status, 404, "HeyGen's own answer");
    assert_eq!(rig.mock.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_writes_pass_when_allowed() {
    let rig = Rig::start(|c| c.set("routes", "unknown_writes", "\"allow\"")).await;
    let resp = rig
        .post("/v2/brand_new_paid_thing", &json!({"anything": 1}))
        .await;
    assert!(
        resp.header("x-gateway-rejected").is_none(),
        "{}",
        resp.text()
    );
    assert_eq!(rig.mock.requests_to("/v2/brand_new_paid_thing").len(), 1);
    assert!(
        rig.holds(None).await.is_empty(),
        "unknown routes are not priced"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_or_oversized_json_is_refused_and_nothing_held() {
    let rig = Rig::start(|c| c.set("server", "max_json_body_bytes", "4096")).await;
    for bad in ["{not json", "[1, 2, 3]", "", "{\"video_inputs\": 7}"] {
        let resp = rig
            .call("alpha", "POST", "/v2/video/generate", &[], bad)
            .await;
        assert_refused(&resp, 400, "invalid_parameter", "invalid_parameter");
    }
    let big = json!({"video_inputs": [text_scene(&"word ".repeat(2000))]}).to_string();
    assert!(big.len() > 4096);
    let resp = rig
        .call("alpha", "POST", "/v2/video/generate", &[], big.clone())
        .await;
    assert_refused(&resp, 413, "payload_too_large", "payload_too_large");
    // Without Content-Length (chunked), the limit still holds.
    let token = tenant_token("alpha");
    let (body, _) = chunked_body(8192, 512);
    let chunked = send_body(
        "POST",
        &rig.gw.url("/v2/video/generate"),
        &[("x-api-key", token.as_str())],
        body,
    )
    .await;
    assert_refused(&chunked, 413, "payload_too_large", "payload_too_large");
    assert_untouched(&rig).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_test_videos_are_forwarded_as_is_held_and_released() {
    let rig = Rig::start(|c| {
        c.set("plan", "test_mode", "\"free\"")
            .tenant_budgets("alpha", "daily = 1")
    })
    .await;
    let mut body = half_credit();
    body["test"] = json!(true);
    let resp = rig.post("/v2/video/generate", &body).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    // Priced and held like any render (it had to fit the budget)...
    assert_eq!(resp.header("x-gateway-credits-projected"), Some("0.5"));
    let sent = rig.mock.requests_to("/v2/video/generate");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].json().expect("json")["test"],
        true,
        "forwarded as is"
    );
    // ...and released once HeyGen accepted it.
    let h = rig.wait_hold(&hold_id(&resp), "captured").await;
    assert_eq!(h["amount"], "0.5", "{h}");
    assert_eq!(h["captured"], "0", "{h}");
    let (held, spent, remaining) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "0"));
    assert_eq!(remaining, "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_call_features_are_captured_on_success() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    let resp = rig
        .post(
            "/v3/avatars",
            &json!({"type": "photo", "name": "me", "file": {"type": "url", "url": "https://x/p.jpg"}}),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("x-gateway-credits-projected"), Some("1"));
    // Captured before the answer is returned: no settlement to wait for.
    let h = rig.hold(&hold_id(&resp)).await;
    assert_eq!(h["state"], "captured", "{h}");
    assert_eq!(h["feature"], "avatar_creation");
    assert_eq!(h["captured"], "1");
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "1"));
}
