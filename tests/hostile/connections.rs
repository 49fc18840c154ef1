//! Connection-level defences: idle timeout from accept and between
//! requests, total and per-address caps, a flood of idle sockets.

use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::common::*;
use crate::{connect_from, exchange, rss_kib, status_of, tenant_get, until_closed, Rig};

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_idle_timeout() {
    let rig = Rig::start(&[("idle_timeout_ms", "300")]).await;
    let mut silent = connect_from([127, 0, 0, 1], rig.gw.addr).await;
    let got = until_closed(&mut silent, Duration::from_secs(10)).await;
    assert_eq!(got.as_deref(), Some(""), "closed without a word");
    // The counter moves just after the socket closes: wait for it.
    let line = "heygen_gateway_connections_idle_closed_total{listener=\"tenant\"} 1";
    eventually_async(
        || async { rig.metrics().await.lines().any(|l| l == line) },
        Duration::from_secs(10),
    )
    .await;
}

#[tokio::test]
async fn a_keep_alive_connection_is_closed_when_idle_between_requests() {
    let rig = Rig::start(&[("idle_timeout_ms", "300")]).await;
    let mut s = connect_from([127, 0, 0, 1], rig.gw.addr).await;
    let req = format!(
        "GET /v2/avatars HTTP/1.1\r\nHost: gw\r\nX-Api-Key: {}\r\n\r\n",
        tenant_token("alpha")
    );
    s.write_all(req.as_bytes()).await.unwrap();
    // The answer arrives, then the idle connection is closed by the server.
    let got = until_closed(&mut s, Duration::from_secs(10))
        .await
        .expect("the server closes the idle keep-alive connection");
    assert!(status_of(&got).starts_with("HTTP/1.1 200"), "{got}");
}

#[tokio::test]
async fn connections_over_the_caps_are_shed_while_established_ones_are_served() {
    let rig = Rig::start(&[("max_connections", "6"), ("max_connections_per_ip", "3")]).await;
    let addr = rig.gw.addr;
    // One address fills its share: the first stays as an established tenant.
    let mut established = connect_from([127, 0, 0, 1], addr).await;
    let _a2 = connect_from([127, 0, 0, 1], addr).await;
    let _a3 = connect_from([127, 0, 0, 1], addr).await;
    tenant_connections_reach(&rig, 3.0).await;
    let mut over = connect_from([127, 0, 0, 1], addr).await;
    let shed = until_closed(&mut over, Duration::from_secs(5))
        .await
        .expect("a connection over the per-address cap is closed at once");
    assert!(
        shed.is_empty() || status_of(&shed).starts_with("HTTP/1.1 503"),
        "{shed}"
    );
    // Other addresses still get in, up to the total.
    let _b1 = connect_from([127, 0, 0, 2], addr).await;
    let _b2 = connect_from([127, 0, 0, 2], addr).await;
    let mut c1 = connect_from([127, 0, 0, 3], addr).await;
    // With one listener per I/O thread the kernel's accept queues are not
    // one FIFO: wait until the total is reached before the seventh arrives.
    tenant_connections_reach(&rig, 6.0).await;
    let mut c2 = connect_from([127, 0, 0, 3], addr).await;
    // c1 fits under the total of 6; c2 does not.
    let served = exchange(&mut c1, tenant_get("/v2/avatars").as_bytes()).await;
    let refused = until_closed(&mut c2, Duration::from_secs(5)).await;
    assert!(status_of(&served).starts_with("HTTP/1.1 200"), "{served}");
    assert!(refused.is_some(), "the seventh connection is shed");
    // The established tenant connection is still served.
    let got = exchange(&mut established, tenant_get("/v2/avatars").as_bytes()).await;
    assert!(status_of(&got).starts_with("HTTP/1.1 200"), "{got}");
    let m = rig.metrics().await;
    assert_metric(
        &m,
        "heygen_gateway_connections_shed_total{limit=\"per_ip\",listener=\"tenant\"} 1",
    );
    assert_metric(
        &m,
        "heygen_gateway_connections_shed_total{limit=\"total\",listener=\"tenant\"} 1",
    );
}

/// Held connections are spread over the I/O threads whatever the kernel's
/// hash of their addresses says: a thread holding two more than the other
/// passes the next one on, which is then served there. Forty arrive one at
/// a time; that the hash never puts one thread two ahead has a chance of
/// about one in a million.
#[tokio::test]
async fn held_connections_are_passed_to_the_less_busy_io_thread_and_served_there() {
    let rig = Rig::start(&[("io_threads", "2"), ("max_connections_per_ip", "100")]).await;
    let mut held = Vec::new();
    for n in 1..=40u32 {
        held.push(connect_from([127, 0, 0, 1], rig.gw.addr).await);
        // Each is seated before the next arrives.
        tenant_connections_reach(&rig, f64::from(n)).await;
    }
    let passed = metric_value(
        &rig.metrics().await,
        "heygen_gateway_connections_passed_total{listener=\"tenant\"}",
    );
    assert!(passed.is_some_and(|p| p >= 1.0), "{passed:?}");
    for s in &mut held {
        let got = exchange(s, tenant_get("/v2/avatars").as_bytes()).await;
        assert!(status_of(&got).starts_with("HTTP/1.1 200"), "{got}");
    }
    tenant_connections_reach(&rig, 0.0).await;
}

/// How many idle sockets the flood test opens: 2,000, or fewer when the
/// descriptor limit (two per connection in one process) is lower.
fn flood_size() -> usize {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    usize::try_from(limit.saturating_sub(512) / 2)
        .unwrap_or(2000)
        .min(2000)
}

#[tokio::test]
async fn a_flood_of_idle_sockets_does_not_starve_a_tenant_and_is_reaped() {
    let n = flood_size();
    assert!(n >= 100, "descriptor limit too low for the test: {n}");
    let rig = Rig::start(&[
        ("idle_timeout_ms", "5000"),
        ("max_connections_per_ip", "5000"),
    ])
    .await;
    let before = rss_kib();
    let mut idle = Vec::with_capacity(n);
    for _ in 0..n {
        idle.push(connect_from([127, 0, 0, 1], rig.gw.addr).await);
    }
    let open_series = "heygen_gateway_connections_open{listener=\"tenant\"}";
    eventually_async(
        || async { metric_value(&rig.metrics().await, open_series) == Some(n as f64) },
        Duration::from_secs(10),
    )
    .await;
    let after = rss_kib();
    eprintln!(
        "{n} idle connections: RSS {before} KiB -> {after} KiB ({} bytes per connection, both ends)",
        (after.saturating_sub(before) * 1024) / n as u64
    );
    // A tenant from another address is served while the flood is open.
    let mut tenant = connect_from([127, 0, 0, 2], rig.gw.addr).await;
    let got = exchange(&mut tenant, tenant_get("/v2/avatars").as_bytes()).await;
    assert!(status_of(&got).starts_with("HTTP/1.1 200"), "{got}");
    // Every idle socket is closed by the server after the idle timeout.
    for s in &mut idle {
        assert_eq!(
            until_closed(s, Duration::from_secs(20)).await.as_deref(),
            Some(""),
            "idle socket not closed"
        );
    }
    eventually_async(
        || async { metric_value(&rig.metrics().await, open_series) == Some(0.0) },
        Duration::from_secs(10),
    )
    .await;
}

/// Waits until the tenant listener counts `n` open connections.
async fn tenant_connections_reach(rig: &Rig, n: f64) {
    eventually_async(
        || async {
            metric_value(
                &rig.metrics().await,
                "heygen_gateway_connections_open{listener=\"tenant\"}",
            ) == Some(n)
        },
        Duration::from_secs(5),
    )
    .await;
}

#[tokio::test]
async fn a_head_trickled_past_the_head_timeout_is_cut_before_the_idle_timeout() {
    let rig = Rig::start(&[
        ("idle_timeout_ms", "20000"),
        ("header_read_timeout_ms", "400"),
    ])
    .await;
    let s = connect_from([127, 0, 0, 1], rig.gw.addr).await;
    let (mut r, mut w) = s.into_split();
    let start = std::time::Instant::now();
    // A slowloris: a header line every 100 ms, the head never finished.
    let trickle = tokio::spawn(async move {
        let _ = w.write_all(b"GET /v2/avatars HTTP/1.1\r\n").await;
        for i in 0..200 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if w.write_all(format!("X-Pad-{i}: x\r\n").as_bytes())
                .await
                .is_err()
            {
                return;
            }
        }
    });
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match tokio::io::AsyncReadExt::read(&mut r, &mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the trickled head was not cut");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(5),
        "cut after {took:?}"
    );
    trickle.abort();
}

/// A client that asks for a large answer and never reads it: hyper can
/// write no more of the response, so its connection is closed after the
/// write timeout (the idle and head timeouts, far longer, do not run
/// while a request is in progress) and its slot is freed.
#[tokio::test]
async fn a_client_that_never_reads_its_answer_is_closed_after_the_write_timeout() {
    let rig = Rig::start(&[
        ("write_timeout_ms", "500"),
        ("idle_timeout_ms", "60000"),
        ("header_read_timeout_ms", "60000"),
    ])
    .await;
    // 32 MiB streamed through: more than the socket buffers hold.
    let big: &'static [u8] = Box::leak(vec![b'x'; 32 << 20].into_boxed_slice());
    rig.mock
        .on_path("/v3/large-download")
        .answer_raw(Some((http::StatusCode::OK, big)));
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let mut s = sock.connect(rig.gw.addr).await.unwrap();
    let req = format!(
        "GET /v3/large-download HTTP/1.1\r\nHost: gw\r\nX-Api-Key: {}\r\n\r\n",
        tenant_token("alpha")
    );
    s.write_all(req.as_bytes()).await.unwrap();
    tenant_connections_reach(&rig, 1.0).await;
    // Never read: the gateway gives up on the answer and closes.
    tenant_connections_reach(&rig, 0.0).await;
    let got = until_closed(&mut s, Duration::from_secs(10)).await;
    let got = got.expect("the server closed the connection");
    assert!(status_of(&got).starts_with("HTTP/1.1 200"), "{got:.100}");
    assert!(got.len() < 32 << 20, "the whole answer was not sent");
}
