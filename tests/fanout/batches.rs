//! Webhooks of v3 batches: HeyGen's per-item events name only the item's own
//! id, which the gateway learns from the batch's status. An item's event
//! that arrives before anything read the batch is parked, the open batch is
//! read for its items, and the event reaches the batch owner's endpoint once
//! and nobody else's; `batch.finished` names the batch and reaches its
//! owner; an event of a job nobody owns reaches no one and is given up once
//! it has waited `webhooks.owner_wait_seconds`.

use std::sync::Arc;

use chrono::Utc;
use heygen_gateway::clock::ManualClock;
use heygen_mock::send_webhook;
use heygen_mock::webhook::{as_v3_event, avatar_video_fail, batch_finished};
use serde_json::json;

use crate::common::*;
use crate::receiver::Receiver;
use crate::{fast, stays, success_event, Rig, WAIT};

fn v3_video() -> serde_json::Value {
    json!({"type": "avatar", "avatar_id": "Daisy-inskirt-20220818",
           "script": "word ".repeat(20), "voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54"})
}

/// Creates a `n`-item v3 video batch as `tenant`; returns `(batch, item ids)`
/// (the ids from the mock: nothing reads the batch through the gateway).
async fn batch(rig: &Rig, tenant: &str, n: usize) -> (String, Vec<String>) {
    let body = json!({ "videos": vec![v3_video(); n] });
    let r = rig
        .call(tenant, "POST", "/v3/videos/batches", &body.to_string())
        .await;
    assert_eq!(r.status, 200, "batch: {}", r.text());
    let id = r.json()["data"]["batch_id"].as_str().unwrap().to_string();
    let items = rig.mock.batch_items(&id).expect("the mock's batch");
    assert_eq!(items.len(), n);
    (id, items)
}

/// Sends HeyGen's signed v3 event `body`; asserts 200.
async fn v3_webhook(rig: &Rig, body: &str) {
    let status = send_webhook(
        &rig.gw.url("/gateway/v1/webhooks/heygen"),
        WEBHOOK_SECRET,
        true,
        body.as_bytes(),
    )
    .await
    .expect("webhook sent");
    assert_eq!(status.as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_items_event_before_the_batch_settles_reaches_the_batch_owner_once() {
    let rig = Rig::start(fast).await;
    let rx = Receiver::start().await;
    rig.register("alpha", &rx.url("/alpha"), None).await;
    rig.register("beta", &rx.url("/beta"), None).await;
    let (_, items) = batch(&rig, "alpha", 2).await;
    // Beta's own batch is open too: its items must not become alpha's.
    let (_, beta_items) = batch(&rig, "beta", 1).await;

    // The first item finishes and HeyGen says so at once; the batch runs on.
    assert!(rig.mock.complete(&items[0], 10.0));
    let event = success_event(&items[0]);
    rig.heygen_webhook(&event).await;
    eventually(|| rx.count() >= 1, WAIT).await;
    // HeyGen's redelivery of the same event is not sent again.
    rig.heygen_webhook(&event).await;
    let log = rig.wait_settled_log("alpha", 1).await;
    assert_eq!(log[0]["state"], "delivered", "{log:?}");
    stays(1, || rx.count()).await;
    let got = rx.received();
    assert_eq!(got[0].path, "/alpha", "only the batch owner's endpoint");
    assert_eq!(got[0].body, event.as_bytes(), "the original bytes");
    assert!(rig.deliveries("beta", None).await.is_empty());

    // The item is alpha's now, before any settlement: alpha reads it, beta
    // does not; beta's item stayed beta's.
    let own = rig
        .call("alpha", "GET", &format!("/v3/videos/{}", items[0]), "")
        .await;
    assert_eq!(own.status, 200, "{}", own.text());
    let other = rig
        .call("beta", "GET", &format!("/v3/videos/{}", items[0]), "")
        .await;
    assert_eq!(other.status, 404, "{}", other.text());
    let theirs = rig
        .call("beta", "GET", &format!("/v3/videos/{}", beta_items[0]), "")
        .await;
    assert_eq!(theirs.status, 200, "{}", theirs.text());

    // A later item's failure reaches alpha too, in v3's shape; the batch's
    // read named that item already, so this event waits for nothing.
    assert!(rig.mock.fail(&items[1], "render failed"));
    let fail = as_v3_event(
        avatar_video_fail(&items[1], "render failed", None),
        "evt_b1",
        1,
    );
    v3_webhook(&rig, &fail.to_string()).await;
    eventually(|| rx.count() >= 2, WAIT).await;
    stays(2, || rx.count()).await;
    assert_eq!(rx.to("/alpha").len(), 2);
    assert!(rx.to("/beta").is_empty());
    let text = rig.metrics().await;
    assert_metric(
        &text,
        r#"heygen_gateway_webhook_unowned_events_total{result="parked"} 1"#,
    );
    assert_metric(
        &text,
        r#"heygen_gateway_webhook_unowned_events_total{result="resolved"} 1"#,
    );
    assert_metric(
        &text,
        r#"heygen_gateway_webhook_unowned_events_total{result="given_up"} 0"#,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_read_through_the_gateway_makes_its_items_the_owners() {
    let rig = Rig::start(fast).await;
    let (id, items) = batch(&rig, "alpha", 2).await;
    let before = rig
        .call("alpha", "GET", &format!("/v3/videos/{}", items[1]), "")
        .await;
    assert_eq!(before.status, 404, "not known yet: {}", before.text());
    let read = rig
        .call("alpha", "GET", &format!("/v3/videos/batches/{id}"), "")
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
    // Recorded off the response path, while the batch still runs.
    eventually_async(
        || async {
            let r = rig
                .call("alpha", "GET", &format!("/v3/videos/{}", items[1]), "")
                .await;
            r.status == 200
        },
        WAIT,
    )
    .await;
    let other = rig
        .call("beta", "GET", &format!("/v3/videos/{}", items[1]), "")
        .await;
    assert_eq!(other.status, 404, "{}", other.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_finished_reaches_the_batch_owner() {
    let rig = Rig::start(fast).await;
    let rx = Receiver::start().await;
    rig.register("alpha", &rx.url("/alpha"), Some(&["batch.finished"]))
        .await;
    rig.register("beta", &rx.url("/beta"), None).await;
    let (id, items) = batch(&rig, "alpha", 2).await;
    for item in &items {
        assert!(rig.mock.complete(item, 30.0));
    }
    let event = as_v3_event(batch_finished(&id, "completed"), "evt_batch", 1).to_string();
    v3_webhook(&rig, &event).await;
    eventually(|| rx.count() >= 1, WAIT).await;
    let log = rig.wait_settled_log("alpha", 1).await;
    assert_eq!(log[0]["event_id"], "evt_batch", "{log:?}");
    stays(1, || rx.count()).await;
    assert_eq!(rx.received()[0].path, "/alpha");
    assert_eq!(rx.received()[0].body, event.as_bytes());
    assert!(rig.deliveries("beta", None).await.is_empty());
    // Named by id, not parked.
    let text = rig.metrics().await;
    assert_metric(
        &text,
        r#"heygen_gateway_webhook_unowned_events_total{result="parked"} 0"#,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_nobody_owns_reaches_no_one_and_is_given_up() {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let mock = start_mock().await;
    let gw = TestGateway::start_with_clock(fast(TestConfig::for_mock(&mock)), clock.clone()).await;
    let rig = Rig { mock, gw };
    let rx = Receiver::start().await;
    rig.register("alpha", &rx.url("/alpha"), None).await;
    rig.register("beta", &rx.url("/beta"), None).await;
    // An open batch of alpha's: read for the stranger's id, which it lacks.
    let (id, _) = batch(&rig, "alpha", 1).await;
    rig.heygen_webhook(&success_event("not_a_gateway_job"))
        .await;
    let parked = "heygen_gateway_webhook_parked_events";
    eventually_async(
        || async { metric_value(&rig.metrics().await, parked) == Some(1.0) },
        WAIT,
    )
    .await;
    eventually(
        || {
            !rig.mock
                .requests_to(&format!("/v3/videos/batches/{id}"))
                .is_empty()
        },
        WAIT,
    )
    .await;
    stays(0, || rx.count()).await;

    // Past `owner_wait_seconds` (an hour by default) it is given up.
    clock.advance(chrono::Duration::hours(2));
    eventually_async(
        || async { metric_value(&rig.metrics().await, parked) == Some(0.0) },
        WAIT,
    )
    .await;
    let text = rig.metrics().await;
    assert_metric(
        &text,
        r#"heygen_gateway_webhook_unowned_events_total{result="given_up"} 1"#,
    );
    assert_metric(
        &text,
        r#"heygen_gateway_webhook_unowned_events_total{result="resolved"} 0"#,
    );
    stays(0, || rx.count()).await;
    assert!(rig.deliveries("alpha", None).await.is_empty());
    assert!(rig.deliveries("beta", None).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_items_event_naming_its_batch_goes_to_the_batch_owner_unparked() {
    let rig = Rig::start(fast).await;
    let rx = Receiver::start().await;
    rig.register("alpha", &rx.url("/alpha"), None).await;
    rig.register("beta", &rx.url("/beta"), None).await;
    let (id, items) = batch(&rig, "alpha", 1).await;
    let event = json!({"event_type": "avatar_video.success",
                       "event_data": {"video_id": items[0], "batch_id": id}})
    .to_string();
    rig.heygen_webhook(&event).await;
    eventually(|| rx.count() >= 1, WAIT).await;
    stays(1, || rx.count()).await;
    assert_eq!(rx.received()[0].path, "/alpha");
    let text = rig.metrics().await;
    assert_metric(
        &text,
        r#"heygen_gateway_webhook_unowned_events_total{result="parked"} 0"#,
    );
}
