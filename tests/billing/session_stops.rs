//! A client's stop ends the metering only when it is the session's stop
//! route and HeyGen (or LiveAvatar) confirmed it with a 2xx: a DELETE below
//! a realtime stream (HeyGen: 404), a `streaming.stop` answered 429, a
//! LiveAvatar `/stop` refused left the session running, so it stays
//! metered and usable. Once a session is no longer live, calls on it are
//! refused with 409 `session_stopped` (reason `session_ended`) and not
//! forwarded; its stop still goes through. Realtime: 3 credits/min per
//! second; streaming: 0.2/min, 30 s minimum; LiveAvatar FULL 2 per started
//! minute.

use serde_json::{json, Value};

use super::liveavatar::{self as la, la_rig, mint, LaRig};
use super::sessions::{at, live_ids, metered, start_session, start_stream, wait_all_settled, T0};
use crate::common::*;
use crate::{assert_refused, manual_clock, Rig, SETTLE_WAIT};

async fn realtime_holds(rig: &Rig) -> Vec<Value> {
    let holds = rig.holds(None).await.into_iter();
    holds
        .filter(|h| h["feature"] == "avatar_realtime")
        .collect()
}

/// A realtime stream on `store` (SQLite when `None`): a DELETE below it is
/// forwarded, answered 404, and ends nothing; its text calls still work
/// and are metered; the real DELETE at 42 s charges the whole 42 s; then
/// its text calls are refused.
async fn a_delete_below_a_stream_is_no_stop(store: Option<String>) {
    let clock = manual_clock(T0);
    let rig = Rig::start_with_clock(
        |c| {
            let c = metered(c).tenant_budgets("alpha", "daily = 100");
            match &store {
                Some(url) => c.set("store", "url", &format!("{url:?}")),
                None => c,
            }
        },
        clock.clone(),
    )
    .await;
    let body = json!({"type": "tts", "avatar_id": "a", "voice_id": "v"});
    let stream = start_stream(&rig, body).await;
    let path = format!("/v3/avatar-realtime/{stream}");
    at(&clock, 10);
    let below = format!("{path}/anything");
    let r = rig.call("alpha", "DELETE", &below, &[], "").await;
    assert_eq!(r.status, 404, "HeyGen has no such route: {}", r.text());
    assert_eq!(live_ids(&rig).await, [stream.as_str()], "still metered");
    at(&clock, 20);
    let text = json!({"delta": "hi", "final": true}).to_string();
    let r = rig
        .call("alpha", "POST", &format!("{path}/text"), &[], text.clone())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    at(&clock, 42);
    let r = rig.call("alpha", "DELETE", &path, &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let holds = realtime_holds(&rig).await;
    assert_eq!(holds.len(), 1, "{holds:?}");
    // 42 s at 3 credits/min, not the 10 s to the DELETE below the stream.
    assert_eq!(
        (holds[0]["state"].as_str(), holds[0]["captured"].as_str()),
        (Some("captured"), Some("2.1"))
    );
    rig.mock.clear();
    let r = rig
        .call("alpha", "POST", &format!("{path}/text"), &[], text)
        .await;
    assert_refused(&r, 409, "session_stopped", "session_ended");
    assert_eq!(rig.mock.count(), 0, "nothing forwarded");
    let r = rig.call("alpha", "DELETE", &path, &[], "").await;
    assert_eq!(r.status, 200, "a stop of a stopped stream goes through");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_below_a_realtime_stream_is_no_stop() {
    a_delete_below_a_stream_is_no_stop(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_delete_below_a_realtime_stream_is_no_stop() {
    let url = crate::pg::database().await;
    a_delete_below_a_stream_is_no_stop(Some(url)).await;
}

/// HeyGen answers the client's `streaming.stop` 429 at 20 s: the session
/// runs on, metered, and its calls work; the stop that gets through at 45 s
/// charges 45 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_stop_heygen_refuses_leaves_the_session_metered() {
    let clock = manual_clock(T0);
    let rig = Rig::start_with_clock(
        |c| metered(c).tenant_budgets("alpha", "daily = 100"),
        clock.clone(),
    )
    .await;
    let idle = json!({"avatar_id": "a", "activity_idle_timeout": 3600});
    let session = start_session(&rig, idle).await;
    let stop = json!({ "session_id": session }).to_string();
    at(&clock, 20);
    rig.mock
        .on_path("/v1/streaming.stop")
        .fail_next(1, http::StatusCode::TOO_MANY_REQUESTS);
    let r = rig
        .call("alpha", "POST", "/v1/streaming.stop", &[], stop.clone())
        .await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(live_ids(&rig).await, [session.as_str()], "still metered");
    at(&clock, 40);
    let task = json!({"session_id": session, "text": "hi"}).to_string();
    let r = rig
        .call("alpha", "POST", "/v1/streaming.task", &[], task.clone())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    at(&clock, 45);
    let r = rig
        .call("alpha", "POST", "/v1/streaming.stop", &[], stop)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let holds = wait_all_settled(&rig).await;
    let captured: Vec<&str> = holds
        .iter()
        .filter_map(|h| h["captured"].as_str())
        .collect();
    // 45 s at 0.2/min, not the 30 s minimum of a stop at 20 s.
    assert_eq!(captured, ["0.15"], "{holds:?}");
    rig.mock.clear();
    let r = rig
        .call("alpha", "POST", "/v1/streaming.task", &[], task)
        .await;
    assert_refused(&r, 409, "session_stopped", "session_ended");
    assert_eq!(r.json()["code"], 409000, "v1 envelope: {}", r.text());
    assert_eq!(rig.mock.count(), 0, "nothing forwarded");
}

/// LiveAvatar refuses the browser's `/stop` at 20 s: the session stays
/// metered and its keep-alive works; the stop LiveAvatar accepts at 40 s
/// ends it, and a keep-alive after that is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_liveavatar_stop_refused_leaves_the_session_metered() {
    let LaRig { rig, la, clock } = la_rig(|c| c.tenant_budgets("alpha", "daily = 100")).await;
    let (session, token) = mint(&rig, "alpha", json!({"mode": "FULL", "avatar_id": "a"})).await;
    let gw = rig.gw.url("");
    let r = la::as_browser(&gw, "start", &token).await;
    assert_eq!(r.status, 200, "{}", r.text());
    la::at(&clock, 20);
    la.refuse_stops(Some(http::StatusCode::TOO_MANY_REQUESTS));
    let r = la::as_browser(&gw, "stop", &token).await;
    assert_eq!(r.status, 429, "{}", r.text());
    la.refuse_stops(None);
    assert_eq!(live_ids(&rig).await, [session.as_str()], "still metered");
    la::at(&clock, 30);
    let r = la::as_browser(&gw, "keep-alive", &token).await;
    assert_eq!(r.status, 200, "{}", r.text());
    la::at(&clock, 40);
    let r = la::as_browser(&gw, "stop", &token).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let holds = la::wait_settled(&rig).await;
    assert_eq!(holds.len(), 1, "{holds:?}");
    assert!(live_ids(&rig).await.is_empty());
    let r = la::as_browser(&gw, "keep-alive", &token).await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(r.header("x-gateway-rejected"), Some("session_ended"));
    eventually(|| la.stops().len() == 1, SETTLE_WAIT).await;
}
