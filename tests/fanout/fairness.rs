//! One tenant's endpoints that never answer must not hold up another
//! tenant's webhooks: the outbox is claimed a tenant at a time in turn, so
//! a backlog of slow deliveries delays only its own tenant.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::common::*;
use crate::receiver::Receiver;
use crate::{fast, success_event, Rig, WAIT};

/// Endpoints of alpha that accept connections and never answer.
const TARPITS: usize = 16;

/// A listener that accepts every connection, counts it and never answers.
async fn tarpit() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(s);
        }
    });
    (addr, accepted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenants_unanswering_endpoints_do_not_hold_up_another_tenants_webhooks() {
    // Four deliveries at a time (the default), each to a tarpit taking the
    // whole 2 s timeout: claimed oldest first, beta's event would wait for
    // all sixteen of alpha's (four rounds, sixteen connections).
    let rig = Rig::start(|c| fast(c).set("egress", "timeout_ms", "2000")).await;
    let (tarpit, accepted) = tarpit().await;
    let rx = Receiver::start().await;
    for i in 0..TARPITS {
        rig.register("alpha", &format!("http://{tarpit}/t{i}"), None)
            .await;
    }
    rig.register("beta", &rx.url("/beta"), None).await;
    let alpha_video = rig.finished_video("alpha").await;
    let beta_video = rig.finished_video("beta").await;

    rig.heygen_webhook(&success_event(&alpha_video)).await;
    rig.heygen_webhook(&success_event(&beta_video)).await;
    eventually(|| rx.count() >= 1, WAIT).await;
    // Beta's row is taken in the first batch claimed after it was queued:
    // at most the batch in flight (4) and that batch's other three of
    // alpha's rows reached the tarpit first.
    let before_beta = accepted.load(Ordering::SeqCst);
    assert!(
        before_beta <= 8,
        "beta's webhook waited for {before_beta} attempts at alpha's {TARPITS} unanswered endpoints"
    );
}
