//! Route access through HTTP: every spelling of a paid path is priced (and
//! what reaches HeyGen is the path that was priced), and tenants' route
//! allow and deny lists refuse before anything is forwarded or held.

use serde_json::json;

use super::policy::assert_untouched;
use crate::{assert_refused, half_credit, hold_id, Rig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spelling_of_a_paid_path_is_priced() {
    let rig = Rig::start(|c| c).await;
    let spellings = [
        "/v2/video/generate",
        "//v2/video/generate",
        "/v2//video///generate",
        "/v2/../v2/video/generate",
        "/v2/./video/generate",
        "/v2/%76ideo/generate",
        "/v2/video/%67%65%6E%65%72%61%74%65",
        "/v2/video/generate/",
    ];
    for (i, path) in spellings.iter().enumerate() {
        let resp = rig.post(path, &half_credit()).await;
        assert!(
            resp.header("x-gateway-hold-id").is_some(),
            "{path} was not priced ({}): {}",
            resp.status,
            resp.text()
        );
        assert_eq!(resp.header("x-gateway-credits-projected"), Some("0.5"));
        // HeyGen saw exactly one request per hold.
        assert_eq!(rig.mock.count(), i + 1, "{path}");
        assert_eq!(rig.holds(None).await.len(), i + 1, "{path}");
    }
    // What reached HeyGen is the normalised path, the one that was priced.
    for r in rig.mock.requests() {
        assert_eq!(r.path, "/v2/video/generate", "{r:?}");
    }
    // Other letter cases are either priced or not forwarded at all.
    for path in ["/V2/Video/Generate", "/v2/VIDEO/generate"] {
        let before = rig.mock.count();
        let resp = rig.post(path, &half_credit()).await;
        if resp.header("x-gateway-hold-id").is_none() {
            assert_eq!(rig.mock.count(), before, "{path} forwarded unpriced");
        }
    }
    let forwarded = rig.mock.count();
    assert_eq!(
        rig.holds(None).await.len(),
        forwarded,
        "one hold per request HeyGen saw"
    );
    // Paid spellings that carry a bad body are still refused, not passed.
    let resp = rig
        .call("alpha", "POST", "//v2/%76ideo/generate/", &[], "{oops")
        .await;
    assert_refused(&resp, 400, "invalid_parameter", "invalid_parameter");
    assert_eq!(rig.mock.count(), forwarded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_route_allow_and_deny() {
    let rig = Rig::start(|c| {
        c.tenant("beta", |t| {
            t.lines.push("routes = { deny = [\"video\"] }".into())
        })
        .tenant("gamma", |t| {
            t.lines
                .push("routes = { allow = [\"translation\"] }".into())
        })
    })
    .await;
    for tenant in ["beta", "gamma"] {
        let resp = rig
            .call(
                tenant,
                "POST",
                "/v2/video/generate",
                &[],
                half_credit().to_string(),
            )
            .await;
        assert_refused(&resp, 403, "forbidden", "route_forbidden");
        // Reads of a forbidden family are refused too.
        let read = rig.call(tenant, "GET", "/v1/video.list", &[], "").await;
        assert_refused(&read, 403, "forbidden", "route_forbidden");
    }
    assert_untouched(&rig).await;
    // gamma may translate; alpha (no rules) may do anything.
    let tr = rig
        .call(
            "gamma",
            "POST",
            "/v2/video_translate",
            &[],
            json!({"video_url": "https://files.example/src.mp4", "output_language": "French"})
                .to_string(),
        )
        .await;
    assert_eq!(tr.status, 200, "{}", tr.text());
    hold_id(&tr);
    let ok = rig.post("/v2/video/generate", &half_credit()).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
}
