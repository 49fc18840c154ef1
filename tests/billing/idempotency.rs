//! `Idempotency-Key`: replay, mismatch, in-progress duplicates, invalid keys,
//! and retryable upstream answers that are not stored.

use http::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::{assert_refused, half_credit, one_and_a_half, Rig};

async fn post_with_key(rig: &Rig, key: &str, body: &serde_json::Value) -> TestResponse {
    rig.call(
        "alpha",
        "POST",
        "/v2/video/generate",
        &[("idempotency-key", key)],
        body.to_string(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_key_same_body_replays_without_a_new_hold() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    let first = post_with_key(&rig, "order-42", &half_credit()).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert!(first.header("x-gateway-idempotent-replay").is_none());
    let second = post_with_key(&rig, "order-42", &half_credit()).await;
    assert_eq!(second.status, 200, "{}", second.text());
    assert_eq!(second.header("x-gateway-idempotent-replay"), Some("true"));
    assert_eq!(second.body, first.body, "the stored response is replayed");
    assert_eq!(
        second.header("x-gateway-hold-id"),
        first.header("x-gateway-hold-id"),
        "same hold"
    );
    assert_eq!(rig.creates("/v2/video/generate"), 1, "one upstream job");
    assert_eq!(rig.holds(None).await.len(), 1);
    assert_eq!(rig.credits("alpha", "daily").await.0, "0.5", "held once");

    // Keys are per tenant: beta may use the same key for its own request.
    let beta = rig
        .call(
            "beta",
            "POST",
            "/v2/video/generate",
            &[("idempotency-key", "order-42")],
            half_credit().to_string(),
        )
        .await;
    assert_eq!(beta.status, 200, "{}", beta.text());
    assert!(beta.header("x-gateway-idempotent-replay").is_none());
    assert_eq!(rig.creates("/v2/video/generate"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_key_different_body_is_422() {
    let rig = Rig::start(|c| c).await;
    let first = post_with_key(&rig, "k-1", &half_credit()).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let other = post_with_key(&rig, "k-1", &one_and_a_half()).await;
    assert_refused(
        &other,
        422,
        "idempotency_key_reused",
        "idempotency_mismatch",
    );
    assert_eq!(rig.creates("/v2/video/generate"), 1);
    assert_eq!(rig.holds(None).await.len(), 1);
}

/// A key stands for one request: the same key and body sent to another
/// target of the same route (another template) is refused as a reused key,
/// not answered with the first template's job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_key_and_body_on_another_target_is_422_not_a_replay() {
    let rig = Rig::start(|c| c).await;
    for id in ["tpl_1", "tpl_2"] {
        rig.mock.control().set_detail(
            &format!("/v3/templates/{id}"),
            Some(json!({"id": id, "name": "Short", "scene_ids": ["s1"],
                "scenes": [{"scene_id": "s1", "script": "Hello there."}]})),
        );
    }
    let body = json!({"variables": {}}).to_string();
    let send = |path: &'static str| {
        rig.call(
            "alpha",
            "POST",
            path,
            &[("idempotency-key", "tpl-run")],
            body.clone(),
        )
    };
    let first = send("/v3/templates/tpl_1").await;
    assert_eq!(first.status, 200, "{}", first.text());
    let other = send("/v3/templates/tpl_2").await;
    assert_refused(
        &other,
        422,
        "idempotency_key_reused",
        "idempotency_mismatch",
    );
    assert!(other.header("x-gateway-idempotent-replay").is_none());
    assert_eq!(rig.holds(None).await.len(), 1);
    // The first target's retry still replays.
    let again = send("/v3/templates/tpl_1").await;
    assert_eq!(again.header("x-gateway-idempotent-replay"), Some("true"));
    assert_eq!(again.body, first.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_duplicate_is_409_while_the_first_is_in_flight() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    // The first request hangs at HeyGen until released, so the duplicate
    // certainly overlaps it.
    rig.mock.on_path("/v2/video/generate").hang(true);
    let url = rig.gw.url("/v2/video/generate");
    let token = tenant_token("alpha");
    let body = half_credit().to_string();
    let first = {
        let (url, token, body) = (url.clone(), token.clone(), body.clone());
        tokio::spawn(async move {
            send(
                "POST",
                &url,
                &[
                    ("x-api-key", token.as_str()),
                    ("idempotency-key", "dup-1"),
                    ("content-type", "application/json"),
                ],
                body,
            )
            .await
        })
    };
    eventually(|| rig.creates("/v2/video/generate") == 1, SETTLE_WAIT).await;
    let dup = post_with_key(&rig, "dup-1", &half_credit()).await;
    assert_refused(&dup, 409, "request_in_progress", "request_in_progress");
    assert!(dup.header("retry-after").is_some());
    rig.mock.on_path("/v2/video/generate").hang(false);
    let first = first.await.expect("first request");
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(rig.creates("/v2/video/generate"), 1);
    assert_eq!(rig.credits("alpha", "daily").await.0, "0.5", "held once");
    // Once finished, the duplicate replays.
    let replay = post_with_key(&rig, "dup-1", &half_credit()).await;
    assert_eq!(replay.header("x-gateway-idempotent-replay"), Some("true"));
    assert_eq!(replay.body, first.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_keys_are_400_and_nothing_is_held() {
    let rig = Rig::start(|c| c).await;
    let long = "k".repeat(256);
    for key in ["bad/key", "semi;colon", "sp ace", long.as_str()] {
        let resp = post_with_key(&rig, key, &half_credit()).await;
        assert_refused(&resp, 400, "invalid_parameter", "idempotency_key_invalid");
    }
    assert_eq!(rig.mock.count(), 0);
    assert!(rig.holds(None).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_5xx_is_not_stored_so_a_retry_goes_through() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    rig.mock.fail_next(1, StatusCode::INTERNAL_SERVER_ERROR);
    let failed = post_with_key(&rig, "retry-me", &half_credit()).await;
    assert_eq!(failed.status, 500, "{}", failed.text());
    let retry = post_with_key(&rig, "retry-me", &half_credit()).await;
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert!(
        retry.header("x-gateway-idempotent-replay").is_none(),
        "the retry was really sent"
    );
    assert_eq!(rig.creates("/v2/video/generate"), 2);
    assert_eq!(rig.holds(Some("released")).await.len(), 1);
    assert_eq!(rig.credits("alpha", "daily").await.0, "0.5");
    // And now it is stored: a third try replays the success.
    let third = post_with_key(&rig, "retry-me", &half_credit()).await;
    assert_eq!(third.header("x-gateway-idempotent-replay"), Some("true"));
    assert_eq!(third.body, retry.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heygens_409_in_progress_is_not_stored_so_a_later_retry_gets_the_answer() {
    let rig = Rig::start(|c| {
        c.tenant_budgets("alpha", "daily = 100")
            .set("upstream", "request_timeout_ms", "300")
    })
    .await;
    let body = crate::v3_video(serde_json::json!({}));
    let keyed = || {
        rig.call(
            "alpha",
            "POST",
            "/v3/videos",
            &[("idempotency-key", "slow-1")],
            body.to_string(),
        )
    };
    // HeyGen works on the first attempt past the gateway's timeout.
    let videos = rig.mock.on_path("/v3/videos");
    videos.delay_answers(std::time::Duration::from_millis(1200));
    assert_eq!(keyed().await.status, 504);
    videos.delay_answers(std::time::Duration::ZERO);
    let busy = keyed().await;
    assert_eq!(busy.status, 409, "{}", busy.text());
    assert_eq!(busy.json()["error"]["code"], "request_in_progress");
    // Not the key's final answer: once HeyGen is done, a retry gets its job.
    let mut retry = keyed().await;
    let deadline = tokio::time::Instant::now() + SETTLE_WAIT;
    while retry.status == 409 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        retry = keyed().await;
    }
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert!(retry.header("x-gateway-idempotent-replay").is_none());
    assert_eq!(crate::video_id(&retry), rig.mock.jobs()[0].id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_4xx_is_stored_and_replayed_without_ledger_errors() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    rig.mock.fail_next(1, StatusCode::BAD_REQUEST);
    let refused = post_with_key(&rig, "bad-once", &half_credit()).await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    let again = post_with_key(&rig, "bad-once", &half_credit()).await;
    assert_eq!(again.status, 400, "{}", again.text());
    assert_eq!(again.header("x-gateway-idempotent-replay"), Some("true"));
    assert_eq!(again.body, refused.body);
    assert_eq!(
        rig.creates("/v2/video/generate"),
        1,
        "HeyGen's answer is final"
    );
    assert_eq!(rig.holds(Some("released")).await.len(), 1);
    let metrics = metrics_text(rig.gw.admin_addr).await;
    // Every op's series exists at 0 from start; none may have moved.
    let failed: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("heygen_gateway_ledger_errors_total{") && !l.ends_with(" 0"))
        .collect();
    assert!(failed.is_empty(), "no ledger operation failed: {failed:?}");
}

use crate::SETTLE_WAIT;

/// `Connection: Idempotency-Key` names the key as hop-by-hop, but the
/// gateway has claimed it: HeyGen must still get it (scoped), or a retry
/// the gateway adopts as the same job would create a second one unbilled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_named_by_connection_still_reaches_heygen_scoped() {
    let rig = Rig::start(|c| c).await;
    let headers = [
        ("idempotency-key", "conn-1"),
        ("connection", "Idempotency-Key, x-hop"),
        ("x-hop", "1"),
    ];
    let body = crate::v3_video(json!({})).to_string();
    let r = rig
        .call("alpha", "POST", "/v3/videos", &headers, body.clone())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let sent = rig.mock.requests_to("/v3/videos");
    assert_eq!(sent.len(), 1);
    let key = sent[0].header("idempotency-key").unwrap_or_default();
    assert!(
        key.starts_with("gw-") && key.len() == 67,
        "scoped key expected, got {key:?}"
    );
    assert!(sent[0].header("x-hop").is_none(), "other named headers go");
}
