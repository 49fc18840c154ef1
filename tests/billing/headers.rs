//! Headers of a billable success: the projection equals the quote for the
//! same body, the tightest remaining window, and the hold id.

use serde_json::json;

use crate::{hold_id, one_and_a_half, text_scene, v3_video, Rig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn billable_success_carries_projection_remaining_and_hold() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10, monthly = 100")).await;
    let body = one_and_a_half();
    let quoted = rig.quote("POST", "/v2/video/generate", &body).await;
    assert_eq!(quoted["credits"], "1.5", "{quoted}");

    let resp = rig.post("/v2/video/generate", &body).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(
        resp.header("x-gateway-credits-projected"),
        quoted["credits"].as_str(),
        "what is charged is what was quoted"
    );
    // The daily window (10 − 1.5) is tighter than the monthly (100 − 1.5).
    assert_eq!(resp.header("x-gateway-credits-remaining"), Some("8.5"));
    let hold = rig.hold(&hold_id(&resp)).await;
    assert_eq!(hold["tenant"], "alpha");
    assert_eq!(hold["amount"], "1.5");
    assert_eq!(hold["feature"], "standard_avatar");
    assert_eq!(hold["state"], "submitted", "{hold}");

    // Quotes match charges on other shapes too: multi-scene v2 and v3.
    let multi = json!({"video_inputs": [text_scene(&"word ".repeat(150)),
                                         {"voice": {"type": "silence", "duration": 3}}]});
    let v3 = v3_video(json!({}));
    for (path, body) in [("/v2/video/generate", multi), ("/v3/videos", v3)] {
        let quoted = rig.quote("POST", path, &body).await;
        let resp = rig.post(path, &body).await;
        assert_eq!(resp.status, 200, "{path}: {}", resp.text());
        assert_eq!(
            resp.header("x-gateway-credits-projected"),
            quoted["credits"].as_str(),
            "{path}"
        );
        let hold = rig.hold(&hold_id(&resp)).await;
        assert_eq!(hold["amount"], quoted["credits"], "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remaining_is_unlimited_without_budgets() {
    let rig = Rig::start(|c| c).await;
    let resp = rig.post("/v2/video/generate", &one_and_a_half()).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(
        resp.header("x-gateway-credits-remaining"),
        Some("unlimited")
    );
    assert_eq!(resp.header("x-gateway-credits-projected"), Some("1.5"));
}
