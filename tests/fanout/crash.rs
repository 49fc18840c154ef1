//! SIGKILL the real binary while a delivery is pending in the outbox;
//! restarted on the same ledger, the gateway delivers it.

use std::time::Duration;

use heygen_mock::send_webhook;
use serde_json::Value;

use crate::common::*;
use crate::harness::{base_config, generate, GatewayProc, Node};
use crate::receiver::Receiver;
use crate::{fast, success_event};

/// A row claimed at the instant of the kill is invisible until its 60 s
/// lease ends; allow for that on top of the usual wait.
const AFTER_RESTART_WAIT: Duration = Duration::from_secs(120);

async fn log(gw: &GatewayProc) -> Vec<Value> {
    let token = tenant_token("alpha");
    let r = send(
        "GET",
        &gw.url("/gateway/v1/webhooks/deliveries"),
        &[("x-api-key", &token)],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["data"]["deliveries"].as_array().cloned().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_delivery_survives_sigkill_and_arrives_after_restart() {
    let mock = start_mock().await;
    let rx = Receiver::start().await;
    rx.set_fallback(500);
    // Retries up to 2 s apart: after the first failure the row is pending
    // and almost always unclaimed when the kill lands.
    let cfg = fast(base_config(&mock, None)).set("webhooks", "fanout_retry_base_ms", "2000");
    let mut node = Node::new(cfg);
    let mut gw = node.start().await;

    let token = tenant_token("alpha");
    let auth = [("x-api-key", token.as_str())];
    let body = format!(r#"{{"url": "{}"}}"#, rx.url("/hook"));
    let r = send(
        "POST",
        &gw.url("/gateway/v1/webhooks/endpoints"),
        &auth,
        body,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let secret = r.json()["data"]["secret"].as_str().unwrap().to_string();
    let created = generate(&gw.url("")).await.unwrap();
    assert_eq!(created.status, 200, "{}", created.text());
    let video = created.json()["data"]["video_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(mock.complete(&video, 10.0));
    let event = success_event(&video);
    let status = send_webhook(
        &gw.url("/gateway/v1/webhooks/heygen"),
        WEBHOOK_SECRET,
        false,
        event.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(status.as_u16(), 200);

    // One failed attempt recorded, the row still pending: kill.
    eventually_async(
        || async {
            let l = log(&gw).await;
            l.len() == 1 && l[0]["attempts"].as_u64() >= Some(1) && l[0]["state"] == "pending"
        },
        Duration::from_secs(30),
    )
    .await;
    gw.kill();
    let before = rx.count();
    assert!(before >= 1);

    rx.set_fallback(200);
    let gw = node.start().await;
    eventually_async(
        || async { log(&gw).await[0]["state"] == "delivered" },
        AFTER_RESTART_WAIT,
    )
    .await;
    let got = rx.received();
    assert!(got.len() > before, "delivered after the restart");
    let last = got.last().unwrap();
    assert_eq!(last.body, event.as_bytes());
    let now = chrono::Utc::now().timestamp();
    assert!(heygen_gateway::signature::verify(
        &secret,
        &last.headers,
        &last.body,
        now,
        300
    ));
    // Acknowledged: never again.
    let n = rx.count();
    crate::stays(n, || rx.count()).await;
}
