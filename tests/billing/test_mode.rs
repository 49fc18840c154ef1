//! `test: true` renders: budget-checked and held like any request (issue
//! 10). `plan.test_mode = "billed"` (the default) settles them at the real
//! length; `"free"` releases the hold once HeyGen accepts the render.

use serde_json::{json, Value};

use crate::{assert_refused, avatar_iv_three, hold_id, video_id, Rig};

fn as_test(mut body: Value) -> Value {
    body["test"] = json!(true);
    body
}

/// An Avatar IV render of 22 minutes (6 credits/min → 132 credits).
fn long_avatar_iv() -> Value {
    let mut body = avatar_iv_three();
    body["video_inputs"][0]["voice"]["input_text"] = json!("word ".repeat(2900));
    as_test(body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_render_over_budget_is_refused_in_either_mode() {
    for mode in ["billed", "free"] {
        let rig = Rig::start(|c| {
            c.set("plan", "test_mode", &format!("{mode:?}"))
                .tenant_budgets("alpha", "daily = 10")
        })
        .await;
        let refused = rig.post("/v2/video/generate", &long_avatar_iv()).await;
        assert_refused(&refused, 402, "insufficient_credit", "insufficient_credit");
        assert!(rig.mock.requests().is_empty(), "{mode}: nothing forwarded");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_billed_test_render_settles_at_its_real_length() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    let resp = rig
        .post("/v2/video/generate", &as_test(avatar_iv_three()))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("x-gateway-credits-projected"), Some("3"));
    let (hold, video) = (hold_id(&resp), video_id(&resp));
    assert_eq!(
        rig.hold(&hold).await["state"],
        "submitted",
        "a job is recorded"
    );
    // 60 s of Avatar IV: 6 credits, not the 3 projected and not 0.
    assert!(rig.mock.complete(&video, 60.0));
    let status = rig
        .get(&format!("/v1/video_status.get?video_id={video}"))
        .await;
    assert_eq!(status.status, 200);
    let h = rig.wait_hold(&hold, "captured").await;
    assert_eq!(h["captured"], "6", "{h}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_free_test_render_is_held_then_released() {
    let rig = Rig::start(|c| {
        c.set("plan", "test_mode", "\"free\"")
            .tenant_budgets("alpha", "daily = 10")
    })
    .await;
    let resp = rig
        .post("/v2/video/generate", &as_test(avatar_iv_three()))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let hold = hold_id(&resp);
    let h = rig.wait_hold(&hold, "captured").await;
    assert_eq!(h["captured"], "0", "{h}");
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "0"));
}

#[test]
fn an_unknown_test_mode_names_the_key() {
    let text = crate::common::TestConfig::new("http://127.0.0.1:9")
        .set("plan", "test_mode", "\"maybe\"")
        .toml();
    let err = heygen_gateway::config::Config::from_toml(&text)
        .expect_err("unknown test mode")
        .to_string();
    assert!(err.contains("plan.test_mode"), "{err}");
}
