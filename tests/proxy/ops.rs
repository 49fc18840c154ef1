//! Operations: logs never hold the org key, the admin listener's probes and
//! metrics, graceful shutdown drains in-flight requests.

use std::time::Duration;

use crate::common::*;
use crate::Rig;

/// Sum of every `heygen_gateway_requests_total` sample whose labels contain `filter`.
fn requests_total(metrics: &str, filter: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("heygen_gateway_requests_total{") && l.contains(filter))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

// A current-thread runtime (the default) so every gateway task logs into the capture.
#[tokio::test]
async fn logs_and_error_responses_never_contain_the_org_key() {
    let (_guard, logs) = capture_logs();
    let rig = Rig::start_with(|c| {
        c.set("upstream", "request_timeout_ms", "300")
            .set("server", "max_body_bytes", "1000")
    })
    .await;
    let token = tenant_token("alpha");
    let mut responses = vec![
        rig.get("/v2/avatars", &[]).await,
        rig.get("/v2/../v1/video_status.get?video_id=nope", &[])
            .await,
        send("GET", &rig.gw.url("/v2/avatars"), &[], "").await,
        // Someone presenting the org key itself as a tenant key.
        send(
            "GET",
            &rig.gw.url("/v2/avatars"),
            &[("x-api-key", ORG_KEY)],
            "",
        )
        .await,
        send(
            "GET",
            &rig.gw.url("/v3/videos/x"),
            &[("authorization", &format!("Bearer {ORG_KEY}"))],
            "",
        )
        .await,
        rig.get("/../v2/avatars", &[]).await,
        send(
            "POST",
            &rig.gw.url("/v1/asset"),
            &[("x-api-key", &token)],
            vec![0u8; 2000],
        )
        .await,
    ];
    rig.mock
        .fail_next(1, http::StatusCode::INTERNAL_SERVER_ERROR);
    responses.push(rig.get("/v2/voices", &[]).await);
    rig.mock.hang(true);
    responses.push(rig.get("/v2/voices", &[]).await);
    rig.mock.hang(false);
    rig.mock.reset_connections(true);
    responses.push(rig.get("/v2/voices", &[]).await);
    rig.mock.reset_connections(false);

    let statuses: Vec<u16> = responses.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses, [200, 404, 401, 401, 401, 400, 413, 500, 504, 502]);
    for r in &responses {
        assert!(!r.text().contains(ORG_KEY), "{}", r.text());
        for (name, value) in &r.headers {
            let v = String::from_utf8_lossy(value.as_bytes());
            assert!(!v.contains(ORG_KEY), "{name}");
        }
    }
    let text = logs.contents();
    assert!(!text.is_empty(), "no logs were captured");
    assert!(text.contains("Request handled."), "{text}");
    assert!(
        !text.contains(ORG_KEY),
        "the org key is in the logs:\n{text}"
    );
    assert!(
        !text.contains(&token),
        "a tenant key is in the logs:\n{text}"
    );
}

#[tokio::test]
async fn admin_listener_serves_probes_and_metrics() {
    let rig = Rig::start().await;
    let admin = rig.gw.admin_addr;
    let r = send("GET", &format!("http://{admin}/healthz"), &[], "").await;
    assert_eq!(r.status, 200);
    let r = send("GET", &format!("http://{admin}/readyz"), &[], "").await;
    assert_eq!(r.status, 200);
    let r = send("GET", &format!("http://{admin}/no/such/thing"), &[], "").await;
    assert_eq!(r.status, 404);
    // Tenant routes are not served on the admin listener.
    let token = tenant_token("alpha");
    let r = send(
        "GET",
        &format!("http://{admin}/v2/avatars"),
        &[("x-api-key", &token)],
        "",
    )
    .await;
    assert_eq!(r.status, 404);

    for _ in 0..3 {
        assert_eq!(rig.get("/v2/avatars", &[]).await.status, 200);
    }
    let r = send("GET", &rig.gw.url("/v2/avatars"), &[], "").await;
    assert_eq!(r.status, 401);
    assert_eq!(rig.mock.count(), 3);

    let metrics = metrics_text(admin).await;
    assert!(
        requests_total(&metrics, "status_class=\"2xx\"") >= 3.0,
        "{metrics}"
    );
    assert!(
        requests_total(&metrics, "status_class=\"4xx\"") >= 1.0,
        "{metrics}"
    );
    assert!(
        metrics.contains("heygen_gateway_request_duration_seconds_bucket"),
        "{metrics}"
    );
    assert!(!metrics.contains(ORG_KEY));
}

#[tokio::test]
async fn shutdown_drains_in_flight_requests_and_reports_not_ready() {
    drain_with_io_threads(None).await;
}

/// The same drain with tenant connections on the shared runtime
/// (`server.io_threads = 0`) and on more I/O threads than cores.
#[tokio::test]
async fn shutdown_drains_on_the_shared_runtime_and_on_many_io_threads() {
    drain_with_io_threads(Some("0")).await;
    drain_with_io_threads(Some("5")).await;
}

/// Every I/O thread's listener serves: many connections at once all get
/// answered through one port, whichever thread the kernel hands them to.
#[tokio::test]
async fn every_io_thread_serves_the_one_port() {
    let rig = Rig::start_with(|c| c.set("server", "io_threads", "4")).await;
    let token = tenant_token("alpha");
    let url = rig.gw.url("/v2/avatars");
    let calls = (0..32).map(|_| {
        let (url, token) = (url.clone(), token.clone());
        // A fresh connection each: the kernel spreads them over listeners.
        tokio::spawn(async move {
            try_send("GET", &url, &[("x-api-key", &token)], full(""), false)
                .await
                .map(|r| r.status)
        })
    });
    for call in calls.collect::<Vec<_>>() {
        assert_eq!(call.await.expect("task").expect("answered"), 200);
    }
    assert_eq!(rig.mock.count(), 32);
}

async fn drain_with_io_threads(io_threads: Option<&str>) {
    let rig = Rig::start_with(|c| match io_threads {
        Some(n) => c.set("server", "io_threads", n),
        None => c,
    })
    .await;
    let url = rig.gw.url("/v2/avatars");
    let admin = rig.gw.admin_addr;
    let tenant_addr = rig.gw.addr;
    let token = tenant_token("alpha");
    rig.mock.hang(true);
    let in_flight = {
        let token = token.clone();
        tokio::spawn(async move { send("GET", &url, &[("x-api-key", &token)], "").await })
    };
    let mock = rig.mock;
    eventually(|| mock.count() == 1, Duration::from_secs(10)).await;

    let shutdown = tokio::spawn(rig.gw.shutdown());
    // While draining, readiness fails (503) so load balancers stop sending.
    not_ready(admin).await;

    mock.hang(false);
    let r = in_flight.await.expect("request task");
    assert_eq!(r.status, 200, "{}", r.text());
    shutdown.await.expect("shutdown task");
    // Once drained, the tenant listener is gone.
    assert!(tokio::net::TcpStream::connect(tenant_addr).await.is_err());
}

/// `server.shutdown_delay_seconds`: after SIGTERM readiness fails at once,
/// but the tenant listener keeps serving for the delay (a load balancer
/// still routing here gets answers, not refusals), then stops.
#[tokio::test]
async fn the_shutdown_delay_keeps_serving_while_not_ready() {
    let rig = Rig::start_with(|c| c.set("server", "shutdown_delay_seconds", "2")).await;
    let (admin, tenant_addr) = (rig.gw.admin_addr, rig.gw.addr);
    let url = rig.gw.url("/v2/avatars");
    let token = tenant_token("alpha");
    let shutdown = tokio::spawn(rig.gw.shutdown());
    not_ready(admin).await;
    // Not ready, and still serving: a fresh connection is answered.
    let r = try_send("GET", &url, &[("x-api-key", &token)], full(""), false)
        .await
        .expect("served during the delay");
    assert_eq!(r.status, 200, "{}", r.text());
    shutdown.await.expect("shutdown task");
    assert!(tokio::net::TcpStream::connect(tenant_addr).await.is_err());
}

/// Waits until the admin listener's `/readyz` answers 503.
async fn not_ready(admin: std::net::SocketAddr) {
    let url = format!("http://{admin}/readyz");
    eventually_async(
        || async {
            try_send("GET", &url, &[], full(""), false)
                .await
                .is_ok_and(|r| r.status == 503)
        },
        Duration::from_secs(10),
    )
    .await;
}
