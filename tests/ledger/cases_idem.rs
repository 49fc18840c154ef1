//! Idempotency keys: New / InProgress / Mismatch / Replay / abandon /
//! 24 h expiry, and atomic claims under concurrency.

use chrono::Duration;
use heygen_gateway::ledger::*;

use crate::support::*;
use crate::Fixture;

pub async fn idempotency_lifecycle(f: Fixture) {
    let l = f.ledger.as_ref();
    let (h1, h2) = ([1u8; 32], [2u8; 32]);
    let now = t0();
    assert_eq!(
        l.idem_begin("acme", "k1", h1, now, LEASE).await.unwrap(),
        IdemBegin::New
    );
    assert_eq!(
        l.idem_begin("acme", "k1", h1, now, LEASE).await.unwrap(),
        IdemBegin::InProgress
    );
    assert_eq!(
        l.idem_begin("acme", "k1", h2, now, LEASE).await.unwrap(),
        IdemBegin::Mismatch
    );
    // Keys are per tenant.
    assert_eq!(
        l.idem_begin("other", "k1", h2, now, LEASE).await.unwrap(),
        IdemBegin::New
    );
    let resp = StoredResponse {
        status: 200,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-gateway-hold-id".into(), "hold_abc".into()),
        ],
        body: br#"{"data":{"video_id":"v1"}}"#.to_vec(),
    };
    l.idem_complete("acme", "k1", &resp).await.unwrap();
    let later = now + Duration::hours(23);
    assert_eq!(
        l.idem_begin("acme", "k1", h1, later, LEASE).await.unwrap(),
        IdemBegin::Replay(resp.clone())
    );
    assert_eq!(
        l.idem_begin("acme", "k1", h2, later, LEASE).await.unwrap(),
        IdemBegin::Mismatch
    );
    // After 24 h the key is forgotten, whatever the body.
    let next_day = now + Duration::hours(24) + Duration::seconds(1);
    assert_eq!(
        l.idem_begin("acme", "k1", h2, next_day, LEASE)
            .await
            .unwrap(),
        IdemBegin::New
    );
    assert_eq!(
        l.idem_begin("acme", "k1", h1, next_day, LEASE)
            .await
            .unwrap(),
        IdemBegin::Mismatch
    );
    // Abandoned (upstream failed): a retry may proceed; a completed key stays.
    assert_eq!(
        l.idem_begin("acme", "k2", h1, now, LEASE).await.unwrap(),
        IdemBegin::New
    );
    l.idem_abandon("acme", "k2").await.unwrap();
    assert_eq!(
        l.idem_begin("acme", "k2", h1, now, LEASE).await.unwrap(),
        IdemBegin::New
    );
    l.idem_complete("acme", "k2", &resp).await.unwrap();
    l.idem_abandon("acme", "k2").await.unwrap();
    assert!(matches!(
        l.idem_begin("acme", "k2", h1, now, LEASE).await.unwrap(),
        IdemBegin::Replay(_)
    ));
    assert!(matches!(
        l.idem_complete("acme", "never-begun", &resp).await,
        Err(LedgerError::NotFound(_))
    ));
    // The periodic sweep purges stale keys.
    l.expire_holds(now + Duration::days(3)).await.unwrap();
    assert_eq!(
        l.idem_begin("acme", "k2", h2, now + Duration::days(3), LEASE)
            .await
            .unwrap(),
        IdemBegin::New
    );
}

pub async fn concurrent_duplicates_get_one_new(f: Fixture) {
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let l = f.ledger.clone();
        tasks.push(tokio::spawn(async move {
            l.idem_begin("acme", "dup", [7; 32], t0(), LEASE).await
        }));
    }
    let mut new = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            IdemBegin::New => new += 1,
            IdemBegin::InProgress => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(new, 1);
}

/// Past its lease, a pending claim's request is gone (killed, or its
/// `complete`/`abandon` write lost): a retry of the same request takes the
/// key over instead of 409 for the key's whole 24 h. Within the lease it
/// stays in progress; a finished key is never taken over.
pub async fn a_pending_claim_past_its_lease_is_taken_over(f: Fixture) {
    let l = f.ledger.as_ref();
    let (h1, h2) = ([1u8; 32], [2u8; 32]);
    let lease = Duration::from_std(LEASE).unwrap();
    let (within, past) = (
        t0() + lease - Duration::seconds(1),
        t0() + lease + Duration::seconds(1),
    );
    let begin = |hash, at| l.idem_begin("acme", "lost", hash, at, LEASE);
    assert_eq!(begin(h1, t0()).await.unwrap(), IdemBegin::New);
    assert_eq!(begin(h1, within).await.unwrap(), IdemBegin::InProgress);
    // The key still names the lost request: another body is refused.
    assert_eq!(begin(h2, past).await.unwrap(), IdemBegin::Mismatch);
    assert_eq!(begin(h1, past).await.unwrap(), IdemBegin::New);
    // Taken over, the claim has a new lease from the retry.
    assert_eq!(begin(h1, past).await.unwrap(), IdemBegin::InProgress);
    let renewed_within = past + lease - Duration::seconds(1);
    assert_eq!(
        begin(h1, renewed_within).await.unwrap(),
        IdemBegin::InProgress
    );
    let resp = StoredResponse {
        status: 200,
        headers: vec![],
        body: b"{}".to_vec(),
    };
    l.idem_complete("acme", "lost", &resp).await.unwrap();
    let much_later = past + lease * 10;
    assert_eq!(
        begin(h1, much_later).await.unwrap(),
        IdemBegin::Replay(resp)
    );
}

/// Racing retries of a stale claim: exactly one takes it over, the others
/// find it in progress (on PostgreSQL, from other connections at once).
pub async fn racing_retries_take_a_stale_claim_over_once(f: Fixture) {
    let lease = Duration::from_std(LEASE).unwrap();
    let l = f.ledger.clone();
    assert_eq!(
        l.idem_begin("acme", "race", [7; 32], t0(), LEASE)
            .await
            .unwrap(),
        IdemBegin::New
    );
    let past = t0() + lease + Duration::seconds(1);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let l = f.ledger.clone();
        tasks.push(tokio::spawn(async move {
            l.idem_begin("acme", "race", [7; 32], past, LEASE).await
        }));
    }
    let mut new = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            IdemBegin::New => new += 1,
            IdemBegin::InProgress => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(new, 1, "one racer takes the stale claim over");
}
