//! Redelivery of dead webhook deliveries: a dead row goes back to pending
//! once (fresh attempts, due now, the stored payload), pending and
//! delivered rows and another tenant's rows are refused, a row whose
//! endpoint was deleted is not re-queued, and concurrent calls (on one
//! instance or two over one store) re-queue a row once.

use std::sync::Arc;

use chrono::Duration;
use heygen_gateway::clock::Clock;
use heygen_gateway::ledger::*;

use crate::Fixture;

async fn endpoint(l: &dyn Ledger, tenant: &str, url: &str) -> String {
    l.add_endpoint(tenant, url, &["*".to_string()], "secret", 20)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Queues `event` for the tenant's endpoint `e`; returns the row's id.
async fn queue(f: &Fixture, tenant: &str, e: &str, event: &str) -> i64 {
    let l = f.ledger.as_ref();
    let ids = [e.to_string()];
    assert_eq!(
        l.enqueue_deliveries(event, tenant, "{\"p\":1}", &ids)
            .await
            .unwrap(),
        1
    );
    let log = l.delivery_log(tenant, Some(e), 500).await.unwrap();
    log.iter().find(|d| d.event_id == event).unwrap().id
}

/// Fails every due row until none is pending: all die after
/// `MAX_DELIVERY_ATTEMPTS`, as when a receiver stays down.
async fn fail_until_dead(f: &Fixture) {
    let l = f.ledger.as_ref();
    for _ in 0..MAX_DELIVERY_ATTEMPTS {
        let now = f.clock.now();
        for d in l.due_deliveries(now, 1000).await.unwrap() {
            let s = l.delivery_result(d.id, false, Some(503), Some("down"), now);
            s.await.unwrap();
        }
    }
    assert_eq!(l.outbox_depth().await.unwrap(), 0);
}

pub async fn a_dead_delivery_is_requeued_once_and_others_are_refused(f: Fixture) {
    let l = f.ledger.as_ref();
    let e = endpoint(l, "acme", "https://a.example/1").await;
    let dead = queue(&f, "acme", &e, "ev-dead").await;
    fail_until_dead(&f).await;
    let pending = queue(&f, "acme", &e, "ev-pending").await;

    // Another tenant's id and an unknown one are not found.
    assert_eq!(
        l.redeliver("beta", dead).await.unwrap(),
        Redelivery::NotFound
    );
    assert_eq!(
        l.redeliver("acme", 987_654).await.unwrap(),
        Redelivery::NotFound
    );
    let refused = Redelivery::NotDead(DeliveryState::Pending);
    assert_eq!(l.redeliver("acme", pending).await.unwrap(), refused);

    f.clock.advance(Duration::minutes(5));
    let Redelivery::Requeued(row) = l.redeliver("acme", dead).await.unwrap() else {
        panic!("a dead row is re-queued");
    };
    assert_eq!(
        (row.id, row.state, row.attempts),
        (dead, DeliveryState::Pending, 0)
    );
    assert_eq!(row.next_attempt_at, f.clock.now(), "due now");
    // Why it died stays readable until the next attempt.
    assert_eq!(
        (row.last_status, row.last_error.as_deref()),
        (Some(503), Some("down"))
    );
    // Once: a second call finds it pending.
    assert_eq!(l.redeliver("acme", dead).await.unwrap(), refused);

    // The worker claims it as a first delivery, with the stored payload.
    let due = l.due_deliveries(f.clock.now(), 10).await.unwrap();
    let d = due.iter().find(|d| d.id == dead).unwrap();
    assert_eq!((d.attempts, d.payload.as_str()), (0, "{\"p\":1}"));
    assert_eq!(
        (d.event_id.as_str(), d.url.as_str()),
        ("ev-dead", "https://a.example/1")
    );
    let s = l.delivery_result(dead, true, Some(200), None, f.clock.now());
    assert_eq!(s.await.unwrap(), DeliveryState::Delivered);
    let delivered = Redelivery::NotDead(DeliveryState::Delivered);
    assert_eq!(l.redeliver("acme", dead).await.unwrap(), delivered);
}

pub async fn a_dead_delivery_of_a_deleted_endpoint_is_not_requeued(f: Fixture) {
    let l = f.ledger.as_ref();
    let e = endpoint(l, "acme", "https://a.example/1").await;
    let id = queue(&f, "acme", &e, "ev1").await;
    fail_until_dead(&f).await;
    assert!(l.delete_endpoint("acme", &e).await.unwrap());
    let gone = Redelivery::EndpointDeleted;
    assert_eq!(l.redeliver("acme", id).await.unwrap(), gone);
    let log = l.delivery_log("acme", None, 10).await.unwrap();
    assert_eq!(log[0].state, DeliveryState::Dead, "left as it was");
    assert_eq!(l.outbox_depth().await.unwrap(), 0);
}

/// 16 calls at once on one row over two instances: one re-queues it.
pub async fn concurrent_redeliveries_requeue_once(f: Fixture) {
    let e = endpoint(f.ledger.as_ref(), "acme", "https://a.example/1").await;
    let id = queue(&f, "acme", &e, "ev1").await;
    fail_until_dead(&f).await;
    let ledgers: [Arc<dyn Ledger>; 2] = [f.ledger.clone(), f.open_again().await];
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let l = ledgers[i % 2].clone();
            tokio::spawn(async move { l.redeliver("acme", id).await.unwrap() })
        })
        .collect();
    let mut requeued = 0;
    for t in tasks {
        match t.await.unwrap() {
            Redelivery::Requeued(_) => requeued += 1,
            other => assert_eq!(other, Redelivery::NotDead(DeliveryState::Pending)),
        }
    }
    assert_eq!(requeued, 1);
    assert_eq!(f.ledger.outbox_depth().await.unwrap(), 1);
}

/// Ops re-queue the tenant's dead rows queued since a time, of one
/// endpoint or all, a bounded batch a call; concurrent calls share rows.
pub async fn bulk_redelivery_takes_the_tenants_dead_rows_since_once(f: Fixture) {
    let l = f.ledger.as_ref();
    let e1 = endpoint(l, "acme", "https://a.example/1").await;
    let e2 = endpoint(l, "acme", "https://a.example/2").await;
    let gone = endpoint(l, "acme", "https://a.example/gone").await;
    let other = endpoint(l, "beta", "https://b.example/1").await;
    queue(&f, "acme", &e1, "old").await;
    f.clock.advance(Duration::hours(1));
    let since = f.clock.now();
    for i in 0..6 {
        queue(&f, "acme", &e1, &format!("e1-{i}")).await;
    }
    queue(&f, "acme", &e2, "e2-0").await;
    queue(&f, "acme", &gone, "gone-0").await;
    queue(&f, "beta", &other, "beta-0").await;
    fail_until_dead(&f).await;
    assert!(l.delete_endpoint("acme", &gone).await.unwrap());
    queue(&f, "acme", &e1, "still-pending").await;

    let of = |endpoint_id| DeadFilter {
        tenant: "acme",
        since,
        endpoint_id,
    };
    let e2_only = l.redeliver_dead(&of(Some(&e2)), 10).await.unwrap();
    assert_eq!(
        e2_only,
        BulkRedelivery {
            requeued: 1,
            more: false
        }
    );
    // A bounded call says more remain.
    let first = l.redeliver_dead(&of(Some(&e1)), 2).await.unwrap();
    assert_eq!(
        first,
        BulkRedelivery {
            requeued: 2,
            more: true
        }
    );
    // Two callers at once, then one for what is left: each of the other
    // four rows of e1 is re-queued, and counted, once.
    let e1_only = of(Some(&e1));
    let (a, b) = tokio::join!(l.redeliver_dead(&e1_only, 3), l.redeliver_dead(&e1_only, 3));
    let (a, b) = (a.unwrap(), b.unwrap());
    let rest = l.redeliver_dead(&of(Some(&e1)), 10).await.unwrap();
    assert_eq!(
        a.requeued + b.requeued + rest.requeued,
        4,
        "{a:?} {b:?} {rest:?}"
    );
    assert!(!rest.more);
    let none = l.redeliver_dead(&of(None), 10).await.unwrap();
    assert_eq!(
        none,
        BulkRedelivery {
            requeued: 0,
            more: false
        }
    );
    // 7 re-queued + 1 never dead; `old`, the deleted endpoint's and beta's stay.
    assert_eq!(l.outbox_depth().await.unwrap(), 8);
    let old = DeadFilter {
        since: since - Duration::hours(2),
        ..of(None)
    };
    let first = l.redeliver_dead(&old, 1).await.unwrap();
    assert_eq!(
        first,
        BulkRedelivery {
            requeued: 1,
            more: false
        }
    );
    let log = l.delivery_log("beta", None, 10).await.unwrap();
    assert_eq!(log[0].state, DeliveryState::Dead, "another tenant's stay");
}

/// Eight bulk calls at once over two instances on 120 dead rows, then one
/// for what is left: each row is re-queued, and counted, once.
pub async fn concurrent_bulk_redeliveries_count_each_row_once(f: Fixture) {
    let l = f.ledger.as_ref();
    let e = endpoint(l, "acme", "https://a.example/1").await;
    for i in 0..120 {
        queue(&f, "acme", &e, &format!("ev{i}")).await;
    }
    // Given up unsent: dead in one step.
    for d in l.due_deliveries(f.clock.now(), 1000).await.unwrap() {
        assert!(l.abandon_delivery(d.id, "tenant disabled").await.unwrap());
    }
    let ledgers: [Arc<dyn Ledger>; 2] = [f.ledger.clone(), f.open_again().await];
    let since = f.clock.now() - Duration::hours(1);
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let l = ledgers[i % 2].clone();
            tokio::spawn(async move {
                let all = DeadFilter {
                    tenant: "acme",
                    since,
                    endpoint_id: None,
                };
                l.redeliver_dead(&all, 20).await.unwrap().requeued
            })
        })
        .collect();
    let mut requeued = 0;
    for t in tasks {
        requeued += t.await.unwrap();
    }
    let all = DeadFilter {
        tenant: "acme",
        since,
        endpoint_id: None,
    };
    requeued += l.redeliver_dead(&all, 1000).await.unwrap().requeued;
    assert_eq!(requeued, 120);
    assert_eq!(l.outbox_depth().await.unwrap(), 120);
}
