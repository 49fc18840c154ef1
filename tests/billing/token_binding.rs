//! Which tenant a session in HeyGen's streaming list is bound to. A
//! `streaming.create_token` token's session is known only from the list,
//! which does not say which token started it; the gateway binds it to a
//! waiting token only when one tenant alone could have started it, never
//! binds a session it knows (its own, stopped or not), and keeps sending a
//! stop HeyGen did not confirm. Before, each of these sessions was bound
//! to the oldest waiting token of any tenant: that tenant was metered for
//! it and could control it, and its owner got 404.

use serde_json::{json, Value};

use crate::common::*;
use crate::sessions::{at, at_heygen, metered_rig, minute_holds, start_session, stops_sent};
use crate::{Rig, SETTLE_WAIT};

const NEW: &str = "/v1/streaming.new";

/// `POST /v1/streaming.keep_alive` on `session` as `tenant`: its status.
async fn keep_alive(rig: &Rig, tenant: &str, session: &str) -> u16 {
    let body = json!({ "session_id": session }).to_string();
    let r = rig
        .call(tenant, "POST", "/v1/streaming.keep_alive", &[], body)
        .await;
    r.status.as_u16()
}

async fn mint(rig: &Rig, tenant: &str) {
    let r = rig
        .call(tenant, "POST", "/v1/streaming.create_token", &[], "{}")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// The streaming holds of `tenant`, oldest first.
async fn holds_of(rig: &Rig, tenant: &str) -> Vec<Value> {
    let holds = minute_holds(rig).await;
    holds
        .into_iter()
        .filter(|h| h["tenant"] == tenant)
        .collect()
}

/// Waits until the meter's tick has read HeyGen's list `n` more times.
async fn ticks(rig: &Rig, n: usize) {
    let reads = || rig.mock.requests_to("/v1/streaming.list").len();
    let from = reads();
    eventually(|| reads() >= from + n, SETTLE_WAIT).await;
}

async fn unattributed(rig: &Rig, n: u32) {
    let line = format!("heygen_gateway_sessions_unattributed_total {n}");
    eventually_async(
        || async { metrics_text(rig.gw.admin_addr).await.contains(&line) },
        SETTLE_WAIT,
    )
    .await;
}

/// Alpha's `streaming.new` times out after HeyGen made the session: the
/// hold is kept, the gateway never learned the id. Beta's token waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_whose_answer_was_lost_is_not_bound_to_another_tenants_token() {
    let (rig, clock) = metered_rig("daily = 100").await;
    rig.mock.on_path(NEW).cut_answers(true);
    let lost = rig.post(NEW, &json!({"avatar_id": "a"})).await;
    assert_eq!(lost.status, 502, "{}", lost.text());
    rig.mock.on_path(NEW).cut_answers(false);
    let made: Vec<String> = rig
        .mock
        .jobs()
        .into_iter()
        .filter(|j| j.created_by == NEW)
        .map(|j| j.id)
        .collect();
    assert_eq!(made.len(), 1, "HeyGen made the session");
    mint(&rig, "beta").await;
    at(&clock, 2);
    ticks(&rig, 3).await;
    // Not beta's: beta cannot act on it and is not metered for it.
    assert_eq!(keep_alive(&rig, "beta", &made[0]).await, 404);
    unattributed(&rig, 1).await;
    let beta = holds_of(&rig, "beta").await;
    assert_eq!(beta.len(), 1, "{beta:?}");
    assert_eq!(beta[0]["state"], "held", "beta's token still waits");
    let live = rig.admin("GET", "/admin/v1/sessions", "").await.json();
    assert_eq!(live["data"], json!([]), "{live}");
}

/// The gateway stops alpha's idle session, and HeyGen fails the stop: the
/// ledger has it stopped, HeyGen still lists it, beta's token waits. The
/// stop is sent again until HeyGen confirms it; the session is never
/// beta's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_the_gateway_stopped_is_stopped_again_and_never_bound_to_a_token() {
    let (rig, clock) = metered_rig("daily = 100").await;
    let x = start_session(&rig, json!({"avatar_id": "a", "activity_idle_timeout": 30})).await;
    mint(&rig, "beta").await;
    rig.mock
        .on_path("/v1/streaming.stop")
        .fail_next(1, http::StatusCode::INTERNAL_SERVER_ERROR);
    at(&clock, 35);
    eventually(|| stops_sent(&rig, &x) == 2, SETTLE_WAIT).await;
    ticks(&rig, 2).await;
    assert_eq!(
        stops_sent(&rig, &x),
        2,
        "sent again until confirmed, then not"
    );
    assert_eq!(keep_alive(&rig, "beta", &x).await, 404);
    let alpha = holds_of(&rig, "alpha").await;
    assert_eq!(alpha[0]["captured"], "0.1", "alpha pays to 30 s: {alpha:?}");
    let beta = holds_of(&rig, "beta").await;
    assert_eq!(beta[0]["state"], "held", "beta's token still waits");
    let metrics = metrics_text(rig.gw.admin_addr).await;
    assert_metric(
        &metrics,
        r#"heygen_gateway_ledger_errors_total{op="sessions"} 0"#,
    );
}

/// Tokens of alpha and beta wait; a session appears. Either could have
/// started it: it is bound to neither, not even once beta's token is gone
/// and alpha mints another. Alpha's next session, with only alpha's token
/// waiting, is bound to alpha as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_either_tenants_token_could_have_started_is_bound_to_neither() {
    let (rig, clock) = metered_rig("daily = 100").await;
    mint(&rig, "alpha").await;
    mint(&rig, "beta").await;
    let started = at_heygen(&rig, NEW, json!({"avatar_id": "a"})).await;
    let x = started.json()["data"]["session_id"]
        .as_str()
        .expect("session_id")
        .to_string();
    at(&clock, 2);
    ticks(&rig, 3).await;
    for tenant in ["alpha", "beta"] {
        assert_eq!(keep_alive(&rig, tenant, &x).await, 404, "{tenant}");
    }
    unattributed(&rig, 1).await;
    // Both tokens wait out their ten minutes and are released.
    at(&clock, 11 * 60);
    eventually_async(
        || async {
            let holds = minute_holds(&rig).await;
            holds.len() == 2 && holds.iter().all(|h| h["state"] == "released")
        },
        SETTLE_WAIT,
    )
    .await;
    // Alpha alone now: still not alpha's.
    mint(&rig, "alpha").await;
    ticks(&rig, 2).await;
    assert_eq!(keep_alive(&rig, "alpha", &x).await, 404);
    let y = at_heygen(&rig, NEW, json!({"avatar_id": "a"})).await;
    let y = y.json()["data"]["session_id"]
        .as_str()
        .expect("session_id")
        .to_string();
    eventually_async(
        || async { keep_alive(&rig, "alpha", &y).await == 200 },
        SETTLE_WAIT,
    )
    .await;
    assert_eq!(keep_alive(&rig, "beta", &y).await, 404);
    let metrics = metrics_text(rig.gw.admin_addr).await;
    assert_metric(&metrics, "heygen_gateway_sessions_unattributed_total 1");
}
