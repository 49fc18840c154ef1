//! Which retries take over the hold an earlier attempt left, and which hold
//! anew: v1/v2 creates (HeyGen makes a job per attempt), an attempt that
//! never reached HeyGen (its hold was released), the same key and body sent
//! to another target of the route, and per-call v3 features (captured once
//! HeyGen answers, even after the kept hold expired).

use serde_json::json;

use crate::common::*;
use crate::retries::{audit, keyed, start, KEY};
use crate::{hold_id, v3_video, video_id, Rig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_retries_keep_each_attempts_hold_as_heygen_makes_a_job_each() {
    let (rig, _clock) = start("daily = 100").await;
    let body = crate::half_credit();
    rig.mock.on_path("/v2/video/generate").cut_answers(true);
    let lost = keyed(&rig, "/v2/video/generate", &body).await;
    assert_eq!(lost.status, 502, "{}", lost.text());
    rig.mock.on_path("/v2/video/generate").cut_answers(false);
    let retry = keyed(&rig, "/v2/video/generate", &body).await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    // HeyGen ignores the key on v2: two jobs, each held (never undercount).
    assert_eq!(rig.mock.jobs().len(), 2);
    let mut states: Vec<String> = rig
        .holds(None)
        .await
        .iter()
        .map(|h| h["state"].as_str().unwrap_or("?").to_string())
        .collect();
    states.sort();
    assert_eq!(states, ["held", "submitted"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_heygen_was_unreachable_holds_anew_and_pays_once() {
    // Nothing listens on the port yet: the first attempt never reaches HeyGen.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let cfg = TestConfig::new(&format!("http://{addr}")).tenant_budgets("alpha", "daily = 100");
    let gw = TestGateway::start(cfg).await;
    let url = gw.url("/v3/videos");
    let token = tenant_token("alpha");
    let headers = [
        ("x-api-key", token.as_str()),
        ("content-type", "application/json"),
        ("idempotency-key", KEY),
    ];
    let body = v3_video(json!({})).to_string();
    let refused = send("POST", &url, &headers, body.clone()).await;
    assert_eq!(refused.status, 502, "{}", refused.text());
    assert_eq!(
        refused.header("x-gateway-rejected"),
        Some("upstream_unreachable")
    );
    let config = heygen_mock::MockConfig {
        listen: addr,
        ..heygen_mock::MockConfig::new(ORG_KEY)
    };
    let mock = heygen_mock::MockHeygen::start(config)
        .await
        .expect("mock on the reserved port");
    let rig = Rig { mock, gw };
    // The released hold's attempt made nothing: the retry holds anew.
    assert_eq!(rig.holds(Some("released")).await.len(), 1);
    let retry = send("POST", &url, &headers, body).await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert_eq!(rig.holds(Some("submitted")).await.len(), 1);
    let (hold, video) = (hold_id(&retry), video_id(&retry));
    assert!(rig.mock.complete(&video, 30.0));
    let st = rig.get(&format!("/v3/videos/{video}")).await;
    assert_eq!(st.status, 200, "{}", st.text());
    let captured = rig.wait_hold(&hold, "captured").await["captured"].clone();
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!(
        (held.as_str(), Some(spent.as_str())),
        ("0", captured.as_str())
    );
    audit(&rig).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_per_call_retry_is_captured_once_even_after_its_hold_expired() {
    let (rig, clock) = start("daily = 100").await;
    let avatars = rig.mock.on_path("/v3/avatars");
    let photo = |name: &str| json!({"type": "photo", "name": name, "file": {"type": "url", "url": "https://x/p.jpg"}});
    // Retried while the kept hold is open: captured once, at the quote.
    avatars.cut_answers(true);
    assert_eq!(keyed(&rig, "/v3/avatars", &photo("a")).await.status, 502);
    avatars.cut_answers(false);
    let retry = keyed(&rig, "/v3/avatars", &photo("a")).await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    let h = rig.hold(&hold_id(&retry)).await;
    assert_eq!(
        (h["state"].as_str(), h["captured"].as_str()),
        (Some("captured"), Some("1"))
    );
    // Retried after its TTL captured it in full: nothing more to capture.
    let other = [("idempotency-key", "order-8")];
    avatars.cut_answers(true);
    let lost = rig
        .call(
            "alpha",
            "POST",
            "/v3/avatars",
            &other,
            photo("b").to_string(),
        )
        .await;
    assert_eq!(lost.status, 502);
    avatars.cut_answers(false);
    clock.advance(chrono::Duration::seconds(601));
    eventually_async(
        || async { rig.holds(Some("expired")).await.len() == 1 },
        crate::SETTLE_WAIT,
    )
    .await;
    let retry = rig
        .call(
            "alpha",
            "POST",
            "/v3/avatars",
            &other,
            photo("b").to_string(),
        )
        .await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert_eq!(rig.holds(None).await.len(), 2, "one hold per request");
    assert_eq!(rig.credits("alpha", "daily").await.1, "2");
    let metrics = metrics_text(rig.gw.admin_addr).await;
    let failed: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("heygen_gateway_ledger_errors_total{") && !l.ends_with(" 0"))
        .collect();
    assert!(failed.is_empty(), "no ledger operation failed: {failed:?}");
    audit(&rig).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_and_body_on_another_target_holds_anew() {
    // Room for the short template's render, not for an unread template's
    // (held at the plan's longest job, 30 credits).
    let (rig, _clock) = start("daily = 5").await;
    rig.mock.control().set_detail(
        "/v3/templates/tpl_1",
        Some(json!({"id": "tpl_1", "name": "Short", "scene_ids": ["s1"],
            "scenes": [{"scene_id": "s1", "script": "Hello there."}]})),
    );
    let body = json!({"variables": {}});
    // Read (and cached) before the fault, which would cut that read too.
    let quote = rig.quote("POST", "/v3/templates/tpl_1", &body).await;
    assert_eq!(quote["credits"], "0.016667", "{quote}");
    let templates = rig.mock.on_path("/v3/templates");
    templates.cut_answers(true);
    let lost = keyed(&rig, "/v3/templates/tpl_1", &body).await;
    assert_eq!(lost.status, 502, "{}", lost.text());
    templates.cut_answers(false);
    // One route template, one key, one body, but another template: another
    // request, so it is held (and checked) on its own, not under tpl_1's hold.
    let other = keyed(&rig, "/v3/templates/tpl_404", &body).await;
    assert_eq!(other.status, 402, "{}", other.text());
    assert_eq!(rig.holds(None).await.len(), 1);
}
