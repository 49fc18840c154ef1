//! The webhook outbox: queued once per (event, endpoint), claimed under a
//! lease, delivered rows never resent, failures retried then given up, and
//! finished rows purged past their retention.

use chrono::Duration;
use heygen_gateway::clock::Clock;
use heygen_gateway::ledger::*;

use crate::support::*;
use crate::Fixture;

async fn endpoint(l: &dyn Ledger, tenant: &str, url: &str) -> String {
    l.add_endpoint(tenant, url, &["*".to_string()], "secret", 20)
        .await
        .unwrap()
        .unwrap()
        .id
}

pub async fn delivers_each_event_once(f: Fixture) {
    let l = f.ledger.as_ref();
    let e1 = endpoint(l, "acme", "https://a.example/1").await;
    let e2 = endpoint(l, "acme", "https://a.example/2").await;
    let foreign = endpoint(l, "beta", "https://b.example/1").await;
    let both = vec![e1.clone(), e2.clone()];
    assert_eq!(
        l.enqueue_deliveries("ev1", "acme", "{\"a\":1}", &both)
            .await
            .unwrap(),
        2
    );
    // HeyGen redelivers the same webhook: nothing new is queued.
    assert_eq!(
        l.enqueue_deliveries("ev1", "acme", "{\"a\":1}", &both)
            .await
            .unwrap(),
        0
    );
    // Another tenant's endpoint is never a target.
    assert_eq!(
        l.enqueue_deliveries("ev1", "acme", "{}", &[foreign])
            .await
            .unwrap(),
        0
    );
    assert_eq!(l.outbox_depth().await.unwrap(), 2);

    let now = t0();
    let due = l.due_deliveries(now, 10).await.unwrap();
    assert_eq!(due.len(), 2);
    let d1 = due.iter().find(|d| d.endpoint_id == e1).unwrap().clone();
    assert_eq!(
        (d1.url.as_str(), d1.secret.as_str(), d1.payload.as_str()),
        ("https://a.example/1", "secret", "{\"a\":1}")
    );
    assert_eq!(
        (d1.event_id.as_str(), d1.tenant.as_str(), d1.attempts),
        ("ev1", "acme", 0)
    );
    // Leased: nobody else gets them now.
    assert!(l.due_deliveries(now, 10).await.unwrap().is_empty());

    let next = now + Duration::seconds(30);
    let s = l
        .delivery_result(d1.id, true, Some(200), None, next)
        .await
        .unwrap();
    assert_eq!(s, DeliveryState::Delivered);
    // A late failure report cannot resurrect an acknowledged row.
    let s = l
        .delivery_result(d1.id, false, Some(500), Some("late"), next)
        .await
        .unwrap();
    assert_eq!(s, DeliveryState::Delivered);
    assert_eq!(l.outbox_depth().await.unwrap(), 1);

    // After the lease the unanswered row comes back; the delivered never.
    let after = now + DELIVERY_LEASE + Duration::seconds(1);
    let again = l.due_deliveries(after, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].endpoint_id, e2);

    let log = l.delivery_log("acme", Some(&e1), 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].state, DeliveryState::Delivered);
    assert_eq!((log[0].attempts, log[0].last_status), (1, Some(200)));
    assert_eq!(log[0].delivered_at, Some(t0()));
    assert_eq!(l.delivery_log("acme", None, 10).await.unwrap().len(), 2);
    assert!(l.delivery_log("beta", None, 10).await.unwrap().is_empty());

    let err = l
        .delivery_result(987_654, true, None, None, next)
        .await
        .unwrap_err();
    assert!(matches!(err, LedgerError::NotFound(_)), "{err}");
}

pub async fn failures_retry_then_die(f: Fixture) {
    let l = f.ledger.as_ref();
    let e = endpoint(l, "acme", "https://a.example/1").await;
    l.enqueue_deliveries("ev1", "acme", "{}", std::slice::from_ref(&e))
        .await
        .unwrap();
    let mut now = t0();
    for attempt in 1..=MAX_DELIVERY_ATTEMPTS {
        let due = l.due_deliveries(now, 10).await.unwrap();
        assert_eq!(due.len(), 1, "attempt {attempt}");
        assert_eq!(due[0].attempts, attempt - 1);
        let next = now + Duration::seconds(10);
        let s = l
            .delivery_result(due[0].id, false, Some(503), Some("busy"), next)
            .await
            .unwrap();
        if attempt < MAX_DELIVERY_ATTEMPTS {
            assert_eq!(s, DeliveryState::Pending);
            // Not before its next attempt.
            let early = now + Duration::seconds(5);
            assert!(l.due_deliveries(early, 10).await.unwrap().is_empty());
        } else {
            assert_eq!(s, DeliveryState::Dead);
        }
        now = next;
    }
    assert!(l
        .due_deliveries(now + Duration::days(1), 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(l.outbox_depth().await.unwrap(), 0);
    let log = l.delivery_log("acme", None, 10).await.unwrap();
    assert_eq!(log[0].state, DeliveryState::Dead);
    assert_eq!(log[0].attempts, MAX_DELIVERY_ATTEMPTS);
    assert_eq!(log[0].last_status, Some(503));
    assert_eq!(log[0].last_error.as_deref(), Some("busy"));

    // Deleting an endpoint gives up its pending rows.
    let e2 = endpoint(l, "acme", "https://a.example/2").await;
    l.enqueue_deliveries("ev2", "acme", "{}", std::slice::from_ref(&e2))
        .await
        .unwrap();
    assert_eq!(l.outbox_depth().await.unwrap(), 1);
    assert!(l.delete_endpoint("acme", &e2).await.unwrap());
    assert_eq!(l.outbox_depth().await.unwrap(), 0);
    let log = l.delivery_log("acme", Some(&e2), 10).await.unwrap();
    assert_eq!(log[0].state, DeliveryState::Dead);
}

pub async fn replicas_claim_disjoint_rows(f: Fixture) {
    let l = f.ledger.clone();
    let e = endpoint(l.as_ref(), "acme", "https://a.example/1").await;
    for i in 0..120 {
        l.enqueue_deliveries(&format!("ev{i}"), "acme", "{}", std::slice::from_ref(&e))
            .await
            .unwrap();
    }
    let other = f.open_again().await;
    // Eight claimers on two instances, all claiming at once until empty.
    let seen = claim_disjointly(l, other, 8, |l| async move {
        let batch = l.due_deliveries(t0(), 3).await.unwrap();
        batch.into_iter().map(|d| d.id).collect()
    })
    .await;
    assert_eq!(seen.len(), 120);
}

/// A batch takes the tenants in turn: one tenant's backlog (here five rows
/// queued first) cannot fill it ahead of another tenant's due row.
pub async fn claims_take_the_tenants_in_turn(f: Fixture) {
    let l = f.ledger.as_ref();
    let slow = endpoint(l, "acme", "https://a.example/slow").await;
    let other = endpoint(l, "beta", "https://b.example/1").await;
    for i in 0..5 {
        l.enqueue_deliveries(&format!("a{i}"), "acme", "{}", std::slice::from_ref(&slow))
            .await
            .unwrap();
    }
    l.enqueue_deliveries("b0", "beta", "{}", std::slice::from_ref(&other))
        .await
        .unwrap();
    let events = |due: Vec<Delivery>| {
        let mut e: Vec<String> = due.into_iter().map(|d| d.event_id).collect();
        e.sort();
        e
    };
    let first = l.due_deliveries(t0(), 2).await.unwrap();
    assert_eq!(events(first), ["a0", "b0"], "each tenant's oldest first");
    let rest = l.due_deliveries(t0(), 10).await.unwrap();
    assert_eq!(
        events(rest),
        ["a1", "a2", "a3", "a4"],
        "then what is left, once"
    );
}

/// Queues `event` for endpoint `e` and, unless `end` is `None`, finishes it
/// at the ledger's clock: delivered (`Some(true)`) or given up.
async fn finished(f: &Fixture, e: &str, event: &str, end: Option<bool>) {
    let l = f.ledger.as_ref();
    let ids = [e.to_string()];
    assert_eq!(
        l.enqueue_deliveries(event, "acme", "{}", &ids)
            .await
            .unwrap(),
        1
    );
    let Some(ok) = end else { return };
    let now = f.clock.now();
    let d = l.due_deliveries(now, 10).await.unwrap();
    let d = d.iter().find(|d| d.event_id == event).unwrap();
    if ok {
        let s = l.delivery_result(d.id, true, Some(200), None, now);
        assert_eq!(s.await.unwrap(), DeliveryState::Delivered);
    } else {
        assert!(l.abandon_delivery(d.id, "tenant disabled").await.unwrap());
    }
}

/// Delivered and dead rows older than the cutoff are purged, a bounded
/// batch at a time; pending rows (however old) and recent ones are kept.
pub async fn old_finished_deliveries_are_purged(f: Fixture) {
    let e = endpoint(f.ledger.as_ref(), "acme", "https://a.example/1").await;
    finished(&f, &e, "old-delivered", Some(true)).await;
    finished(&f, &e, "old-dead", Some(false)).await;
    finished(&f, &e, "old-pending", None).await;
    f.clock.advance(Duration::days(8));
    finished(&f, &e, "new-delivered", Some(true)).await;
    finished(&f, &e, "new-dead", Some(false)).await;

    let l = f.ledger.as_ref();
    let before = f.clock.now() - Duration::days(7);
    assert_eq!(l.purge_deliveries(before, 1).await.unwrap(), 1);
    assert_eq!(l.purge_deliveries(before, 10).await.unwrap(), 1);
    assert_eq!(l.purge_deliveries(before, 10).await.unwrap(), 0);
    let log = l.delivery_log("acme", None, 10).await.unwrap();
    let mut kept: Vec<&str> = log.iter().map(|d| d.event_id.as_str()).collect();
    kept.sort_unstable();
    assert_eq!(kept, ["new-dead", "new-delivered", "old-pending"]);
    assert_eq!(l.outbox_depth().await.unwrap(), 1);
}
