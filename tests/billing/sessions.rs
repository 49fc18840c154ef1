//! Live sessions metered as they run (issue 13): the start holds the first
//! minute, the metering tick holds each next one, a stop captures to the
//! second as the price book rounds; a session whose next minute does not
//! fit the budget is stopped at HeyGen and later calls get 402; idle ones
//! end at their last activity plus the idle limit; a restart resumes.
//! Streaming: 0.2 credits/min, 30 s minimum, per second after.

use heygen_gateway::clock::ManualClock;
use serde_json::{json, Value};

use crate::common::*;
use crate::{manual_clock, Rig, SETTLE_WAIT};

pub(crate) const T0: &str = "2026-12-02T10:00:00Z";

pub(crate) fn at(clock: &ManualClock, secs: i64) {
    let t0 = chrono::DateTime::parse_from_rfc3339(T0).expect("t0");
    clock.set(t0.with_timezone(&chrono::Utc) + chrono::Duration::seconds(secs));
}

pub(crate) fn metered(c: TestConfig) -> TestConfig {
    c.set("settlement", "session_tick_seconds", "1")
}

/// A gateway metering every second on a manual clock at [`T0`], alpha
/// with `budget`.
pub(crate) async fn metered_rig(budget: &str) -> (Rig, std::sync::Arc<ManualClock>) {
    let clock = manual_clock(T0);
    let rig = Rig::start_with_clock(
        |c| metered(c).tenant_budgets("alpha", budget),
        clock.clone(),
    )
    .await;
    (rig, clock)
}

/// [`metered_rig`] with `daily = 100` and its ledger a file in `dir`, so
/// [`restart_at`] can bring the gateway back on the same ledger.
pub(crate) async fn durable_rig(dir: &tempfile::TempDir) -> (Rig, std::sync::Arc<ManualClock>) {
    let clock = manual_clock(T0);
    let rig = Rig::start_with_clock(durable(dir), clock.clone()).await;
    (rig, clock)
}

fn durable(dir: &tempfile::TempDir) -> impl Fn(TestConfig) -> TestConfig {
    let url = format!("\"sqlite://{}\"", dir.path().join("l.db").display());
    move |c| {
        metered(c)
            .tenant_budgets("alpha", "daily = 100")
            .set("store", "url", &url)
    }
}

/// Shuts the gateway of a [`durable_rig`] down, moves the clock to `secs`
/// while it is down, and starts it again on the same ledger and mock.
pub(crate) async fn restart_at(
    rig: Rig,
    dir: &tempfile::TempDir,
    clock: &std::sync::Arc<ManualClock>,
    secs: i64,
) -> Rig {
    let Rig { mock, gw } = rig;
    gw.shutdown().await;
    at(clock, secs);
    let cfg = durable(dir)(TestConfig::for_mock(&mock));
    let gw = TestGateway::start_with_clock(cfg, clock.clone()).await;
    Rig { mock, gw }
}

pub(crate) async fn start_session(rig: &Rig, body: Value) -> String {
    started(rig, "/v1/streaming.new", body, "session_id").await
}

/// Starts a v3 realtime stream as alpha; its `stream_id`.
pub(crate) async fn start_stream(rig: &Rig, body: Value) -> String {
    started(rig, "/v3/avatar-realtime", body, "stream_id").await
}

async fn started(rig: &Rig, path: &str, body: Value, id: &str) -> String {
    let r = rig.post(path, &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["data"][id]
        .as_str()
        .unwrap_or_else(|| panic!("no {id}: {}", r.text()))
        .to_string()
}

/// Alpha's live sessions as `/gateway/v1/usage` lists them.
pub(crate) async fn live_ids(rig: &Rig) -> Vec<String> {
    let usage = rig.call("alpha", "GET", "/gateway/v1/usage", &[], "").await;
    assert_eq!(usage.status, 200, "{}", usage.text());
    let sessions = usage.json()["data"]["sessions"].clone();
    let ids = sessions.as_array().cloned().unwrap_or_default();
    ids.iter()
        .filter_map(|s| s["session_id"].as_str().map(str::to_string))
        .collect()
}

/// `POST path` straight to HeyGen with the org key, past the gateway: what
/// an SDK holding a session token does.
pub(crate) async fn at_heygen(rig: &Rig, path: &str, body: Value) -> TestResponse {
    send(
        "POST",
        &format!("{}{path}", rig.mock.url()),
        &[("x-api-key", ORG_KEY), ("content-type", "application/json")],
        body.to_string(),
    )
    .await
}

/// Alpha's session holds (one per metered minute), oldest first.
pub(crate) async fn minute_holds(rig: &Rig) -> Vec<Value> {
    let mut holds: Vec<Value> = rig
        .holds(None)
        .await
        .into_iter()
        .filter(|h| h["feature"] == "streaming")
        .collect();
    holds.sort_by_key(|h| h["created_at"].as_str().unwrap_or_default().to_string());
    holds
}

pub(crate) async fn wait_minutes(rig: &Rig, n: usize) {
    eventually_async(|| async { minute_holds(rig).await.len() >= n }, SETTLE_WAIT).await;
}

pub(crate) async fn wait_all_settled(rig: &Rig) -> Vec<Value> {
    eventually_async(
        || async {
            minute_holds(rig)
                .await
                .iter()
                .all(|h| h["state"] == "captured")
        },
        SETTLE_WAIT,
    )
    .await;
    minute_holds(rig).await
}

pub(crate) fn captured(holds: &[Value]) -> Vec<&str> {
    holds
        .iter()
        .map(|h| h["captured"].as_str().unwrap_or("?"))
        .collect()
}

pub(crate) fn stops_sent(rig: &Rig, session: &str) -> usize {
    rig.mock
        .requests_to("/v1/streaming.stop")
        .iter()
        .filter(|r| {
            r.headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(ORG_KEY)
                && String::from_utf8_lossy(&r.body).contains(session)
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_of_3_min_10_s_is_charged_for_exactly_that() {
    let (rig, clock) = metered_rig("daily = 100").await;
    let session = start_session(&rig, json!({"quality": "medium", "avatar_id": "a"})).await;
    // Keep it active; each minute is held just before the last one ends.
    for minute in 1..=3 {
        at(&clock, 60 * minute - 1);
        let task = json!({"session_id": session, "text": "hi"}).to_string();
        let r = rig
            .call("alpha", "POST", "/v1/streaming.task", &[], task)
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        wait_minutes(&rig, minute as usize + 1).await;
    }
    at(&clock, 190);
    // Usage and the admin API list it live with its running cost.
    let usage = rig
        .call("alpha", "GET", "/gateway/v1/usage", &[], "")
        .await
        .json();
    let live = &usage["data"]["sessions"][0];
    assert_eq!(live["session_id"], session.as_str(), "{usage}");
    assert_eq!(
        (live["seconds"].as_i64(), live["cost_so_far"].as_str()),
        (Some(190), Some("0.633334"))
    );
    let admin = rig.admin("GET", "/admin/v1/sessions", "").await;
    assert_eq!(
        admin.json()["data"][0]["tenant"],
        "alpha",
        "{}",
        admin.text()
    );
    let stop = json!({ "session_id": session }).to_string();
    let r = rig
        .call("alpha", "POST", "/v1/streaming.stop", &[], stop)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let holds = wait_all_settled(&rig).await;
    // Three whole minutes, then 10 s: 190 s at 0.2/min = 0.633334.
    assert_eq!(
        captured(&holds),
        ["0.2", "0.2", "0.2", "0.033334"],
        "{holds:?}"
    );
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "0.633334"));
    // The client stopped it: the gateway sends no stop of its own.
    assert_eq!(stops_sent(&rig, &session), 1, "only the client's stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_past_its_budget_is_stopped_at_heygen_and_refused_after() {
    let clock = manual_clock(T0);
    // Room for two minutes (0.4), not three.
    let rig = Rig::start_with_clock(
        |c| metered(c).tenant_budgets("alpha", "daily = 0.5"),
        clock.clone(),
    )
    .await;
    let session = start_session(
        &rig,
        json!({"avatar_id": "a", "activity_idle_timeout": 600}),
    )
    .await;
    at(&clock, 59);
    wait_minutes(&rig, 2).await;
    rig.mock.clear();
    // The third minute does not fit: stopped at 119 s, within one tick.
    at(&clock, 119);
    let holds = wait_all_settled(&rig).await;
    assert_eq!(captured(&holds), ["0.2", "0.196667"], "{holds:?}");
    assert_eq!(
        stops_sent(&rig, &session),
        1,
        "stopped at HeyGen with the org key"
    );
    let task = json!({"session_id": session, "text": "still there?"}).to_string();
    rig.mock.clear();
    let r = rig
        .call("alpha", "POST", "/v1/streaming.task", &[], task)
        .await;
    assert_eq!(r.status, 402, "{}", r.text());
    assert_eq!(r.header("x-gateway-rejected"), Some("session_stopped"));
    assert_eq!(r.json()["code"], 402000, "{}", r.text());
    assert_eq!(rig.mock.count(), 0, "nothing forwarded");
    let metrics = metrics_text(rig.gw.admin_addr).await;
    assert_metric(
        &metrics,
        r#"heygen_gateway_sessions_stopped_total{reason="budget"} 1"#,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_ends_at_its_last_activity_plus_the_idle_limit() {
    let (rig, clock) = metered_rig("daily = 100").await;
    let session = start_session(&rig, json!({"avatar_id": "a", "activity_idle_timeout": 30})).await;
    at(&clock, 20);
    let keep = json!({ "session_id": session }).to_string();
    let r = rig
        .call("alpha", "POST", "/v1/streaming.keep_alive", &[], keep)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    at(&clock, 45);
    await_meter_passes(&[rig.gw.admin_addr], 2).await;
    assert_eq!(
        minute_holds(&rig).await[0]["state"],
        "held",
        "still live at 45 s"
    );
    at(&clock, 55);
    let holds = wait_all_settled(&rig).await;
    // Ended at 20 + 30 = 50 s: 50 s at 0.2/min.
    assert_eq!(captured(&holds), ["0.166667"], "{holds:?}");
    eventually(|| stops_sent(&rig, &session) == 1, SETTLE_WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_resumes_metering_and_charges_the_downtime_once() {
    let store = tempfile::tempdir().expect("dir");
    let (rig, clock) = durable_rig(&store).await;
    let session = start_session(
        &rig,
        json!({"avatar_id": "a", "activity_idle_timeout": 3600}),
    )
    .await;
    // Down for two and a half minutes while the session ran at HeyGen.
    let rig = restart_at(rig, &store, &clock, 150).await;
    wait_minutes(&rig, 3).await;
    at(&clock, 200);
    let stop = json!({ "session_id": session }).to_string();
    let r = rig
        .call("alpha", "POST", "/v1/streaming.stop", &[], stop)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let holds = wait_all_settled(&rig).await;
    // 200 s in all, each minute once: 0.2 + 0.2 + 0.266667 (80 s).
    let (_, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!(spent, "0.666667", "{holds:?}");
    assert_eq!(holds.len(), 3, "{holds:?}");
}
