//! Upstream refusals and transport failures before sending release the
//! hold; answers after which HeyGen may have made the job keep it.

use http::StatusCode;

use crate::common::*;
use crate::{half_credit, hold_id, Rig};

/// Asserts nothing is held any more and `hold` ended `released`.
async fn assert_released(rig: &Rig, hold: &str) {
    let released = rig.holds(Some("released")).await;
    assert!(
        released.iter().any(|h| h["hold_id"] == hold),
        "hold {hold} is released: {released:?}"
    );
    let h = rig.hold(hold).await;
    assert_eq!(h["captured"], "0", "{h}");
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_4xx_and_5xx_release_the_hold() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    for status in [StatusCode::BAD_REQUEST, StatusCode::INTERNAL_SERVER_ERROR] {
        rig.mock.fail_next(1, status);
        let resp = rig.post("/v2/video/generate", &half_credit()).await;
        assert_eq!(resp.status, status, "HeyGen's answer is passed through");
        assert!(
            resp.header("x-gateway-rejected").is_none(),
            "HeyGen's refusal is not the gateway's"
        );
        // Released: no "remaining after the hold" figure that no longer holds.
        assert!(resp.header("x-gateway-credits-remaining").is_none());
        assert_released(&rig, &hold_id(&resp)).await;
    }
    assert_eq!(rig.holds(Some("released")).await.len(), 2);
    // The budget is intact: a later request is held normally.
    let resp = rig.post("/v2/video/generate", &half_credit()).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("x-gateway-credits-remaining"), Some("9.5"));
}

/// An edge's 5xx in front of HeyGen (here a 504 with a plain body) may
/// follow a job the origin made: the hold is kept like a timeout's. HeyGen's
/// own 5xx, in its error envelope, is a refusal: released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edge_5xx_keeps_the_hold_and_heygens_own_5xx_releases_it() {
    let rig = Rig::start(|c| c.tenant_budgets("alpha", "daily = 10")).await;
    let video = rig.mock.on_path("/v2/video/generate");
    video.answer_raw(Some((
        StatusCode::GATEWAY_TIMEOUT,
        b"upstream request timeout",
    )));
    let resp = rig.post("/v2/video/generate", &half_credit()).await;
    video.answer_raw(None);
    assert_eq!(resp.status, 504, "{}", resp.text());
    assert_eq!(resp.body, &b"upstream request timeout"[..], "passed on");
    assert!(resp.header("x-gateway-rejected").is_none());
    // Kept: the remaining figure after the hold stands.
    assert_eq!(resp.header("x-gateway-credits-remaining"), Some("9.5"));
    let kept = hold_id(&resp);
    let held = rig.holds(Some("held")).await;
    assert!(held.iter().any(|h| h["hold_id"] == kept), "{held:?}");
    assert!(rig.holds(Some("released")).await.is_empty());

    rig.mock.fail_next(1, StatusCode::INTERNAL_SERVER_ERROR);
    let resp = rig.post("/v2/video/generate", &half_credit()).await;
    assert_eq!(resp.status, 500, "{}", resp.text());
    assert!(
        resp.json()["error"]["code"].is_string(),
        "HeyGen's envelope"
    );
    let released = rig.holds(Some("released")).await;
    assert!(
        released.iter().any(|h| h["hold_id"] == hold_id(&resp)),
        "{released:?}"
    );
    // Only the edge's answer's hold is still held.
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0.5", "0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_timeout_keeps_the_hold_for_ttl_settlement() {
    let rig = Rig::start(|c| {
        c.tenant_budgets("alpha", "daily = 10")
            .set("upstream", "request_timeout_ms", "300")
    })
    .await;
    rig.mock.hang(true);
    let resp = rig.post("/v2/video/generate", &half_credit()).await;
    rig.mock.hang(false);
    assert_refused_upstream(&resp, 504, "upstream_timeout");
    assert_eq!(rig.creates("/v2/video/generate"), 1, "it was sent");
    // HeyGen may have created the job: releasing could undercount, so the
    // hold stays open and the TTL captures it.
    assert!(rig.holds(Some("released")).await.is_empty());
    let held = rig.holds(Some("held")).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["amount"], "0.5");
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0.5", "0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_upstream_releases_the_hold() {
    // Port 1 on loopback: nothing listens, connections are refused.
    let cfg = TestConfig::new("http://127.0.0.1:1").tenant_budgets("alpha", "daily = 10");
    let gw = TestGateway::start(cfg).await;
    let token = tenant_token("alpha");
    let resp = send(
        "POST",
        &gw.url("/v2/video/generate"),
        &[("x-api-key", &token), ("content-type", "application/json")],
        crate::half_credit().to_string(),
    )
    .await;
    assert_refused_upstream(&resp, 502, "upstream_unreachable");
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let holds = send(
        "GET",
        &gw.admin_url("/admin/v1/holds?state=released"),
        &[("authorization", &auth)],
        "",
    )
    .await
    .json();
    let holds = holds["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(holds.len(), 1, "{holds:?}");
    let usage = send(
        "GET",
        &gw.url("/gateway/v1/usage"),
        &[("x-api-key", &token)],
        "",
    )
    .await
    .json();
    let daily = usage["data"]["windows"]
        .as_array()
        .and_then(|ws| ws.iter().find(|w| w["window"] == "daily").cloned())
        .expect("daily window");
    assert_eq!(daily["held"], "0", "{daily}");
    assert_eq!(daily["spent"], "0", "{daily}");
}

/// A TLS peer that accepts TCP and never answers the handshake: the
/// connect timeout (not the request timeout, which would call the request
/// sent) ends the attempt, nothing reached HeyGen, the hold is released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_handshake_that_never_answers_releases_the_hold() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    let cfg = TestConfig::new(&format!("https://127.0.0.1:{port}"))
        .tenant_budgets("alpha", "daily = 10")
        .set("upstream", "connect_timeout_ms", "300")
        .set("upstream", "request_timeout_ms", "1000");
    let gw = TestGateway::start(cfg).await;
    let token = tenant_token("alpha");
    let resp = send(
        "POST",
        &gw.url("/v2/video/generate"),
        &[("x-api-key", &token), ("content-type", "application/json")],
        crate::half_credit().to_string(),
    )
    .await;
    silent.abort();
    assert_refused_upstream(&resp, 502, "upstream_unreachable");
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let holds = |state: &'static str| {
        let (auth, url) = (
            auth.clone(),
            gw.admin_url(&format!("/admin/v1/holds?state={state}")),
        );
        async move {
            let v = send("GET", &url, &[("authorization", &auth)], "")
                .await
                .json();
            v["data"].as_array().cloned().unwrap_or_default()
        }
    };
    assert_eq!(holds("released").await.len(), 1);
    assert!(holds("held").await.is_empty());
}

#[track_caller]
fn assert_refused_upstream(resp: &TestResponse, status: u16, reason: &str) {
    assert_eq!(resp.status, status, "{}", resp.text());
    assert_eq!(resp.header("x-gateway-rejected"), Some(reason));
}
