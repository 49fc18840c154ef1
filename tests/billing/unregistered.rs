//! A session HeyGen started but the ledger could not register (PostgreSQL
//! restarting, SQLite busy) would run unmetered: no minute held after the
//! first, no budget cut-off, no row for the client's stop to end. So the
//! gateway stops it at HeyGen at once with the org key and fails the start
//! with 503 `ledger_unavailable`, its first minute paying the time it ran;
//! a token is simply not handed out. A v3 retry with the same key, which
//! HeyGen answers with that stopped session, gets 422; a start with a new
//! key is metered as usual.
//!
//! The failure: a trigger on the PostgreSQL ledger making every INSERT into
//! `sessions` fail with SQLSTATE 58030 (an I/O error, which the backend
//! reports as the ledger unavailable), while holds and captures still work.

use std::sync::Arc;

use heygen_gateway::clock::ManualClock;
use serde_json::{json, Value};

use crate::common::*;
use crate::liveavatar::{la_rig, LaRig};
use crate::retries::{audit, KEY};
use crate::sessions::{at, metered, stops_sent, T0};
use crate::{assert_refused, manual_clock, Rig, SETTLE_WAIT};

const REALTIME: &str = "/v3/avatar-realtime";

/// Points `c` at a fresh database of the shared PostgreSQL server.
fn on_postgres(c: TestConfig, url: &str) -> TestConfig {
    c.set("store", "url", &format!("{url:?}"))
}

/// A metering rig on PostgreSQL and a manual clock at [`T0`]; returns the
/// database's URL too.
async fn rig() -> (Rig, Arc<ManualClock>, String) {
    let url = crate::pg::PgServer::shared().create_database();
    let clock = manual_clock(T0);
    let rig = Rig::start_with_clock(
        |c| on_postgres(metered(c), &url).tenant_budgets("alpha", "daily = 100"),
        clock.clone(),
    )
    .await;
    (rig, clock, url)
}

/// Makes every session registration in the database at `url` fail as if
/// its disk had failed (`true`), or work again (`false`).
async fn fail_registrations(url: &str, fail: bool) {
    let sql = if fail {
        "CREATE FUNCTION fail_session() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN RAISE EXCEPTION 'injected failure' USING ERRCODE = '58030'; END $$; \
         CREATE TRIGGER fail_sessions BEFORE INSERT ON sessions \
         FOR EACH ROW EXECUTE FUNCTION fail_session();"
    } else {
        "DROP TRIGGER fail_sessions ON sessions; DROP FUNCTION fail_session();"
    };
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    let conn = tokio::spawn(conn);
    client.batch_execute(sql).await.expect("trigger");
    drop(client);
    let _ = conn.await;
}

/// `tenant`'s holds of `feature`.
async fn holds_of(rig: &Rig, tenant: &str, feature: &str) -> Vec<Value> {
    rig.holds(None)
        .await
        .into_iter()
        .filter(|h| h["tenant"] == tenant && h["feature"] == feature)
        .collect()
}

/// `(state, captured)` of each hold, sorted (holds taken in one instant of
/// the manual clock have no order).
fn states(holds: &[Value]) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = holds
        .iter()
        .map(|h| {
            let s = |k: &str| h[k].as_str().unwrap_or("?");
            (s("state"), s("captured"))
        })
        .collect();
    out.sort_unstable();
    out
}

async fn live_sessions(rig: &Rig) -> Vec<Value> {
    let r = rig.admin("GET", "/admin/v1/sessions", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["data"].as_array().cloned().unwrap_or_default()
}

async fn realtime_start(rig: &Rig, key: &str) -> TestResponse {
    let body = json!({"type": "tts", "avatar_id": "a", "voice_id": "v"});
    let key = [("idempotency-key", key)];
    rig.call("alpha", "POST", REALTIME, &key, body.to_string())
        .await
}

/// The realtime streams the gateway stopped at HeyGen with the org key.
fn realtime_stops(rig: &Rig) -> Vec<String> {
    rig.mock
        .requests()
        .into_iter()
        .filter(|r| r.method == http::Method::DELETE)
        .filter(|r| r.headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(ORG_KEY))
        .filter_map(|r| {
            r.path
                .strip_prefix("/v3/avatar-realtime/")
                .map(str::to_string)
        })
        .collect()
}

/// Waits for two whole passes of the meter (one a second) that began
/// after the call.
async fn a_few_ticks(rig: &Rig) {
    await_meter_passes(&[rig.gw.admin_addr], 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_realtime_session_the_ledger_cannot_register_is_stopped_and_its_start_refused() {
    let (rig, clock, db) = rig().await;
    fail_registrations(&db, true).await;
    let first = realtime_start(&rig, KEY).await;
    assert_refused(&first, 503, "service_unavailable", "ledger_unavailable");
    assert!(first.header("retry-after").is_some());
    assert!(
        first.json()["data"].is_null(),
        "no stream: {}",
        first.text()
    );
    let stopped = realtime_stops(&rig);
    assert_eq!(stopped.len(), 1, "stopped at HeyGen at once: {stopped:?}");
    // It ran no time: its first minute is captured at that (realtime's one
    // second), not left held for the TTL to capture in full.
    let holds = holds_of(&rig, "alpha", "avatar_realtime").await;
    assert_eq!(states(&holds), [("captured", "0.05")], "{holds:?}");
    assert!(live_sessions(&rig).await.is_empty());
    // Past the first minute no next minute is held for it.
    at(&clock, 61);
    a_few_ticks(&rig).await;
    assert_eq!(holds_of(&rig, "alpha", "avatar_realtime").await.len(), 1);

    fail_registrations(&db, false).await;
    // HeyGen answers the retry with the stopped stream: refused, and its
    // own hold released.
    let retry = realtime_start(&rig, KEY).await;
    assert_refused(&retry, 422, "idempotency_key_reused", "session_not_metered");
    assert_eq!(
        rig.mock.requests_to(REALTIME).len(),
        2,
        "answered by HeyGen"
    );
    let holds = holds_of(&rig, "alpha", "avatar_realtime").await;
    assert_eq!(
        states(&holds),
        [("captured", "0.05"), ("released", "0")],
        "{holds:?}"
    );
    assert!(live_sessions(&rig).await.is_empty());
    // A new key starts a new session, metered as usual.
    let fresh = realtime_start(&rig, "order-8").await;
    assert_eq!(fresh.status, 200, "{}", fresh.text());
    let stream = fresh.json()["data"]["stream_id"]
        .as_str()
        .map(str::to_string);
    assert_ne!(stream.as_deref(), stopped.first().map(String::as_str));
    let live = live_sessions(&rig).await;
    assert_eq!(live.len(), 1, "{live:?}");
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("3", "0.05"));
    audit(&rig).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_session_whose_stop_heygen_fails_is_stopped_later_and_bound_to_no_token() {
    let (rig, _clock, db) = rig().await;
    fail_registrations(&db, true).await;
    // HeyGen fails the stop at the start and at the next two ticks.
    rig.mock
        .on_path("/v1/streaming.stop")
        .fail_next(3, http::StatusCode::SERVICE_UNAVAILABLE);
    let r = rig
        .post("/v1/streaming.new", &json!({"avatar_id": "a"}))
        .await;
    assert_refused(&r, 503, "service_unavailable", "ledger_unavailable");
    assert_eq!(r.json()["code"], 503000, "v1 envelope: {}", r.text());
    let session = rig.mock.requests_to("/v1/streaming.stop")[0]
        .json()
        .and_then(|b| b["session_id"].as_str().map(str::to_string))
        .expect("the stop names the session");
    // Beta's token waits for its session (the ledger works again): each
    // tick reads HeyGen's list, where alpha's session stays until a stop
    // gets through, and binds an unknown session to the oldest waiting token.
    fail_registrations(&db, false).await;
    let token = rig
        .call("beta", "POST", "/v1/streaming.create_token", &[], "{}")
        .await;
    assert_eq!(token.status, 200, "{}", token.text());
    // The stop was not answered: the gateway cannot tell when it ended, so
    // the whole first minute is charged.
    let holds = holds_of(&rig, "alpha", "streaming").await;
    assert_eq!(states(&holds), [("captured", "0.2")], "{holds:?}");
    eventually(|| stops_sent(&rig, &session) == 4, SETTLE_WAIT).await;
    a_few_ticks(&rig).await;
    assert_eq!(stops_sent(&rig, &session), 4, "resent until answered");
    // It stayed in HeyGen's list for a tick or two: not bound to beta's token.
    let beta = holds_of(&rig, "beta", "streaming").await;
    assert_eq!(states(&beta), [("held", "0")], "{beta:?}");
    assert!(live_sessions(&rig).await.is_empty());
    // A token the ledger cannot record is not handed out; its hold is freed.
    fail_registrations(&db, true).await;
    let t = rig.post("/v1/streaming.create_token", &json!({})).await;
    assert_refused(&t, 503, "service_unavailable", "ledger_unavailable");
    assert!(!t.text().contains("mock_streaming_token"), "{}", t.text());
    let holds = holds_of(&rig, "alpha", "streaming").await;
    assert_eq!(
        states(&holds),
        [("captured", "0.2"), ("released", "0")],
        "{holds:?}"
    );
    audit(&rig).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_liveavatar_session_the_ledger_cannot_register_is_stopped_at_liveavatar() {
    let url = crate::pg::PgServer::shared().create_database();
    let LaRig { rig, la, .. } = la_rig(|c| on_postgres(c, &url)).await;
    fail_registrations(&url, true).await;
    let r = rig
        .call(
            "alpha",
            "POST",
            "/liveavatar/v1/sessions/token",
            &[],
            json!({"mode": "FULL"}).to_string(),
        )
        .await;
    assert_refused(&r, 503, "service_unavailable", "ledger_unavailable");
    assert!(!r.text().contains("session_token"), "{}", r.text());
    let stops = la.stops();
    assert_eq!(stops.len(), 1, "{stops:?}");
    assert_eq!(stops[0].by, "key", "with the org's LiveAvatar key");
    // Per started minute, as a stop at that moment would be charged.
    let holds = holds_of(&rig, "alpha", "liveavatar_full").await;
    assert_eq!(states(&holds), [("captured", "2")], "{holds:?}");
    audit(&rig).await;
}
