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
        l.idem_begin("acme", "k1", h1, now).await.unwrap(),
        IdemBegin::New
    );
    assert_eq!(
        l.idem_begin("acme", "k1", h1, now).await.unwrap(),
        IdemBegin::InProgress
    );
    assert_eq!(
        l.idem_begin("acme", "k1", h2, now).await.unwrap(),
        IdemBegin::Mismatch
    );
    // Keys are per tenant.
    assert_eq!(
        l.idem_begin("other", "k1", h2, now).await.unwrap(),
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
        l.idem_begin("acme", "k1", h1, later).await.unwrap(),
        IdemBegin::Replay(resp.clone())
    );
    assert_eq!(
        l.idem_begin("acme", "k1", h2, later).await.unwrap(),
        IdemBegin::Mismatch
    );
    // After 24 h the key is forgotten, whatever the body.
    let next_day = now + Duration::hours(24) + Duration::seconds(1);
    assert_eq!(
        l.idem_begin("acme", "k1", h2, next_day).await.unwrap(),
        IdemBegin::New
    );
    assert_eq!(
        l.idem_begin("acme", "k1", h1, next_day).await.unwrap(),
        IdemBegin::Mismatch
    );
    // Abandoned (upstream failed): a retry may proceed; a completed key stays.
    assert_eq!(
        l.idem_begin("acme", "k2", h1, now).await.unwrap(),
        IdemBegin::New
    );
    l.idem_abandon("acme", "k2").await.unwrap();
    assert_eq!(
        l.idem_begin("acme", "k2", h1, now).await.unwrap(),
        IdemBegin::New
    );
    l.idem_complete("acme", "k2", &resp).await.unwrap();
    l.idem_abandon("acme", "k2").await.unwrap();
    assert!(matches!(
        l.idem_begin("acme", "k2", h1, now).await.unwrap(),
        IdemBegin::Replay(_)
    ));
    assert!(matches!(
        l.idem_complete("acme", "never-begun", &resp).await,
        Err(LedgerError::NotFound(_))
    ));
    // The periodic sweep purges stale keys.
    l.expire_holds(now + Duration::days(3)).await.unwrap();
    assert_eq!(
        l.idem_begin("acme", "k2", h2, now + Duration::days(3))
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
            l.idem_begin("acme", "dup", [7; 32], t0()).await
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
