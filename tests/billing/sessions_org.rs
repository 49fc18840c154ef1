//! Live sessions of an org-wide tenant (`isolation = "org"`, e.g. an
//! internal admin app). Isolation lets it act on any session, but metering
//! must see its calls as for any tenant: its streaming controls are the
//! session's activity (no idle stop while it is in use) and its
//! `streaming.stop` ends the session at that moment. Streaming: 0.2
//! credits/min, per second after 30 s; the meter ticks every second.

use heygen_gateway::clock::ManualClock;
use serde_json::json;

use super::sessions::{at, metered, minute_holds, start_session, stops_sent, T0};
use crate::common::*;
use crate::{manual_clock, Rig, SETTLE_WAIT};

/// A gateway metering every second on a manual clock at [`T0`], alpha
/// org-wide with room to spare, and a session alpha started with `idle_s`.
async fn org_wide_session(idle_s: u64) -> (Rig, std::sync::Arc<ManualClock>, String) {
    let clock = manual_clock(T0);
    let rig = Rig::start_with_clock(
        |c| {
            metered(c)
                .tenant_budgets("alpha", "daily = 100")
                .tenant("alpha", |t| t.lines.push("isolation = \"org\"".into()))
        },
        clock.clone(),
    )
    .await;
    let body = json!({"avatar_id": "a", "activity_idle_timeout": idle_s});
    let session = start_session(&rig, body).await;
    (rig, clock, session)
}

/// The sessions the admin API lists as live.
async fn live(rig: &Rig) -> Vec<String> {
    let r = rig.admin("GET", "/admin/v1/sessions", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let rows = r.json()["data"].as_array().cloned().unwrap_or_default();
    rows.iter()
        .filter_map(|s| s["session_id"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_wide_tenants_streaming_calls_keep_its_session_from_going_idle() {
    let (rig, clock, session) = org_wide_session(30).await;
    // A call every 25 s, each within 30 s of the last: 100 s in all, far
    // past the idle limit counted from the start.
    for (secs, op) in [
        (25, "keep_alive"),
        (50, "task"),
        (75, "keep_alive"),
        (100, "task"),
    ] {
        at(&clock, secs);
        let body = json!({ "session_id": session, "text": "hi" }).to_string();
        let path = format!("/v1/streaming.{op}");
        let r = rig.call("alpha", "POST", &path, &[], body).await;
        assert_eq!(r.status, 200, "{op} at {secs} s: {}", r.text());
    }
    // Ticks at 100 s find it active since 100 s: not idle.
    await_meter_passes(&[rig.gw.admin_addr], 2).await;
    assert_eq!(live(&rig).await, [session.as_str()], "still metered");
    assert_eq!(stops_sent(&rig, &session), 0, "not stopped as idle");
    // Idle from 100 s: the limit ends it at 130 s, 130 s at 0.2/min.
    at(&clock, 135);
    settled(&rig).await;
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "0.433334"));
    eventually(|| stops_sent(&rig, &session) == 1, SETTLE_WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_wide_tenants_stop_ends_its_session_at_that_moment() {
    let (rig, clock, session) = org_wide_session(3600).await;
    at(&clock, 110);
    let stop = json!({ "session_id": session }).to_string();
    let r = rig
        .call("alpha", "POST", "/v1/streaming.stop", &[], stop)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Ended by the stop itself, not by a later tick finding it gone from
    // HeyGen's list (which would charge up to that tick's time).
    assert!(live(&rig).await.is_empty(), "ended by the client's stop");
    at(&clock, 115);
    settled(&rig).await;
    // 110 s at 0.2/min, to the second.
    let (held, spent, _) = rig.credits("alpha", "daily").await;
    assert_eq!((held.as_str(), spent.as_str()), ("0", "0.366667"));
    assert_eq!(stops_sent(&rig, &session), 1, "only the client's stop");
}

/// Waits until no minute hold of the session is open.
async fn settled(rig: &Rig) {
    eventually_async(
        || async {
            let holds = minute_holds(rig).await;
            holds.iter().all(|h| h["state"] != "held")
        },
        SETTLE_WAIT,
    )
    .await;
}
