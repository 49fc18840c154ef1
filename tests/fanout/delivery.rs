//! Deliveries: only to the owner, signed in HeyGen's scheme, retried after
//! a failure, exactly once after acknowledgement, once per HeyGen event.

use heygen_gateway::signature::verify as verify_signature;
use heygen_mock::send_webhook;
use heygen_mock::webhook::{as_v3_event, avatar_video_success};

use crate::common::*;
use crate::receiver::Receiver;
use crate::{fast, stays, success_event, Rig, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivers_only_to_the_owner_signed_with_its_secret() {
    let rig = Rig::start(fast).await;
    let rx = Receiver::start().await;
    let (alpha_ep, alpha_secret) = rig.register("alpha", &rx.url("/alpha"), None).await;
    let (_, beta_secret) = rig.register("beta", &rx.url("/beta"), None).await;
    let alpha_video = rig.finished_video("alpha").await;
    let beta_video = rig.finished_video("beta").await;

    let event = success_event(&alpha_video);
    rig.heygen_webhook(&event).await;
    eventually(|| rx.count() >= 1, WAIT).await;
    let got = rx.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].path, "/alpha", "only the owner's endpoint");
    assert_eq!(got[0].body, event.as_bytes(), "the original bytes");
    // The verifier HeyGen receivers use accepts it with alpha's secret only.
    let now = chrono::Utc::now().timestamp();
    assert!(verify_signature(
        &alpha_secret,
        &got[0].headers,
        &got[0].body,
        now,
        300
    ));
    assert!(!verify_signature(
        &beta_secret,
        &got[0].headers,
        &got[0].body,
        now,
        300
    ));
    assert!(!verify_signature(
        WEBHOOK_SECRET,
        &got[0].headers,
        &got[0].body,
        now,
        300
    ));
    let log = rig.wait_settled_log("alpha", 1).await;
    assert_eq!(log[0]["state"], "delivered", "{log:?}");
    assert_eq!(log[0]["endpoint_id"], alpha_ep.as_str());
    assert_eq!(log[0]["attempts"], 1);
    assert_eq!(log[0]["last_status"], 200);
    assert!(
        rig.deliveries("beta", None).await.is_empty(),
        "nothing queued for beta"
    );

    rig.heygen_webhook(&success_event(&beta_video)).await;
    eventually(|| rx.count() >= 2, WAIT).await;
    assert_eq!(rx.to("/beta").len(), 1);
    assert_eq!(rx.to("/alpha").len(), 1);
    let b = &rx.to("/beta")[0];
    assert!(verify_signature(
        &beta_secret,
        &b.headers,
        &b.body,
        now,
        300
    ));

    // A job the gateway never created goes nowhere.
    rig.heygen_webhook(&success_event("not_a_gateway_job"))
        .await;
    stays(2, || rx.count()).await;

    let text = rig.metrics().await;
    assert_metric(
        &text,
        r#"heygen_gateway_webhook_deliveries_total{result="delivered",tenant="alpha"} 1"#,
    );
    assert_metric(
        &text,
        r#"heygen_gateway_webhook_deliveries_total{result="delivered",tenant="beta"} 1"#,
    );
    // Every configured tenant's counters exist from the start.
    assert_metric(
        &text,
        r#"heygen_gateway_webhook_deliveries_total{result="dead",tenant="gamma"} 0"#,
    );
    assert_metric(&text, "heygen_gateway_webhook_delivery_seconds_count 2");
    assert_metric(&text, "heygen_gateway_webhook_outbox_depth 0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_is_retried_and_sent_once_after_acknowledgement() {
    let rig = Rig::start(fast).await;
    let rx = Receiver::start().await;
    rx.script(&[500]);
    let (ep, secret) = rig.register("alpha", &rx.url("/hook"), None).await;
    let video = rig.finished_video("alpha").await;
    let event = success_event(&video);
    rig.heygen_webhook(&event).await;

    eventually(|| rx.count() >= 2, WAIT).await;
    let log = rig.wait_settled_log("alpha", 1).await;
    assert_eq!(log[0]["state"], "delivered", "{log:?}");
    assert_eq!(log[0]["attempts"], 2);
    assert_eq!(log[0]["last_status"], 200);
    stays(2, || rx.count()).await;
    let got = rx.received();
    assert_eq!(got[0].body, got[1].body, "the same event again");
    let now = chrono::Utc::now().timestamp();
    for r in &got {
        assert!(verify_signature(&secret, &r.headers, &r.body, now, 300));
    }
    let one = rig.deliveries("alpha", Some(&ep)).await;
    assert_eq!(one.len(), 1);
    assert!(rig.deliveries("alpha", Some("whe_other")).await.is_empty());

    let text = rig.metrics().await;
    assert_metric(
        &text,
        r#"heygen_gateway_webhook_deliveries_total{result="failed",tenant="alpha"} 1"#,
    );
    assert_metric(
        &text,
        r#"heygen_gateway_webhook_deliveries_total{result="delivered",tenant="alpha"} 1"#,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heygen_redelivering_an_event_does_not_deliver_twice() {
    let rig = Rig::start(fast).await;
    let rx = Receiver::start().await;
    rig.register("alpha", &rx.url("/hook"), None).await;
    let v1 = rig.finished_video("alpha").await;
    let v2 = rig.finished_video("alpha").await;

    // Legacy payload (no event id): the same bytes twice, before and after
    // the first delivery.
    let legacy = success_event(&v1);
    rig.heygen_webhook(&legacy).await;
    rig.heygen_webhook(&legacy).await;
    eventually(|| rx.count() >= 1, WAIT).await;
    rig.wait_settled_log("alpha", 1).await;
    rig.heygen_webhook(&legacy).await;

    // v3 payload: same `event_id`, sent again with fresh headers (a new
    // `Heygen-Event-Id` each time) and a different timestamp.
    let v3 = as_v3_event(
        avatar_video_success(&v2, "https://f/v.mp4", None),
        "evt_42",
        1,
    )
    .to_string();
    let url = rig.gw.url("/gateway/v1/webhooks/heygen");
    for _ in 0..2 {
        let s = send_webhook(&url, WEBHOOK_SECRET, true, v3.as_bytes())
            .await
            .unwrap();
        assert_eq!(s.as_u16(), 200);
    }
    eventually(|| rx.count() >= 2, WAIT).await;
    let log = rig.wait_settled_log("alpha", 2).await;
    assert!(log.iter().any(|d| d["event_id"] == "evt_42"), "{log:?}");
    stays(2, || rx.count()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_go_only_to_endpoints_subscribed_to_them() {
    let rig = Rig::start(fast).await;
    let rx = Receiver::start().await;
    rig.register("alpha", &rx.url("/fail-only"), Some(&["avatar_video.fail"]))
        .await;
    rig.register(
        "alpha",
        &rx.url("/success"),
        Some(&["avatar_video.success"]),
    )
    .await;
    let video = rig.finished_video("alpha").await;
    rig.heygen_webhook(&success_event(&video)).await;
    eventually(|| rx.count() >= 1, WAIT).await;
    rig.wait_settled_log("alpha", 1).await;
    stays(1, || rx.count()).await;
    assert_eq!(rx.to("/success").len(), 1);
}

/// A signed event naming no job id the gateway reads (here a proofread's
/// event, whose payload HeyGen does not document) reaches no tenant, even
/// one subscribed to everything: it is acknowledged and counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_naming_no_known_job_id_is_counted_not_passed_on() {
    let rig = Rig::start(fast).await;
    let rx = Receiver::start().await;
    rig.register("alpha", &rx.url("/hook"), None).await;
    let unknown =
        r#"{"event_type":"proofread_creation.success","event_data":{"proofread_id":"p1"}}"#;
    rig.heygen_webhook(unknown).await;
    let counted = r#"heygen_gateway_webhook_unowned_events_total{result="unparsed"} 1"#;
    assert_metric(&rig.metrics().await, counted);
    stays(0, || rx.count()).await;
}
