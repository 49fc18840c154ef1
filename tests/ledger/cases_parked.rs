//! Webhook events parked until their job's owner is known: parked once per
//! event id, claimed under a lease (disjointly by replicas), checked again
//! when deferred or woken by their id's owner being recorded, and removed
//! in the transaction that queues them for the owner (once), or given up.
//! Also the open batch jobs read for their items' ids.

use chrono::{DateTime, Duration, Utc};
use heygen_gateway::clock::Clock;
use heygen_gateway::ledger::*;

use crate::cases_registry::ids;
use crate::support::*;
use crate::Fixture;

pub fn parked(event_id: &str, resource: &str) -> NewParkedEvent {
    NewParkedEvent {
        event_id: event_id.into(),
        resource_id: resource.into(),
        event_type: "avatar_video.success".into(),
        payload: format!(r#"{{"event_data":{{"video_id":"{resource}"}}}}"#),
    }
}

/// A cap no case here reaches (the cap has its own cases).
const NO_CAP: u32 = 1_000;

/// Parks event `id` of resource `v{n}` (`ev{n}`'s), due at `at`.
async fn park(l: &dyn Ledger, id: &str, at: DateTime<Utc>) -> ParkOutcome {
    let resource = id.replace("ev", "v");
    l.park_event(&parked(id, &resource), at, NO_CAP)
        .await
        .unwrap()
}

async fn endpoint(l: &dyn Ledger, tenant: &str, url: &str) -> String {
    l.add_endpoint(tenant, url, &["*".to_string()], "secret", 20)
        .await
        .unwrap()
        .unwrap()
        .id
}

fn batch_job(id: &str, status_path: &str) -> JobRecord {
    JobRecord {
        job_id: id.into(),
        feature: "avatar_iv".into(),
        status_path: status_path.into(),
        held: credits(1),
        items: Vec::new(),
    }
}

pub async fn parked_events_wait_then_go_to_the_owner_once(f: Fixture) {
    let l = f.ledger.as_ref();
    let now = t0();
    assert_eq!(park(l, "ev1", now).await, ParkOutcome::Parked);
    // HeyGen's redelivery parks nothing new.
    assert_eq!(park(l, "ev1", now).await, ParkOutcome::AlreadyParked);
    let later = now + Duration::seconds(30);
    assert_eq!(park(l, "ev2", later).await, ParkOutcome::Parked);
    assert_eq!(l.parked_event_count().await.unwrap(), 2);

    // Only ev1 is due; claimed, it is leased.
    let due = l.due_parked_events(now, 10).await.unwrap();
    assert_eq!(due.len(), 1, "{due:?}");
    let e = &due[0];
    assert_eq!((e.event_id.as_str(), e.resource_id.as_str()), ("ev1", "v1"));
    assert_eq!(
        (e.event_type.as_str(), e.checks, e.parked_at),
        ("avatar_video.success", 0, now)
    );
    assert!(l.due_parked_events(now, 10).await.unwrap().is_empty());
    // Deferred: due at its next check, one more check counted.
    let next = now + Duration::seconds(2);
    l.defer_parked_event("ev1", next).await.unwrap();
    assert!(l
        .due_parked_events(now + Duration::seconds(1), 10)
        .await
        .unwrap()
        .is_empty());
    let again = l.due_parked_events(next, 10).await.unwrap();
    assert_eq!((again.len(), again[0].checks), (1, 1));

    // v2's owner was just recorded: ev2 is due at once (unknown ids wake
    // nothing, and ev1, leased by the check above, is left to it).
    let woken = l
        .wake_parked_events(&ids(&["v2", "zz", "v1"]), next)
        .await
        .unwrap();
    assert_eq!(woken, 1);
    let woke = l.due_parked_events(next, 10).await.unwrap();
    assert_eq!(woke.len(), 1);
    assert_eq!(woke[0].event_id, "ev2");

    // Passed on: queued for the owner's endpoints (another tenant's is
    // never a target) and removed, in one transaction, once.
    let own = endpoint(l, "acme", "https://a.example/1").await;
    let foreign = endpoint(l, "beta", "https://b.example/1").await;
    let targets = [own.clone(), foreign];
    let queued = l
        .unpark_event("ev2", Some(("acme", &targets)))
        .await
        .unwrap();
    assert_eq!(queued, 1);
    let queued = l
        .unpark_event("ev2", Some(("acme", &targets)))
        .await
        .unwrap();
    assert_eq!(queued, 0, "gone: not queued twice");
    let sent = l.due_deliveries(next, 10).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].event_id.as_str(), sent[0].tenant.as_str()),
        ("ev2", "acme")
    );
    assert_eq!(sent[0].endpoint_id, own);
    assert_eq!(
        sent[0].payload,
        parked("ev2", "v2").payload,
        "HeyGen's bytes"
    );

    // Given up: removed, nothing queued.
    assert_eq!(l.unpark_event("ev1", None).await.unwrap(), 0);
    assert_eq!(l.parked_event_count().await.unwrap(), 0);
    assert_eq!(l.outbox_depth().await.unwrap(), 1);
    assert!(l
        .due_parked_events(next + Duration::hours(1), 10)
        .await
        .unwrap()
        .is_empty());
}

pub async fn parked_events_survive_a_reopen(f: Fixture) {
    let l = f.ledger.clone();
    assert_eq!(park(l.as_ref(), "ev1", t0()).await, ParkOutcome::Parked);
    drop(l);
    let f = f.reopen().await;
    let due = f.ledger.due_parked_events(t0(), 10).await.unwrap();
    assert_eq!(due.len(), 1);
    let again = park(f.ledger.as_ref(), "ev1", t0()).await;
    assert_eq!(again, ParkOutcome::AlreadyParked);
}

pub async fn replicas_claim_disjoint_parked_events(f: Fixture) {
    let l = f.ledger.clone();
    for i in 0..60 {
        let e = parked(&format!("ev{i}"), &format!("v{i}"));
        let parked = l.park_event(&e, t0(), NO_CAP).await.unwrap();
        assert_eq!(parked, ParkOutcome::Parked);
    }
    let other = f.open_again().await;
    // Six checkers on two instances, all claiming at once until empty.
    let seen = claim_disjointly(l, other, 6, |l| async move {
        let batch = l.due_parked_events(t0(), 4).await.unwrap();
        batch.into_iter().map(|e| e.event_id).collect()
    })
    .await;
    assert_eq!(seen.len(), 60);
}

pub async fn open_batches_are_the_unsettled_batch_jobs(f: Fixture) {
    let l = f.ledger.as_ref();
    let h1 = held(l.hold(req("acme", credits(2), t0())).await.unwrap());
    let jobs = [
        batch_job("b1", "/v3/videos/batches/b1"),
        batch_job("v1", "/v3/videos/v1"),
    ];
    l.submit(&h1, &jobs).await.unwrap();
    f.clock.advance(Duration::seconds(1));
    let h2 = held(l.hold(req("beta", credits(1), t0())).await.unwrap());
    l.submit(&h2, &[batch_job("b2", "/v3/lipsyncs/batches/b2")])
        .await
        .unwrap();
    f.clock.advance(Duration::seconds(1));
    let h3 = held(l.hold(req("acme", credits(1), t0())).await.unwrap());
    let b3 = batch_job("b3", "/v3/video-translations/batches/b3");
    l.submit(&h3, &[b3]).await.unwrap();
    let done = JobSettlement::Completed { cost: credits(1) };
    l.settle_job("b3", done, "status").await.unwrap();

    let now = f.clock.now();
    let open = l.open_batches(now, 10).await.unwrap();
    let got: Vec<(&str, &str, &str)> = open
        .iter()
        .map(|b| {
            (
                b.batch_id.as_str(),
                b.status_path.as_str(),
                b.tenant.as_str(),
            )
        })
        .collect();
    // Newest first; the settled batch and the plain video are not listed.
    assert_eq!(
        got,
        [
            ("b2", "/v3/lipsyncs/batches/b2", "beta"),
            ("b1", "/v3/videos/batches/b1", "acme"),
        ]
    );
    assert_eq!(l.open_batches(now, 1).await.unwrap().len(), 1);
}
