//! Sessions the gateway cannot meter are counted in
//! `heygen_gateway_sessions_unmetered_total` (alerted on) and fail closed:
//! a start HeyGen accepted whose answer names no session keeps its hold
//! `held` for the TTL (not captured at once as a one-off request); a
//! session in HeyGen's streaming list that no waiting token explains is
//! counted once, after the grace a start in flight gets to be answered.

use serde_json::json;

use super::sessions::{at, at_heygen, metered_rig, start_session};
use crate::common::*;
use crate::{hold_id, SETTLE_WAIT};

const NO_SESSION_ID: &str = r#"heygen_gateway_sessions_unmetered_total{reason="no_session_id"}"#;
const NO_TOKEN: &str = r#"heygen_gateway_sessions_unmetered_total{reason="no_token"}"#;

async fn unmetered(rig: &crate::Rig, series: &str) -> f64 {
    metric_value(&metrics_text(rig.gw.admin_addr).await, series).unwrap_or(-1.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_answered_without_a_session_id_keeps_its_hold_for_the_ttl() {
    let (rig, _clock) = metered_rig("daily = 100").await;
    assert_eq!(unmetered(&rig, NO_SESSION_ID).await, 0.0, "exported at 0");
    rig.mock
        .on_path("/v1/streaming.new")
        .answer_raw(Some((http::StatusCode::OK, br#"{"data":{"sid":"x"}}"#)));
    let r = rig
        .post("/v1/streaming.new", &json!({"avatar_id": "a"}))
        .await;
    assert_eq!(r.status, 200, "HeyGen's answer: {}", r.text());
    let hold = hold_id(&r);
    assert_eq!(unmetered(&rig, NO_SESSION_ID).await, 1.0);
    // Not captured as a one-off request: left for its TTL.
    let h = rig.hold(&hold).await;
    assert_eq!(h["state"], "held", "{h}");
    assert_eq!(unmetered(&rig, NO_TOKEN).await, 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_session_no_token_explains_is_counted_once() {
    let (rig, clock) = metered_rig("daily = 100").await;
    // A live streaming session: the gateway reads HeyGen's list each tick.
    let idle = json!({"avatar_id": "a", "activity_idle_timeout": 3600});
    start_session(&rig, idle).await;
    // A session started straight at HeyGen, while no token waits.
    at_heygen(&rig, "/v1/streaming.new", json!({"avatar_id": "b"})).await;
    let reads = || rig.mock.requests_to("/v1/streaming.list").len();
    let seen = reads();
    eventually(|| reads() >= seen + 2, SETTLE_WAIT).await;
    assert_eq!(unmetered(&rig, NO_TOKEN).await, 0.0, "within the grace");
    // Past the upstream request timeout (60 s) and a tick.
    at(&clock, 70);
    eventually_async(
        || async { unmetered(&rig, NO_TOKEN).await == 1.0 },
        SETTLE_WAIT,
    )
    .await;
    let seen = reads();
    at(&clock, 80);
    eventually(|| reads() >= seen + 2, SETTLE_WAIT).await;
    assert_eq!(unmetered(&rig, NO_TOKEN).await, 1.0, "counted once");
}
