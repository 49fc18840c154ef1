//! A tenant the config in force no longer names, or disables, receives no
//! webhooks: an event for its job is not queued, and a row queued before
//! the reload is given up (`dead`) at its next attempt instead of sent.
//! The id given back later (a "reused" tenant id) finds nothing of it sent.

use std::sync::Arc;

use chrono::Utc;
use heygen_gateway::clock::ManualClock;

use crate::common::*;
use crate::receiver::Receiver;
use crate::{fast, stays, success_event, Rig, WAIT};

fn without_beta(mut c: TestConfig) -> TestConfig {
    c.tenants.retain(|t| t.id != "beta");
    c
}

fn beta_disabled(c: TestConfig) -> TestConfig {
    c.disable_tenant("beta")
}

/// HeyGen's event for a job of beta arrives while beta is barred by `bar`:
/// nothing is queued, nothing sent, not even once beta is back.
async fn event_while_barred(bar: fn(TestConfig) -> TestConfig) {
    let rig = Rig::start(fast).await;
    let rx = Receiver::start().await;
    rig.register("beta", &rx.url("/beta"), None).await;
    let video = rig.finished_video("beta").await;
    rig.reload(bar).await;

    rig.heygen_webhook(&success_event(&video)).await;
    stays(0, || rx.count()).await;
    // The id configured and enabled again (or given to someone new) has
    // nothing queued from while it was not.
    rig.reload(|c| c).await;
    assert!(rig.deliveries("beta", None).await.is_empty());
    stays(0, || rx.count()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_tenants_event_is_not_queued() {
    event_while_barred(without_beta).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_tenants_event_is_not_queued() {
    event_while_barred(beta_disabled).await;
}

/// A row of beta's fails once, beta is barred by `bar`, and the retry
/// comes due: it is marked dead with `reason`, not sent. The gateway's
/// clock is manual and the retry base an hour, so the retry cannot come
/// before the reload (only the clock's advance makes it due).
async fn queued_then_barred(bar: fn(TestConfig) -> TestConfig, reason: &str) {
    let slow_retry = |c: TestConfig| fast(c).set("webhooks", "fanout_retry_base_ms", "3600000");
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let mock = start_mock().await;
    let cfg = slow_retry(TestConfig::for_mock(&mock));
    let gw = TestGateway::start_with_clock(cfg, clock.clone()).await;
    let rig = Rig { mock, gw };
    let rx = Receiver::start().await;
    rx.set_fallback(500);
    rig.register("beta", &rx.url("/beta"), None).await;
    let video = rig.finished_video("beta").await;
    rig.heygen_webhook(&success_event(&video)).await;
    eventually_async(
        || async {
            let log = rig.deliveries("beta", None).await;
            log.first().is_some_and(|d| d["attempts"] == 1)
        },
        WAIT,
    )
    .await;

    // Beta cannot read its log while barred; the worker's depth gauge says
    // when the row has left `pending` (seen at 1 first, so not stale).
    let depth = "heygen_gateway_webhook_outbox_depth";
    eventually_async(
        || async { metric_value(&rig.metrics().await, depth) == Some(1.0) },
        WAIT,
    )
    .await;
    rig.reload(|c| bar(slow_retry(c))).await;
    clock.advance(chrono::Duration::hours(3));
    eventually_async(
        || async { metric_value(&rig.metrics().await, depth) == Some(0.0) },
        WAIT,
    )
    .await;
    rig.reload(slow_retry).await;
    let log = rig.wait_settled_log("beta", 1).await;
    assert_eq!(log[0]["state"], "dead", "{log:?}");
    assert_eq!(log[0]["last_error"], reason, "{log:?}");
    assert_eq!(log[0]["attempts"], 1, "given up, not attempted");
    stays(1, || rx.count()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_tenants_queued_delivery_dies_unsent() {
    queued_then_barred(without_beta, "tenant no longer configured").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_tenants_queued_delivery_dies_unsent() {
    queued_then_barred(beta_disabled, "tenant disabled").await;
}
