//! Redelivery of dead deliveries: a receiver that stays down until the
//! delivery is given up (`dead`) comes back; the tenant's
//! `POST …/deliveries/{id}/redeliver` or ops' `POST /admin/v1/webhooks/redeliver`
//! puts it back, and the worker sends the stored event once more, signed
//! as a first delivery. Retries are shortened to a 1 ms base so the ten
//! attempts take well under a second.

use heygen_gateway::signature::verify as verify_signature;
use serde_json::{json, Value};

use crate::common::*;
use crate::receiver::Receiver;
use crate::{fast, stays, success_event, Rig, WAIT};

/// Fast fan-out whose ten attempts are over within about a second.
fn dies_fast(cfg: TestConfig) -> TestConfig {
    fast(cfg).set("webhooks", "fanout_retry_base_ms", "1")
}

/// An event of a finished video of alpha's sent to `rx` (answering 503)
/// until its deliveries die; returns the event and the dead log.
async fn dead_event(rig: &Rig, rx: &Receiver, endpoints: usize) -> (String, Vec<Value>) {
    rx.set_fallback(503);
    let event = success_event(&rig.finished_video("alpha").await);
    rig.heygen_webhook(&event).await;
    let log = rig.wait_settled_log("alpha", endpoints).await;
    for d in &log {
        assert_eq!(
            (d["state"].as_str(), d["attempts"].as_u64()),
            (Some("dead"), Some(10)),
            "{log:?}"
        );
    }
    assert_eq!(rx.count(), 10 * endpoints);
    (event, log)
}

async fn admin_redeliver(rig: &Rig, body: Value) -> TestResponse {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let url = rig.gw.admin_url("/admin/v1/webhooks/redeliver");
    send(
        "POST",
        &url,
        &[("authorization", auth.as_str())],
        body.to_string(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_redelivers_a_dead_delivery_and_it_arrives_once_signed() {
    let rig = Rig::start(dies_fast).await;
    let rx = Receiver::start().await;
    let (_, secret) = rig.register("alpha", &rx.url("/hook"), None).await;
    let (event, log) = dead_event(&rig, &rx, 1).await;
    let id = log[0]["delivery_id"].as_i64().unwrap();
    let path = format!("/gateway/v1/webhooks/deliveries/{id}/redeliver");

    // Another tenant's delivery is not found, as an unknown one.
    for (tenant, p) in [
        ("beta", path.as_str()),
        ("alpha", "/gateway/v1/webhooks/deliveries/999999/redeliver"),
    ] {
        let r = rig.call(tenant, "POST", p, "").await;
        assert_eq!(r.status, 404, "{}", r.text());
        assert_eq!(r.json()["error"]["code"], "not_found");
    }

    rx.set_fallback(200);
    let r = rig.call("alpha", "POST", &path, "").await;
    assert_eq!(r.status, 202, "{}", r.text());
    let row = &r.json()["data"];
    assert_eq!(
        (row["delivery_id"].as_i64(), row["state"].as_str()),
        (Some(id), Some("pending"))
    );
    assert_eq!(row["attempts"], 0);
    assert_eq!(
        row["last_status"], 503,
        "why it died stays until the next attempt"
    );

    eventually(|| rx.count() > 10, WAIT).await;
    let log = rig.wait_settled_log("alpha", 1).await;
    assert_eq!(log[0]["state"], "delivered", "{log:?}");
    assert_eq!(
        (log[0]["attempts"].as_u64(), log[0]["last_status"].as_u64()),
        (Some(1), Some(200))
    );
    stays(11, || rx.count()).await;
    let got = rx.received().pop().unwrap();
    assert_eq!(got.body, event.as_bytes(), "the stored event's bytes");
    let now = chrono::Utc::now().timestamp();
    assert!(verify_signature(&secret, &got.headers, &got.body, now, 300));

    // Delivered now: refused, naming its state.
    let r = rig.call("alpha", "POST", &path, "").await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "not_redeliverable");
    let msg = r.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(msg.contains("is delivered"), "{msg}");
    stays(11, || rx.count()).await;

    let text = rig.metrics().await;
    assert_metric(
        &text,
        r#"heygen_gateway_webhook_redeliveries_total{source="tenant",tenant="alpha"} 1"#,
    );
    assert_metric(
        &text,
        r#"heygen_gateway_webhook_redeliveries_total{source="admin",tenant="beta"} 0"#,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_redeliver_a_tenants_dead_deliveries_since_a_time() {
    let rig = Rig::start(dies_fast).await;
    let rx = Receiver::start().await;
    let before = chrono::Utc::now() - chrono::Duration::minutes(5);
    let (_, secret) = rig.register("alpha", &rx.url("/kept"), None).await;
    let (gone, _) = rig.register("alpha", &rx.url("/gone"), None).await;
    let (event, log) = dead_event(&rig, &rx, 2).await;
    let r = rig
        .call(
            "alpha",
            "DELETE",
            &format!("/gateway/v1/webhooks/endpoints/{gone}"),
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());

    // The deleted endpoint's delivery has nowhere to go.
    let of_gone = log
        .iter()
        .find(|d| d["endpoint_id"] == gone.as_str())
        .unwrap();
    let path = format!(
        "/gateway/v1/webhooks/deliveries/{}/redeliver",
        of_gone["delivery_id"]
    );
    let r = rig.call("alpha", "POST", &path, "").await;
    assert_eq!(r.status, 409, "{}", r.text());
    let msg = r.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(msg.contains("endpoint was deleted"), "{msg}");

    let r = admin_redeliver(
        &rig,
        json!({"tenant": "nobody", "since": before.to_rfc3339()}),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text());
    let r = admin_redeliver(&rig, json!({"tenant": "alpha", "since": "yesterday"})).await;
    assert_eq!(r.status, 400, "{}", r.text());
    // Queued before `since`: nothing.
    let later = chrono::Utc::now() + chrono::Duration::minutes(5);
    let r = admin_redeliver(
        &rig,
        json!({"tenant": "alpha", "since": later.to_rfc3339()}),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.json()["data"]["requeued"].as_u64()),
        (200, Some(0)),
        "{}",
        r.text()
    );

    rx.set_fallback(200);
    let r = admin_redeliver(
        &rig,
        json!({"tenant": "alpha", "since": before.to_rfc3339()}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let data = &r.json()["data"];
    assert_eq!(
        (data["requeued"].as_u64(), data["more"].as_bool()),
        (Some(1), Some(false)),
        "{data}"
    );

    eventually(|| rx.count() > 20, WAIT).await;
    stays(21, || rx.count()).await;
    let got = rx.received().pop().unwrap();
    assert_eq!(
        (got.path.as_str(), &got.body[..]),
        ("/kept", event.as_bytes())
    );
    let now = chrono::Utc::now().timestamp();
    assert!(verify_signature(&secret, &got.headers, &got.body, now, 300));
    let text = rig.metrics().await;
    assert_metric(
        &text,
        r#"heygen_gateway_webhook_redeliveries_total{source="admin",tenant="alpha"} 1"#,
    );
}

/// `heygen-gateway redeliver` does what the admin call does, on the
/// config's ledger; the running gateway's worker sends what it re-queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_redelivers_a_tenants_dead_deliveries() {
    let rig = Rig::start(dies_fast).await;
    let rx = Receiver::start().await;
    let before = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    rig.register("alpha", &rx.url("/hook"), None).await;
    let (event, _) = dead_event(&rig, &rx, 1).await;
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_heygen-gateway"))
            .arg("redeliver")
            .arg("--config")
            .arg(&rig.gw.config_path)
            .args(args)
            .env("HEYGEN_API_KEY", ORG_KEY)
            .output()
            .expect("run redeliver")
    };
    let out = cli(&["--tenant", "nobody", "--since", &before]);
    assert_eq!(out.status.code(), Some(64), "{out:?}");
    let out = cli(&["--tenant", "alpha", "--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(64), "{out:?}");

    rx.set_fallback(200);
    let out = cli(&["--tenant", "alpha", "--since", &before]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("re-queued 1 "), "{stdout}");
    eventually(|| rx.count() > 10, WAIT).await;
    stays(11, || rx.count()).await;
    assert_eq!(rx.received().pop().unwrap().body, event.as_bytes());
    let log = rig.wait_settled_log("alpha", 1).await;
    assert_eq!(log[0]["state"], "delivered", "{log:?}");
}

/// Each redelivery can make the gateway send ten attempts, so the calls
/// count against the tenant's request rate (found or not), as endpoint
/// creation does; another tenant's quota is its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivery_calls_are_rate_limited() {
    let rig =
        Rig::start(|c| fast(c).tenant_limits("alpha", "requests_per_minute = 1, burst = 1")).await;
    let path = "/gateway/v1/webhooks/deliveries/999999/redeliver";
    let r = rig.call("alpha", "POST", path, "").await;
    assert_eq!(r.status, 404, "{}", r.text());
    let r = rig.call("alpha", "POST", path, "").await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "rate_limit_exceeded");
    assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
    let r = rig.call("beta", "POST", path, "").await;
    assert_eq!(r.status, 404, "{}", r.text());
}
