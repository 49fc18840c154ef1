//! `upstream.ca_file`: the client the gateway runs with (`Upstream::new`:
//! the public webpki roots) also trusts the CAs the file names, so HeyGen
//! can be reached through a company's TLS-inspecting egress; without the
//! file such a host is refused before anything is sent.

use super::tests::{assert_refused_unsent, get, server, test_config};
use super::Upstream;
use crate::config::{MapEnv, Secret, TrustRoots};
use crate::test_tls::CA_PEM;

/// The gateway's own client for a test server on `port`, with `ca_file`.
fn upstream(port: u16, ca_file: Option<&str>) -> Upstream {
    let mut cfg = test_config(port);
    let mut errors = Vec::new();
    cfg.roots = TrustRoots::load("upstream.ca_file", ca_file, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    Upstream::new(&cfg, Secret::new("sk_org"), 0, &MapEnv::default()).expect("upstream")
}

#[tokio::test]
async fn a_ca_file_lets_the_client_reach_a_host_that_ca_signed() {
    let (port, _) = server(&[b"h2", b"http/1.1"]).await;
    let up = upstream(port, Some(CA_PEM));
    let answer = get(&up, "/v2/avatars".into()).await;
    assert!(answer.starts_with("HTTP/2.0"), "{answer}");
    assert!(answer.contains("key=sk_org"), "{answer}");
}

#[tokio::test]
async fn without_it_that_host_is_refused_before_anything_is_sent() {
    let (port, accepted) = server(&[b"h2", b"http/1.1"]).await;
    assert_refused_unsent(&upstream(port, None), &accepted).await;
}
