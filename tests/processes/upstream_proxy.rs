//! `upstream.proxy_url` end to end: a `serve` process whose only way to
//! the mock HeyGen is a `CONNECT` proxy (the mock crate's, on loopback) that wants
//! Basic credentials. With the right ones a billable request goes through
//! the tunnel; with wrong ones the proxy answers 407 and the tenant gets
//! HeyGen's envelope with 502, its hold released, and HeyGen sees nothing.

use heygen_mock::connect_proxy::{ConnectProxy, ProxyAnswer};

use crate::common::start_mock;
use crate::harness::{base_config, generate, Node};

/// The credentials the proxy accepts: `gw:s3cret` as Basic.
const WANTED: &str = "Basic Z3c6czNjcmV0";

/// A `CONNECT` proxy that tunnels only for [`WANTED`], else answers 407.
async fn proxy() -> ConnectProxy {
    ConnectProxy::start(|auth| {
        if auth == Some(WANTED) {
            ProxyAnswer::Tunnel
        } else {
            ProxyAnswer::Refuse(
                "HTTP/1.1 407 Proxy Authentication Required\r\n\
                 Proxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\n\r\n",
            )
        }
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_reaches_heygen_only_through_the_proxy() {
    let mock = start_mock().await;
    let proxy = proxy().await;
    let url = format!("{:?}", proxy.url("gw:s3cret@"));
    let mut node = Node::new(base_config(&mock, None).set("upstream", "proxy_url", &url));
    let gw = node.start().await;

    let r = generate(&gw.url("")).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(mock.requests_to("/v2/video/generate").len(), 1);
    let asked = proxy.asked();
    let mock_addr = mock.addr().to_string();
    assert!(
        !asked.is_empty()
            && asked
                .iter()
                .all(|a| a.target == mock_addr && a.authorization.as_deref() == Some(WANTED)),
        "{asked:?}"
    );
    assert_eq!(proxy.tunnels(), asked.len(), "every CONNECT was tunnelled");
    // The password is in no log line.
    assert!(!gw.log_text().contains("s3cret"), "{}", gw.log_text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_refusing_the_credentials_is_a_502_and_heygen_sees_nothing() {
    let mock = start_mock().await;
    let proxy = proxy().await;
    let url = format!("{:?}", proxy.url("gw:wr0ng-pw@"));
    let mut node = Node::new(base_config(&mock, None).set("upstream", "proxy_url", &url));
    let gw = node.start().await;

    let r = generate(&gw.url("")).await.unwrap();
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.header("x-gateway-rejected"), Some("upstream_unreachable"));
    assert_eq!(r.json()["error"]["code"], "bad_gateway", "{}", r.text());
    assert_eq!(mock.count(), 0, "nothing reached HeyGen");
    assert!(!proxy.asked().is_empty(), "the proxy was asked");
    assert_eq!(proxy.tunnels(), 0, "and opened no tunnel");
    // A second try is refused the same way: nothing was held for the first.
    let r = generate(&gw.url("")).await.unwrap();
    assert_eq!(r.status, 502, "{}", r.text());
    // The log says why, naming the proxy's answer but not the password.
    let log = gw.log_text();
    assert!(log.contains("407 Proxy Authentication Required"), "{log}");
    assert!(!log.contains("wr0ng-pw"), "{log}");
}
