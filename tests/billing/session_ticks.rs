//! The last two ticks of a session's minute: the meter holds the next
//! minute there, before the current one ends, but the current minute is
//! captured only once it has ended. A session that stops inside those two
//! ticks (the tenant's stop, the idle limit, HeyGen ending it) pays to the
//! second, and the minute held ahead is released; across a restart too,
//! from the ledger's state alone. Streaming: 0.2 credits/min, per second
//! after 30 s; ticks every second, so the window is the minute's last 2 s.

use serde_json::{json, Value};

use super::sessions::{
    at, at_heygen, captured, durable_rig, metered, metered_rig, minute_holds, restart_at,
    start_session, stops_sent, wait_minutes, T0,
};
use crate::common::*;
use crate::{manual_clock, Rig, SETTLE_WAIT};

/// Waits until no minute hold is open, then returns them oldest first.
async fn wait_closed(rig: &Rig) -> Vec<Value> {
    eventually_async(
        || async {
            let h = minute_holds(rig).await;
            !h.is_empty() && h.iter().all(|h| h["state"] != "held")
        },
        SETTLE_WAIT,
    )
    .await;
    minute_holds(rig).await
}

fn states(holds: &[Value]) -> Vec<&str> {
    holds
        .iter()
        .map(|h| h["state"].as_str().unwrap_or("?"))
        .collect()
}

/// At 58 s the next minute is held while the first still runs: two open
/// holds, nothing captured yet.
async fn held_ahead(rig: &Rig, clock: &heygen_gateway::clock::ManualClock) {
    at(clock, 58);
    wait_minutes(rig, 2).await;
    let holds = minute_holds(rig).await;
    assert_eq!(states(&holds), ["held", "held"], "{holds:?}");
}

async fn stop(rig: &Rig, session: &str) {
    let body = json!({ "session_id": session }).to_string();
    let r = rig
        .call("alpha", "POST", "/v1/streaming.stop", &[], body)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_inside_the_last_two_ticks_pays_to_the_second() {
    let (rig, clock) = metered_rig("daily = 100").await;
    let session = start_session(&rig, json!({"avatar_id": "a"})).await;
    held_ahead(&rig, &clock).await;
    stop(&rig, &session).await;
    let holds = wait_closed(&rig).await;
    // 58 s at 0.2/min, not the whole minute; the minute ahead unused.
    assert_eq!(captured(&holds), ["0.193334", "0"], "{holds:?}");
    assert_eq!(states(&holds), ["captured", "released"]);
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "0.193334"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_stop_inside_the_last_two_ticks_pays_to_the_idle_deadline() {
    let (rig, clock) = metered_rig("daily = 100").await;
    let session = start_session(&rig, json!({"avatar_id": "a", "activity_idle_timeout": 30})).await;
    at(&clock, 29);
    let keep = json!({ "session_id": session }).to_string();
    let r = rig
        .call("alpha", "POST", "/v1/streaming.keep_alive", &[], keep)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    held_ahead(&rig, &clock).await;
    // Idle since 29 s: ended at 59 s, found after the minute's end.
    at(&clock, 61);
    let holds = wait_closed(&rig).await;
    assert_eq!(captured(&holds), ["0.196667", "0"], "{holds:?}");
    assert_eq!(states(&holds), ["captured", "released"]);
    eventually(|| stops_sent(&rig, &session) == 1, SETTLE_WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_heygen_ends_inside_the_last_two_ticks_pays_to_the_second() {
    let (rig, clock) = metered_rig("daily = 100").await;
    let session = start_session(
        &rig,
        json!({"avatar_id": "a", "activity_idle_timeout": 3600}),
    )
    .await;
    held_ahead(&rig, &clock).await;
    at_heygen(&rig, "/v1/streaming.stop", json!({ "session_id": session })).await;
    let holds = wait_closed(&rig).await;
    assert_eq!(captured(&holds), ["0.193334", "0"], "{holds:?}");
    assert_eq!(states(&holds), ["captured", "released"]);
}

/// The gateway restarts between holding the next minute and the stop:
/// the ledger alone says which minute runs and which is held ahead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_inside_the_last_two_ticks_still_pays_to_the_second() {
    let store = tempfile::tempdir().expect("dir");
    let (rig, clock) = durable_rig(&store).await;
    let idle = json!({"avatar_id": "a", "activity_idle_timeout": 3600});
    let first = start_session(&rig, idle.clone()).await;
    held_ahead(&rig, &clock).await;
    let rig = restart_at(rig, &store, &clock, 59).await;
    stop(&rig, &first).await;
    let holds = wait_closed(&rig).await;
    assert_eq!(captured(&holds), ["0.196667", "0"], "{holds:?}");
    assert_eq!(states(&holds), ["captured", "released"]);
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "0.196667"));
}

/// Down across the minute's end after holding the next one: the restarted
/// gateway captures the ended minute whole and meters on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_across_the_minutes_end_captures_it_whole() {
    let store = tempfile::tempdir().expect("dir");
    let (rig, clock) = durable_rig(&store).await;
    let idle = json!({"avatar_id": "a", "activity_idle_timeout": 3600});
    let session = start_session(&rig, idle).await;
    held_ahead(&rig, &clock).await;
    let rig = restart_at(rig, &store, &clock, 65).await;
    eventually_async(
        || async { minute_holds(&rig).await[0]["state"] == "captured" },
        SETTLE_WAIT,
    )
    .await;
    let holds = minute_holds(&rig).await;
    assert_eq!(captured(&holds), ["0.2", "0"], "{holds:?}");
    assert_eq!(states(&holds), ["captured", "held"], "no third minute yet");
    stop(&rig, &session).await;
    let holds = wait_closed(&rig).await;
    // 65 s: the first minute whole, then 5 s.
    assert_eq!(captured(&holds), ["0.2", "0.016667"], "{holds:?}");
}

/// Two replicas on one PostgreSQL ledger both tick in the window: one hold
/// ahead between them, and a stop through the other replica still pays
/// the first minute to the second.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_postgres_a_stop_through_another_replica_pays_to_the_second() {
    let db = crate::pg::database().await;
    let mock = start_mock().await;
    let clock = manual_clock(T0);
    let cfg = || {
        metered(TestConfig::for_mock(&mock))
            .tenant_budgets("alpha", "daily = 100")
            .set("store", "url", &format!("{db:?}"))
    };
    let a = TestGateway::start_with_clock(cfg(), clock.clone()).await;
    let b = TestGateway::start_with_clock(cfg(), clock.clone()).await;
    let rig = Rig { mock, gw: a };
    let session = start_session(
        &rig,
        json!({"avatar_id": "a", "activity_idle_timeout": 3600}),
    )
    .await;
    held_ahead(&rig, &clock).await;
    await_meter_passes(&[rig.gw.admin_addr, b.admin_addr], 2).await;
    assert_eq!(minute_holds(&rig).await.len(), 2, "one minute held ahead");
    let token = tenant_token("alpha");
    let r = send(
        "POST",
        &b.url("/v1/streaming.stop"),
        &[("x-api-key", &token), ("content-type", "application/json")],
        json!({ "session_id": session }).to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let holds = wait_closed(&rig).await;
    assert_eq!(captured(&holds), ["0.193334", "0"], "{holds:?}");
    assert_eq!(states(&holds), ["captured", "released"]);
    b.shutdown().await;
}
