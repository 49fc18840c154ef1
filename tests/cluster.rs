//! Cluster-wide rate limits (issue 14): two real `heygen-gateway serve`
//! processes share one real `redis-server`. Together they admit what one
//! limit allows (per tenant and org-wide); they keep serving when Redis is
//! killed (falling back to rate ÷ replicas, counted in the metric) and go
//! back to Redis when it returns. Assertions count admitted vs refused
//! requests; nothing is timed.

// A failed unwrap in a test helper is a failed assertion.
#![allow(clippy::unwrap_used)]

mod common;

#[path = "processes/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "cluster/redis.rs"]
mod redis;

use common::{full, tenant_token};
use harness::{admin_get, GatewayProc, Node};
use redis::RedisServer;

/// A read that goes to the mock: anything but 429 was admitted. A list
/// the stack filters, so its limit is the stack's.
const PATH: &str = "/v2/avatars";
/// A free read the fast lane serves (`tests/proxy/lane.rs` shows it does),
/// so its limit is decided by the lane, waiting on Redis.
const LANE_READ: &str = "/v2/video_translate/target_languages";

/// A config for one of two replicas sharing `redis`; `alpha` and `beta` get
/// a burst of 10 at one request per minute (nothing refills during a test),
/// `gamma` may send as fast as it likes.
fn replica(mock: &heygen_mock::MockHeygen, redis: &RedisServer) -> Node {
    let cfg = common::TestConfig::for_mock(mock)
        .set("settlement", "poll_min_age_seconds", "86400")
        .set("cluster", "redis_url", &format!("{:?}", redis.url()))
        .set("cluster", "replicas", "2")
        .tenant_limits("alpha", "requests_per_minute = 1, burst = 10")
        .tenant_limits("beta", "requests_per_minute = 1, burst = 10")
        .tenant_limits("gamma", "requests_per_minute = 1000000, burst = 100000");
    Node::new(cfg)
}

/// One GET as `tenant`; the status, or 0 when the gateway did not answer.
async fn get(gw: &GatewayProc, tenant: &str) -> u16 {
    get_path(gw, tenant, PATH).await
}

async fn get_path(gw: &GatewayProc, tenant: &str, path: &str) -> u16 {
    let token = tenant_token(tenant);
    common::try_send(
        "GET",
        &gw.url(path),
        &[("x-api-key", &token)],
        full(""),
        false,
    )
    .await
    .map(|r| r.status.as_u16())
    .unwrap_or(0)
}

/// Sends `n` requests round-robin over `gws` (each `tenant` in turn) and
/// returns how many were admitted; panics on any answer other than an
/// admission or a 429 (a limiter failure must never fail a request).
async fn admitted(gws: &[&GatewayProc], tenants: &[&str], n: usize) -> usize {
    admitted_on(gws, tenants, n, PATH).await
}

/// [`admitted`] with reads of `path`.
async fn admitted_on(gws: &[&GatewayProc], tenants: &[&str], n: usize, path: &str) -> usize {
    let mut ok = 0;
    for i in 0..n {
        let gw = gws[i % gws.len()];
        let status = get_path(gw, tenants[i % tenants.len()], path).await;
        assert!(
            status != 0 && status < 500,
            "request {i} answered {status}; log:\n{}",
            gw.log_text()
        );
        if status != 429 {
            ok += 1;
        }
    }
    ok
}

/// The value of one sample line of the gateway's `/metrics`, 0 if absent.
async fn metric(gw: &GatewayProc, series: &str) -> f64 {
    let text = admin_get(gw, "/metrics").await.text();
    text.lines()
        .find_map(|l| {
            l.strip_prefix(series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0.0)
}

const ON_REDIS: &str = r#"heygen_gateway_rate_limit_backend{backend="redis"}"#;
const ON_LOCAL: &str = r#"heygen_gateway_rate_limit_backend{backend="local"}"#;

async fn fallbacks(gw: &GatewayProc) -> f64 {
    let text = admin_get(gw, "/metrics").await.text();
    text.lines()
        .filter(|l| l.starts_with("heygen_gateway_rate_limit_fallback_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn assert_near(got: usize, want: usize, what: &str) {
    assert!(
        got.abs_diff(want) <= 1,
        "{what}: admitted {got}, expected {want} ± 1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_tenant_limits_fall_back_and_recover() {
    let mock = common::start_mock().await;
    let mut redis = RedisServer::start();
    let (mut n1, mut n2) = (replica(&mock, &redis), replica(&mock, &redis));
    let (g1, g2) = (n1.start().await, n2.start().await);
    for gw in [&g1, &g2] {
        assert_eq!(metric(gw, ON_REDIS).await, 1.0, "starts on Redis");
    }

    // Shared: 30 requests over both replicas, one burst of 10 in total.
    assert_near(admitted(&[&g1, &g2], &["alpha"], 30).await, 10, "shared");
    assert_eq!(fallbacks(&g1).await + fallbacks(&g2).await, 0.0);

    // Redis dies: both keep serving, each at burst 10 ÷ 2 replicas.
    redis.kill();
    let beta = admitted(&[&g1, &g2], &["beta"], 30).await;
    assert!(
        (8..=12).contains(&beta),
        "fallback admitted {beta}, expected 5 per replica"
    );
    for gw in [&g1, &g2] {
        assert!(fallbacks(gw).await > 0.0, "fallback counted");
        assert_eq!(metric(gw, ON_LOCAL).await, 1.0, "backend is local");
    }

    // Redis returns (empty): both go back to it. The loop counts attempts,
    // not time: each replica retries Redis after a failure backoff.
    redis.restart();
    let mut back = false;
    for _ in 0..400 {
        get(&g1, "gamma").await;
        get(&g2, "gamma").await;
        if metric(&g1, ON_REDIS).await == 1.0 && metric(&g2, ON_REDIS).await == 1.0 {
            back = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(back, "replicas did not return to Redis");
    // Alpha's key went with the old Redis: one fresh shared burst of 10.
    assert_near(admitted(&[&g1, &g2], &["alpha"], 30).await, 10, "recovered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_the_org_limit() {
    let mock = common::start_mock().await;
    let redis = RedisServer::start();
    let node = |m| {
        let cfg = common::TestConfig::for_mock(m)
            .set("settlement", "poll_min_age_seconds", "86400")
            .set("cluster", "redis_url", &format!("{:?}", redis.url()))
            .set("cluster", "replicas", "2")
            .set("org.limits", "requests_per_minute", "1")
            .set("org.limits", "burst", "8")
            .tenant_limits("alpha", "requests_per_minute = 1000, burst = 1000")
            .tenant_limits("beta", "requests_per_minute = 1000, burst = 1000");
        Node::new(cfg)
    };
    let (mut n1, mut n2) = (node(&mock), node(&mock));
    let (g1, g2) = (n1.start().await, n2.start().await);
    let tenants = ["alpha", "alpha", "beta", "beta"];
    // Half the burst on the stack's reads, half on the lane's: one limit.
    let stack = admitted(&[&g1, &g2], &tenants, 4).await;
    let lane = admitted_on(&[&g1, &g2], &tenants, 28, LANE_READ).await;
    assert_eq!(stack, 4, "the first four fit the burst");
    assert_near(
        stack + lane,
        8,
        "org limit over two tenants, two replicas, both paths",
    );
    assert_eq!(fallbacks(&g1).await + fallbacks(&g2).await, 0.0);
}
