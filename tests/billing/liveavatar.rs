//! LiveAvatar through the gateway (issue 13): `/liveavatar/v1/sessions/token`
//! with a tenant key is a session start (FULL 2 credits/min, LITE 1,
//! sandbox free, a minute held at the start, charged per started minute);
//! the browser's session token is the credential for exactly its session;
//! the meter extends, idles out, bounds (`max_session_duration`) and cuts
//! off sessions at the budget, stopping them at LiveAvatar with its own key.
//! The LiveAvatar key goes only to LiveAvatar, the HeyGen key never there.

use std::sync::Arc;

use heygen_gateway::clock::ManualClock;
use heygen_mock::liveavatar::MockLiveAvatar;
use serde_json::{json, Value};

use crate::common::*;
use crate::{manual_clock, Rig, SETTLE_WAIT};

const T0: &str = "2026-12-02T10:00:00Z";

pub(crate) fn at(clock: &ManualClock, secs: i64) {
    let t0 = chrono::DateTime::parse_from_rfc3339(T0).expect("t0");
    clock.set(t0.with_timezone(&chrono::Utc) + chrono::Duration::seconds(secs));
}

/// Points `c` at `la` with the LiveAvatar key, metering every second.
pub(crate) fn with_liveavatar(c: TestConfig, la: &MockLiveAvatar) -> TestConfig {
    c.set("upstream", "liveavatar_url", &format!("{:?}", la.url()))
        .set("upstream", "liveavatar_key_env", "\"LIVEAVATAR_API_KEY\"")
        .set("settlement", "session_tick_seconds", "1")
}

pub(crate) struct LaRig {
    pub rig: Rig,
    pub la: MockLiveAvatar,
    pub clock: Arc<ManualClock>,
}

pub(crate) async fn la_rig(f: impl FnOnce(TestConfig) -> TestConfig) -> LaRig {
    let la = MockLiveAvatar::start(LIVEAVATAR_KEY)
        .await
        .expect("mock LA");
    let clock = manual_clock(T0);
    let rig = Rig::start_with_clock(|c| f(with_liveavatar(c, &la)), clock.clone()).await;
    LaRig { rig, la, clock }
}

/// Mints a token as `tenant`; returns (session_id, session_token).
pub(crate) async fn mint(rig: &Rig, tenant: &str, body: Value) -> (String, String) {
    let r = rig
        .call(
            tenant,
            "POST",
            "/liveavatar/v1/sessions/token",
            &[],
            body.to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let d = &r.json()["data"];
    let s = |k: &str| d[k].as_str().expect(k).to_string();
    (s("session_id"), s("session_token"))
}

/// `POST /liveavatar/v1/sessions/{op}` as the browser, with the session token.
pub(crate) async fn as_browser(gw_url: &str, op: &str, token: &str) -> TestResponse {
    let auth = format!("Bearer {token}");
    send(
        "POST",
        &format!("{gw_url}/liveavatar/v1/sessions/{op}"),
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        "{}",
    )
    .await
}

/// LiveAvatar minute holds, oldest first.
pub(crate) async fn la_holds(rig: &Rig) -> Vec<Value> {
    let mut holds: Vec<Value> = rig
        .holds(None)
        .await
        .into_iter()
        .filter(|h| {
            h["feature"]
                .as_str()
                .unwrap_or("")
                .starts_with("liveavatar")
        })
        .collect();
    holds.sort_by_key(|h| h["created_at"].as_str().unwrap_or_default().to_string());
    holds
}

pub(crate) async fn wait_holds(rig: &Rig, n: usize) {
    eventually_async(|| async { la_holds(rig).await.len() >= n }, SETTLE_WAIT).await;
}

pub(crate) async fn wait_settled(rig: &Rig) -> Vec<Value> {
    eventually_async(
        || async {
            let h = la_holds(rig).await;
            !h.is_empty() && h.iter().all(|h| h["state"] != "held")
        },
        SETTLE_WAIT,
    )
    .await;
    la_holds(rig).await
}

fn captured(holds: &[Value]) -> Vec<&str> {
    holds
        .iter()
        .map(|h| h["captured"].as_str().unwrap_or("?"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_liveavatar_session_of_3_min_10_s_is_charged_per_started_minute() {
    let LaRig { rig, la, clock } = la_rig(|c| c.tenant_budgets("alpha", "daily = 100")).await;
    let (session, token) = mint(&rig, "alpha", json!({"mode": "FULL", "avatar_id": "a"})).await;
    assert_eq!(la_holds(&rig).await[0]["amount"], "2", "first minute held");
    let r = as_browser(&rig.gw.url(""), "start", &token).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["data"]["session_id"], session.as_str());
    for minute in 1..=3 {
        at(&clock, 60 * minute - 1);
        let r = as_browser(&rig.gw.url(""), "keep-alive", &token).await;
        assert_eq!(r.status, 200, "{}", r.text());
        wait_holds(&rig, minute as usize + 1).await;
    }
    at(&clock, 190);
    let usage = rig
        .call("alpha", "GET", "/gateway/v1/usage", &[], "")
        .await
        .json();
    assert_eq!(
        usage["data"]["sessions"][0]["kind"], "liveavatar",
        "{usage}"
    );
    let r = as_browser(&rig.gw.url(""), "stop", &token).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let holds = wait_settled(&rig).await;
    // 190 s is four started minutes at 2 credits.
    assert_eq!(captured(&holds), ["2", "2", "2", "2"], "{holds:?}");
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "8"));
    // The browser's bearer went through unchanged; the gateway sent no
    // stop of its own.
    let stops = la.stops();
    assert_eq!(stops.len(), 1, "{stops:?}");
    assert_eq!(
        (stops[0].session_id.as_str(), stops[0].by.as_str()),
        (session.as_str(), "bearer")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_liveavatar_session_past_its_budget_is_stopped_within_a_tick_and_refused_after() {
    // Two minutes fit (4), a third (6) does not.
    let LaRig { rig, la, clock } = la_rig(|c| c.tenant_budgets("alpha", "daily = 5")).await;
    let (session, token) = mint(&rig, "alpha", json!({"mode": "FULL"})).await;
    assert_eq!(
        as_browser(&rig.gw.url(""), "start", &token).await.status,
        200
    );
    at(&clock, 59);
    assert_eq!(
        as_browser(&rig.gw.url(""), "keep-alive", &token)
            .await
            .status,
        200
    );
    wait_holds(&rig, 2).await;
    at(&clock, 119);
    eventually(|| !la.stops().is_empty(), SETTLE_WAIT).await;
    let stop = &la.stops()[0];
    assert_eq!(
        (
            stop.session_id.as_str(),
            stop.reason.as_str(),
            stop.by.as_str()
        ),
        (session.as_str(), "NO_CREDITS", "key"),
        "stopped at LiveAvatar with the org's LiveAvatar key"
    );
    let holds = wait_settled(&rig).await;
    assert_eq!(captured(&holds), ["2", "2"], "{holds:?}");
    let before = la.requests().len();
    let r = as_browser(&rig.gw.url(""), "keep-alive", &token).await;
    assert_eq!(r.status, 402, "{}", r.text());
    assert_eq!(r.header("x-gateway-rejected"), Some("session_stopped"));
    assert_eq!(r.json()["code"], 402000, "v1-shaped envelope: {}", r.text());
    assert_eq!(la.requests().len(), before, "nothing forwarded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_liveavatar_session_is_charged_to_its_last_activity_plus_the_idle_limit() {
    // Per-second rounding here, so the idle deadline shows in the charge.
    let LaRig { rig, la, clock } = la_rig(|c| {
        c.set("settlement", "session_idle_seconds", "30")
            .set(
                "pricing.features.liveavatar_lite",
                "credits_per_minute",
                "1.2",
            )
            .set("pricing.features.liveavatar_lite", "increment_seconds", "1")
    })
    .await;
    let (session, token) = mint(&rig, "alpha", json!({"mode": "LITE"})).await;
    at(&clock, 20);
    assert_eq!(
        as_browser(&rig.gw.url(""), "keep-alive", &token)
            .await
            .status,
        200
    );
    at(&clock, 45);
    await_meter_passes(&[rig.gw.admin_addr], 2).await;
    assert_eq!(la_holds(&rig).await[0]["state"], "held", "live at 45 s");
    at(&clock, 55);
    let holds = wait_settled(&rig).await;
    // Ended at 20 + 30 = 50 s: 50 s at 1.2 credits/min.
    assert_eq!(captured(&holds), ["1"], "{holds:?}");
    eventually(|| la.stops().len() == 1, SETTLE_WAIT).await;
    assert_eq!(la.stops()[0].reason, "IDLE_TIMEOUT");
    assert_eq!(la.stops()[0].session_id, session);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_session_duration_bounds_what_a_liveavatar_session_is_charged() {
    let LaRig { rig, la, clock } =
        la_rig(|c| c.set("settlement", "session_idle_seconds", "600")).await;
    let (_, token) = mint(
        &rig,
        "alpha",
        json!({"mode": "LITE", "max_session_duration": 90}),
    )
    .await;
    assert_eq!(
        as_browser(&rig.gw.url(""), "start", &token).await.status,
        200
    );
    at(&clock, 59);
    wait_holds(&rig, 2).await;
    at(&clock, 100);
    let holds = wait_settled(&rig).await;
    // Ended at 90 s: two started minutes at 1 credit.
    assert_eq!(captured(&holds), ["1", "1"], "{holds:?}");
    eventually(|| la.stops().len() == 1, SETTLE_WAIT).await;
    assert_eq!(la.stops()[0].reason, "MAX_DURATION_REACHED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_liveavatar_sessions_are_free() {
    let LaRig { rig, la, clock } = la_rig(|c| c.tenant_budgets("alpha", "daily = 1")).await;
    let r = rig
        .call(
            "alpha",
            "POST",
            "/liveavatar/v1/sessions/token",
            &[],
            json!({"mode": "FULL", "is_sandbox": true}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-gateway-credits-projected"), Some("0"));
    let session = r.json()["data"]["session_id"]
        .as_str()
        .expect("id")
        .to_string();
    let token = r.json()["data"]["session_token"]
        .as_str()
        .expect("t")
        .to_string();
    assert_eq!(la.session_mode(&session), Some(("FULL".into(), true)));
    assert_eq!(
        as_browser(&rig.gw.url(""), "start", &token).await.status,
        200
    );
    at(&clock, 59);
    wait_holds(&rig, 2).await;
    at(&clock, 70);
    assert_eq!(
        as_browser(&rig.gw.url(""), "stop", &token).await.status,
        200
    );
    let holds = wait_settled(&rig).await;
    assert!(holds.iter().all(|h| h["captured"] == "0"), "{holds:?}");
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "0"));
}
