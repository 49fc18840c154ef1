//! A v3 batch's items (migration 14): written with the batch's one job in
//! its submit, read back with the job in submission order, unchanged by a
//! repeated submit, kept across a reopen; other jobs have none. The audit
//! replays a settled batch cleanly.

use heygen_gateway::config::StoreConfig;
use heygen_gateway::ledger::audit::{verify, AuditOptions};
use heygen_gateway::ledger::*;

use crate::support::*;
use crate::{Fixture, Store};

fn item(feature: &str, c: i64) -> JobItem {
    JobItem {
        feature: feature.into(),
        credits: credits(c),
    }
}

fn batch(id: &str, items: Vec<JobItem>) -> JobRecord {
    JobRecord {
        job_id: id.into(),
        feature: items[0].feature.clone(),
        status_path: format!("/v3/videos/batches/{id}"),
        held: items.iter().map(|i| i.credits).sum(),
        items,
    }
}

pub async fn a_batch_keeps_its_items_with_its_job(f: Fixture) {
    let l = f.ledger.as_ref();
    let items = vec![
        item("standard_avatar", 1),
        item("avatar_iv", 6),
        item("standard_avatar", 2),
    ];
    let hold = held(l.hold(req("acme", credits(9), t0())).await.unwrap());
    l.submit(&hold, &[batch("b1", items.clone())])
        .await
        .unwrap();
    let stored = l.get_job("b1").await.unwrap().unwrap();
    assert_eq!(
        (stored.feature.as_str(), stored.held),
        ("standard_avatar", credits(9))
    );
    assert_eq!(stored.items, items);

    // A repeated submit (a retried answer) changes nothing.
    let other = vec![item("avatar_iv", 9)];
    l.submit(&hold, &[batch("b1", other)]).await.unwrap();
    assert_eq!(l.get_job("b1").await.unwrap().unwrap().items, items);

    // A job that is no batch keeps none.
    let single = held(l.hold(req("acme", credits(1), t0())).await.unwrap());
    l.submit(&single, &[job("v1", credits(1))]).await.unwrap();
    assert!(l.get_job("v1").await.unwrap().unwrap().items.is_empty());

    // Settled item by item (1 + 12 + projection 2), then replayed clean.
    let s = settled(
        l.settle_job(
            "b1",
            JobSettlement::Completed { cost: credits(15) },
            "status",
        )
        .await
        .unwrap(),
    );
    assert_eq!((s.captured, s.overage), (credits(15), credits(6)));
    let f = f.reopen().await;
    let stored = f.ledger.get_job("b1").await.unwrap().unwrap();
    assert_eq!((stored.items, stored.pending), (items, false));
    let store = match &f.store {
        Store::Sqlite(path) => StoreConfig::Sqlite { path: path.clone() },
        Store::Postgres(url) => StoreConfig::Postgres {
            url: url.clone(),
            pool_size: 2,
            password: None,
        },
    };
    let opts = AuditOptions {
        tz: chrono_tz::UTC,
        now: t0(),
        grace_seconds: 600,
    };
    let report = verify(&store, &opts).await.unwrap();
    assert!(report.ok, "{:?}", report.violations);
}
