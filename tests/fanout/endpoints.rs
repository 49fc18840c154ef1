//! The endpoint API: registration (secret once, URL through the egress
//! guard), listing without secrets, deletion (stops deliveries), tenant
//! isolation and bad input.

use serde_json::Value;

use crate::common::*;
use crate::receiver::Receiver;
use crate::{fast, stays, success_event, Rig, WAIT};

const ENDPOINTS: &str = "/gateway/v1/webhooks/endpoints";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_url_is_refused_without_the_allow_list() {
    // Default `[egress]`: public addresses only.
    let rig = Rig::start(|c| c).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://10.1.2.3/hook",
        "http://[::1]/x",
        "ftp://example.com/",
    ] {
        let body = format!(r#"{{"url": "{url}"}}"#);
        let r = rig.call("alpha", "POST", ENDPOINTS, &body).await;
        assert_eq!(r.status, 400, "{url}: {}", r.text());
        let err = &r.json()["error"];
        assert_eq!(err["code"], "invalid_parameter", "{err}");
        assert!(
            err["message"].as_str().unwrap().starts_with("url: "),
            "{err}"
        );
    }
    let list = rig.call("alpha", "GET", ENDPOINTS, "").await;
    assert_eq!(list.json()["data"]["endpoints"], Value::Array(vec![]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_list_delete_with_tenant_isolation() {
    let rig = Rig::start(fast).await;
    let rx = Receiver::start().await;
    // A tenant key is required.
    let anon = send("GET", &rig.gw.url(ENDPOINTS), &[], "").await;
    assert_eq!(anon.status, 401, "{}", anon.text());

    let r = rig
        .call(
            "alpha",
            "POST",
            ENDPOINTS,
            &format!(r#"{{"url": "{}"}}"#, rx.url("/a")),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let data = r.json()["data"].clone();
    let id = data["endpoint_id"].as_str().unwrap().to_string();
    assert_eq!(
        data["events"],
        serde_json::json!(["*"]),
        "omitted events = all"
    );
    assert!(data["secret"].as_str().unwrap().starts_with("whsec_"));
    assert!(data["created_at"].is_string());

    let list = rig.call("alpha", "GET", ENDPOINTS, "").await.json();
    let eps = list["data"]["endpoints"].as_array().unwrap().clone();
    assert_eq!(eps.len(), 1);
    assert_eq!(eps[0]["endpoint_id"], id.as_str());
    assert!(
        eps[0].get("secret").is_none(),
        "secrets are shown once: {list}"
    );
    let beta = rig.call("beta", "GET", ENDPOINTS, "").await.json();
    assert_eq!(beta["data"]["endpoints"], Value::Array(vec![]));

    // Another tenant cannot delete it; unknown ids are 404 too.
    let path = format!("{ENDPOINTS}/{id}");
    let foreign = rig.call("beta", "DELETE", &path, "").await;
    assert_eq!(foreign.status, 404);
    // Says what was not found: not "no such gateway endpoint" (a route).
    let msg = foreign.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert_eq!(msg, format!("webhook endpoint {id:?} not found"));
    assert_eq!(
        rig.call("alpha", "DELETE", &format!("{ENDPOINTS}/whe_nope"), "")
            .await
            .status,
        404
    );
    let put = rig.call("alpha", "PUT", &path, "").await;
    assert_eq!(put.status, 405);
    assert_eq!(put.header("allow"), Some("DELETE"));
    let del = rig.call("alpha", "DELETE", &path, "").await;
    assert_eq!(del.status, 200, "{}", del.text());
    assert_eq!(rig.call("alpha", "DELETE", &path, "").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_registrations_are_400_naming_the_field() {
    let rig = Rig::start(fast).await;
    let rx = Receiver::start().await;
    let url = rx.url("/a");
    for (body, field) in [
        ("not json".to_string(), "body"),
        ("{}".to_string(), "url"),
        (format!(r#"{{"url": "{url}", "events": []}}"#), "events"),
        (
            format!(r#"{{"url": "{url}", "events": ["a,b"]}}"#),
            "events",
        ),
        (format!(r#"{{"url": "{url}", "colour": "red"}}"#), "colour"),
        (
            r#"{"url": "https://user:pw@example.com/"}"#.to_string(),
            "url",
        ),
    ] {
        let r = rig.call("alpha", "POST", ENDPOINTS, &body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        let msg = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(msg.contains(field), "{body}: {msg}");
    }
    let r = rig
        .call(
            "alpha",
            "GET",
            "/gateway/v1/webhooks/deliveries?limit=0",
            "",
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_endpoint_stops_its_deliveries() {
    let rig = Rig::start(fast).await;
    let rx = Receiver::start().await;
    rx.set_fallback(503);
    let (id, _) = rig.register("alpha", &rx.url("/down"), None).await;
    let v1 = rig.finished_video("alpha").await;
    rig.heygen_webhook(&success_event(&v1)).await;
    // Failing, so it stays pending and keeps being retried.
    eventually(|| rx.count() >= 2, WAIT).await;
    let del = rig
        .call("alpha", "DELETE", &format!("{ENDPOINTS}/{id}"), "")
        .await;
    assert_eq!(del.status, 200, "{}", del.text());

    let log = rig.wait_settled_log("alpha", 1).await;
    assert_eq!(log[0]["state"], "dead", "{log:?}");
    assert!(log[0]["attempts"].as_u64().unwrap() >= 1, "{log:?}");
    assert_eq!(
        log[0]["last_status"], 503,
        "the log shows the attempts: {log:?}"
    );
    let seen = rx.count();
    // An attempt already in flight at the delete may still land; then none.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let seen = rx.count().max(seen);
    stays(seen, || rx.count()).await;

    // New events for the tenant go nowhere.
    let v2 = rig.finished_video("alpha").await;
    rig.heygen_webhook(&success_event(&v2)).await;
    stays(seen, || rx.count()).await;
    assert_eq!(rig.deliveries("alpha", None).await.len(), 1);
}

/// Creation resolves the URL's host through the egress guard, so it counts
/// against the tenant's request rate; listing and the delivery log read
/// only the gateway's state and do not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rapid_creations_are_rate_limited() {
    let rig =
        Rig::start(|c| fast(c).tenant_limits("alpha", "requests_per_minute = 1, burst = 1")).await;
    let rx = Receiver::start().await;
    rig.register("alpha", &rx.url("/a"), None).await;
    let body = format!(r#"{{"url": "{}"}}"#, rx.url("/b"));
    let r = rig.call("alpha", "POST", ENDPOINTS, &body).await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "rate_limit_exceeded");
    assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
    for _ in 0..3 {
        let list = rig.call("alpha", "GET", ENDPOINTS, "").await;
        assert_eq!(list.status, 200, "{}", list.text());
        assert_eq!(
            list.json()["data"]["endpoints"].as_array().unwrap().len(),
            1
        );
        assert!(rig.deliveries("alpha", None).await.is_empty());
    }
    // Another tenant has its own quota.
    rig.register("beta", &rx.url("/b"), None).await;
}
