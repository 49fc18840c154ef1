//! LiveAvatar credentials and durability (issue 13): the LiveAvatar org key
//! goes only to LiveAvatar and the HeyGen key never there; an unknown
//! session token or another tenant's session is refused before anything
//! is sent; without a key the routes answer 503; a restart, and two
//! replicas on one PostgreSQL ledger, meter each minute once.

use std::sync::Arc;

use heygen_gateway::clock::Clock;
use heygen_mock::liveavatar::MockLiveAvatar;
use serde_json::json;

use super::liveavatar::{
    as_browser, at, la_holds, la_rig, mint, wait_holds, wait_settled, with_liveavatar, LaRig,
};
use crate::common::*;
use crate::{manual_clock, Rig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_liveavatar_key_goes_only_to_liveavatar_and_the_heygen_key_never_there() {
    let LaRig { rig, la, clock } = la_rig(|c| c.tenant_budgets("alpha", "daily = 3")).await;
    // HeyGen traffic beside it: a streaming session through the gateway.
    let r = rig
        .post("/v1/streaming.new", &json!({"avatar_id": "a"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let (_, token) = mint(&rig, "alpha", json!({"mode": "LITE"})).await;
    assert_eq!(
        as_browser(&rig.gw.url(""), "start", &token).await.status,
        200
    );
    // A tenant's server may act on its session with its own key.
    let stop_body = json!({"session_id": "nope"}).to_string();
    let r = rig
        .call(
            "alpha",
            "POST",
            "/liveavatar/v1/sessions/keep-alive",
            &[],
            stop_body,
        )
        .await;
    assert_eq!(r.status, 404, "not alpha's session: {}", r.text());
    // The budget runs out: the gateway stops both sessions itself.
    at(&clock, 59);
    at(&clock, 119);
    eventually(|| !la.stops().is_empty(), crate::SETTLE_WAIT).await;
    let alpha = tenant_token("alpha");
    for r in la.requests() {
        let keys: Vec<&str> = r
            .headers
            .get_all("x-api-key")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert!(
            keys.is_empty() || keys == [LIVEAVATAR_KEY],
            "{} {keys:?}",
            r.path
        );
        for (name, v) in &r.headers {
            let v = v.to_str().unwrap_or("");
            assert!(
                !v.contains(ORG_KEY) && !v.contains(&alpha),
                "{name} at LiveAvatar {}",
                r.path
            );
        }
    }
    let heygen = rig.mock.requests();
    assert!(!heygen.is_empty());
    for r in heygen {
        for (name, v) in &r.headers {
            let v = v.to_str().unwrap_or("");
            assert!(!v.contains(LIVEAVATAR_KEY), "{name} at HeyGen {}", r.path);
        }
        assert_eq!(
            r.headers.get("x-api-key").and_then(|v| v.to_str().ok()),
            Some(ORG_KEY)
        );
    }
    // Minting needs the key at LiveAvatar: it arrived there.
    assert!(la.requests().iter().any(|r| r.path == "/v1/sessions/token"
        && r.headers.get("x-api-key").map(|v| v.as_bytes()) == Some(LIVEAVATAR_KEY.as_bytes())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_session_tokens_and_foreign_sessions_are_refused_before_liveavatar() {
    let LaRig { rig, la, .. } = la_rig(|c| c).await;
    let (session, _) = mint(&rig, "alpha", json!({"mode": "FULL"})).await;
    let before = la.requests().len();
    let r = as_browser(&rig.gw.url(""), "start", "la_session_token_forged").await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.header("x-gateway-rejected"), Some("unauthenticated"));
    assert_eq!(r.json()["code"], 400112, "v1-shaped envelope: {}", r.text());
    let body = json!({ "session_id": session }).to_string();
    let r = rig
        .call("beta", "POST", "/liveavatar/v1/sessions/stop", &[], body)
        .await;
    assert_eq!(r.status, 404, "alpha's session: {}", r.text());
    let r = rig
        .call(
            "alpha",
            "POST",
            "/liveavatar/v1/sessions/token",
            &[],
            "{\"mode\": 7}",
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    let r = rig
        .call("alpha", "GET", "/liveavatar/v1/sessions/list", &[], "")
        .await;
    assert_eq!(
        r.status,
        404,
        "only the session routes are proxied: {}",
        r.text()
    );
    assert_eq!(la.requests().len(), before, "nothing forwarded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_liveavatar_key_its_routes_answer_503() {
    let rig = Rig::start(|c| c).await;
    let r = rig
        .call("alpha", "POST", "/liveavatar/v1/sessions/token", &[], "{}")
        .await;
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(
        r.header("x-gateway-rejected"),
        Some("liveavatar_not_configured")
    );
    assert!(
        r.text().contains("LiveAvatar is not configured"),
        "{}",
        r.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_liveavatar_session_loses_no_minute_and_charges_none_twice() {
    let la = MockLiveAvatar::start(LIVEAVATAR_KEY).await.expect("LA");
    let clock = manual_clock("2026-12-02T10:00:00Z");
    let store = tempfile::tempdir().expect("dir");
    let url = format!("\"sqlite://{}\"", store.path().join("l.db").display());
    let cfg = |c: TestConfig| {
        with_liveavatar(c, &la)
            .set("settlement", "session_idle_seconds", "3600")
            .set("store", "url", &url)
    };
    let rig = Rig::start_with_clock(cfg, clock.clone()).await;
    let (_, token) = mint(&rig, "alpha", json!({"mode": "FULL"})).await;
    let Rig { mock, gw } = rig;
    gw.shutdown().await;
    // Down for two and a half minutes while the session ran.
    at(&clock, 150);
    let gw = TestGateway::start_with_clock(cfg(TestConfig::for_mock(&mock)), clock.clone()).await;
    let rig = Rig { mock, gw };
    wait_holds(&rig, 3).await;
    at(&clock, 170);
    assert_eq!(
        as_browser(&rig.gw.url(""), "stop", &token).await.status,
        200
    );
    wait_settled(&rig).await;
    // 170 s: three started minutes, each charged once.
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "6"));
    let verify = std::process::Command::new(env!("CARGO_BIN_EXE_heygen-gateway"))
        .args(["ledger", "verify", "--config"])
        .arg(&rig.gw.config_path)
        .output()
        .expect("ledger verify");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_on_postgres_meter_one_liveavatar_session_once() {
    let db = crate::pg::database().await;
    let la = MockLiveAvatar::start(LIVEAVATAR_KEY).await.expect("LA");
    let mock = start_mock().await;
    let clock = manual_clock("2026-12-02T10:00:00Z");
    let cfg = || {
        with_liveavatar(TestConfig::for_mock(&mock), &la)
            .set("settlement", "session_idle_seconds", "3600")
            .set("store", "url", &format!("{db:?}"))
    };
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let a = TestGateway::start_with_clock(cfg(), dyn_clock.clone()).await;
    let b = TestGateway::start_with_clock(cfg(), dyn_clock).await;
    let rig = Rig { mock, gw: a };
    let (_, token) = mint(&rig, "alpha", json!({"mode": "LITE"})).await;
    // Both replicas tick every second on the same session.
    for minute in 1..=4 {
        at(&clock, 60 * minute - 1);
        wait_holds(&rig, minute as usize + 1).await;
        await_meter_passes(&[rig.gw.admin_addr, b.admin_addr], 2).await;
    }
    assert_eq!(
        la_holds(&rig).await.len(),
        5,
        "one hold per minute, not two"
    );
    at(&clock, 250);
    assert_eq!(as_browser(&b.url(""), "stop", &token).await.status, 200);
    wait_settled(&rig).await;
    // 250 s: five started minutes at 1 credit, each once.
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "5"));
    b.shutdown().await;
}
