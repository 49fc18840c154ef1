//! SIGKILL between HeyGen confirming a delete and the capture it owes
//! (`delete.before_capture`, README "Deleting before settlement"): the
//! job HeyGen deleted while it still rendered stays pending in the ledger
//! with no status left to read, and its hold's TTL captures it at the held
//! amount — less than the plan's longest video a completed delete would
//! have captured, but never nothing.

use heygen_gateway::faultpoint::DELETE_BEFORE_CAPTURE;

use crate::common::{self, tenant_token};
use crate::harness::{generate, HOLD_MICROS};
use crate::kill_points::{bring_ttl_forward, wait_dead, wait_states, Setup};
use crate::ledger_view::{tenant_window, LedgerView};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_heygen_deleted_a_rendering_job_its_hold_expires_at_the_held_amount() {
    let mut s = Setup::new(|c| c).await;
    let gw = s.start(Some(DELETE_BEFORE_CAPTURE)).await;
    let r = generate(&gw.url("")).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let video = r.json()["data"]["video_id"].as_str().unwrap().to_string();
    // Still rendering: its length is unknown, so the delete owes a capture.
    let token = tenant_token("alpha");
    let del = common::try_send(
        "DELETE",
        &gw.url(&format!("/v3/videos/{video}")),
        &[("x-api-key", &token)],
        common::full(""),
        false,
    )
    .await;
    assert!(del.is_err(), "the answer dies with the process: {del:?}");
    wait_dead(gw, DELETE_BEFORE_CAPTURE).await;
    assert!(s.mock.job(&video).is_none(), "HeyGen deleted the job");

    let gw = s.start(None).await;
    let view = LedgerView::read(&gw).await;
    assert_eq!(
        view.in_state("submitted").len(),
        1,
        "not captured: {view:?}"
    );
    s.verify("after the restart");

    bring_ttl_forward(&s.db);
    let view = wait_states(&gw, "expired", 1).await;
    assert_eq!(view.kinds.get("expire"), Some(&1), "{:?}", view.kinds);
    let w = tenant_window(&gw, "alpha", "total").await;
    assert_eq!((w.held, w.spent), (0, HOLD_MICROS), "at the hold: {w:?}");
    s.verify("after expiry");
}
