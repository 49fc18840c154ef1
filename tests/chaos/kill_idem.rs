//! SIGKILL after HeyGen accepted a keyed v3 create, before the gateway
//! finished the request: the `Idempotency-Key` claim is left `pending` with
//! nothing to complete or abandon it. Within the claim's lease a retry is
//! still 409 (the gateway cannot tell a dead request from a slow one);
//! past it the retry takes the key over, HeyGen replays the job the lost
//! attempt made, and the retry takes over that attempt's hold, so the
//! tenant pays for the one job once.

use std::path::Path;
use std::time::Duration;

use heygen_gateway::faultpoint::ADMISSION_AFTER_FORWARD;
use serde_json::json;

use crate::common::{self, send, tenant_token};
use crate::kill_points::{wait_dead, wait_states, Setup};
use crate::ledger_view::{tenant_window, LedgerView};

const CREATE: &str = "/v3/videos";
const KEY: &str = "order-lost-in-crash";

fn body() -> String {
    json!({"type": "avatar", "avatar_id": "Daisy-inskirt-20220818",
           "script": "word ".repeat(20), "voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54"})
    .to_string()
}

async fn keyed(base: &str) -> Result<common::TestResponse, String> {
    let token = tenant_token("alpha");
    let headers = [
        ("x-api-key", token.as_str()),
        ("content-type", "application/json"),
        ("idempotency-key", KEY),
    ];
    let url = format!("{base}{CREATE}");
    common::try_send("POST", &url, &headers, common::full(body()), false).await
}

/// The v3 creates HeyGen made.
fn jobs(mock: &heygen_mock::MockHeygen) -> Vec<String> {
    let all = mock.jobs().into_iter();
    all.filter(|j| j.created_by == CREATE)
        .map(|j| j.id)
        .collect()
}

/// Moves the key's claim an hour into the past — what waiting out its
/// lease (16 min 5 s with the default upstream timeouts) does; an hour is
/// still well within the key's 24 h.
fn age_the_claim(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let n = conn
        .execute(
            "UPDATE idempotency SET created_us = created_us - 3600000000 \
             WHERE key = ?1 AND state = 'pending'",
            [KEY],
        )
        .unwrap();
    assert_eq!(n, 1, "the killed attempt's claim is left pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_forwarding_a_keyed_create_its_retry_takes_the_key_over_and_pays_once() {
    let mut s = Setup::new(|c| c).await;
    let gw = s.start(Some(ADMISSION_AFTER_FORWARD)).await;
    let lost = keyed(&gw.url("")).await;
    assert!(lost.is_err(), "the request should die with the process");
    wait_dead(gw, ADMISSION_AFTER_FORWARD).await;
    assert_eq!(jobs(&s.mock).len(), 1, "HeyGen made the job");

    let gw = s.start(None).await;
    let busy = keyed(&gw.url("")).await.unwrap();
    assert_eq!(busy.status, 409, "within the lease: {}", busy.text());
    assert!(
        busy.text().contains("request_in_progress"),
        "{}",
        busy.text()
    );

    age_the_claim(&s.db);
    let retry = keyed(&gw.url("")).await.unwrap();
    assert_eq!(retry.status, 200, "past the lease: {}", retry.text());
    let video = retry.json()["data"]["video_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        jobs(&s.mock),
        vec![video.clone()],
        "HeyGen named the same job"
    );
    let hold = retry.header("x-gateway-hold-id").unwrap().to_string();
    let view = LedgerView::read(&gw).await;
    assert_eq!(view.holds.len(), 1, "the lost attempt's hold: {view:?}");
    assert_eq!(view.jobs_of.get(&hold), Some(&vec![video.clone()]));
    // Finished now, the key replays the retry's answer.
    let replay = keyed(&gw.url("")).await.unwrap();
    assert_eq!(replay.status, 200, "{}", replay.text());
    assert_eq!(
        replay.header("x-gateway-idempotent-replay"),
        Some("true"),
        "{}",
        replay.text()
    );

    assert!(s.mock.complete(&video, 10.0));
    let token = tenant_token("alpha");
    let status = format!("/v3/videos/{video}");
    let r = send("GET", &gw.url(&status), &[("x-api-key", &token)], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let view = wait_states(&gw, "captured", 1).await;
    assert_eq!(view.holds.len(), 1, "{view:?}");
    assert_eq!(view.kinds.get("capture"), Some(&1), "{:?}", view.kinds);
    let w = tenant_window(&gw, "alpha", "total").await;
    assert_eq!(w.held, 0, "{w:?}");
    assert!(w.spent > 0, "the one job is charged: {w:?}");
    s.verify("after the retry settled");
}
