//! [`RetryHolds`]: the hold an earlier attempt of an idempotent request left
//! (linked to the request's fingerprint when it was taken) is found for a
//! retry while no job is recorded under it and nobody settled it, within
//! the 24 h HeyGen replays a key less an hour's margin; a job recorded
//! under it then settles it once, whether or not its TTL had captured it
//! meanwhile.

use chrono::Duration;
use heygen_gateway::config::StoreConfig;
use heygen_gateway::ledger::audit::{verify, AuditOptions};
use heygen_gateway::ledger::*;

use crate::support::*;
use crate::{Fixture, Store};

const FP: &str = "fp-order-7";
const ROUTE: &str = "POST /v3/videos";

/// A render hold of `amount` for the request fingerprinted `fp`.
fn keyed(fp: Option<&str>, amount: i64, now: chrono::DateTime<chrono::Utc>) -> HoldRequest {
    HoldRequest {
        route: ROUTE.into(),
        idem: fp.map(str::to_string),
        expires_at: now + Duration::minutes(10),
        ..req("acme", credits(amount), now)
    }
}

async fn found(l: &dyn Ledger, tenant: &str, route: &str, fp: &str, now: i64) -> Option<String> {
    let now = t0() + Duration::seconds(now);
    l.retry_hold(tenant, route, fp, now)
        .await
        .unwrap()
        .map(|h| h.hold_id)
}

async fn audit_ok(f: &Fixture, now: chrono::DateTime<chrono::Utc>) {
    let store = match &f.store {
        Store::Sqlite(path) => StoreConfig::Sqlite { path: path.clone() },
        Store::Postgres(url) => StoreConfig::Postgres {
            url: url.clone(),
            pool_size: 2,
        },
    };
    let opts = AuditOptions {
        tz: chrono_tz::UTC,
        now,
        grace_seconds: 600,
    };
    let report = verify(&store, &opts).await.unwrap();
    assert!(report.ok, "{:?}", report.violations);
}

pub async fn a_retry_finds_only_the_open_hold_of_the_same_request(f: Fixture) {
    let l = f.ledger.as_ref();
    // Holds of other requests, and one taken without a fingerprint.
    held(l.hold(keyed(None, 1, t0())).await.unwrap());
    held(l.hold(keyed(Some("fp-other"), 1, t0())).await.unwrap());
    assert_eq!(found(l, "acme", ROUTE, FP, 0).await, None);

    let first = held(l.hold(keyed(Some(FP), 2, t0())).await.unwrap());
    let got = l
        .retry_hold("acme", ROUTE, FP, t0())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.hold_id.as_str(), got.amount),
        (first.as_str(), credits(2))
    );
    assert_eq!(got.state, HoldState::Held);
    // Another tenant or route is another request.
    assert_eq!(found(l, "other", ROUTE, FP, 0).await, None);
    assert_eq!(found(l, "acme", "POST /v3/lipsyncs", FP, 0).await, None);
    // HeyGen replays a key for 24 h: an attempt older than that less an
    // hour's margin (`RETRY_LOOKBACK`) is not the retry's.
    assert_eq!(
        found(l, "acme", ROUTE, FP, 82_800).await,
        Some(first.clone())
    );
    assert_eq!(found(l, "acme", ROUTE, FP, 82_801).await, None);

    // With a job recorded, the hold has the one job the key stands for.
    l.submit(&first, &[job("vid_1", credits(2))]).await.unwrap();
    assert_eq!(found(l, "acme", ROUTE, FP, 0).await, None);

    // A released hold's attempt made no job: nothing to take over.
    let refused = held(l.hold(keyed(Some("fp-2"), 1, t0())).await.unwrap());
    l.release(&refused, "upstream_status_400").await.unwrap();
    assert_eq!(found(l, "acme", ROUTE, "fp-2", 0).await, None);
    audit_ok(&f, t0()).await;
}

pub async fn an_expired_hold_is_found_and_its_late_job_settles_once(f: Fixture) {
    let l = f.ledger.as_ref();
    let first = held(l.hold(keyed(Some(FP), 1, t0())).await.unwrap());
    // The attempt's outcome was lost; its TTL (10 min) captures it in full.
    let later = t0() + Duration::minutes(11);
    let expired = l.expire_holds(later).await.unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(
        counts(l, tenant("acme"), t0(), Window::Total).await,
        (0, credits(1))
    );
    // The retry finds it, and records the job HeyGen names under it.
    let got = l
        .retry_hold("acme", ROUTE, FP, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.hold_id.as_str(), got.state),
        (first.as_str(), HoldState::Expired)
    );
    l.submit(&first, &[job("vid_9", credits(1))]).await.unwrap();
    assert_eq!(found(l, "acme", ROUTE, FP, 660).await, None);
    // HeyGen's length corrects what expiry captured: spent once, at 3.
    let s = settled(
        l.settle_job(
            "vid_9",
            JobSettlement::Completed { cost: credits(3) },
            "status",
        )
        .await
        .unwrap(),
    );
    assert_eq!(s.captured, credits(2));
    assert_eq!(
        counts(l, tenant("acme"), t0(), Window::Total).await,
        (0, credits(3))
    );
    audit_ok(&f, later).await;
}

/// Retries of one lost attempt reaching two replicas at once: the key's
/// claim lets exactly one through, so one retry takes the hold over.
pub async fn racing_retries_on_two_replicas_take_the_hold_once(f: Fixture) {
    let replicas = [f.ledger.clone(), f.open_again().await];
    let (key, body) = ("order-7", [7; 32]);
    let l = replicas[0].as_ref();
    assert_eq!(
        l.idem_begin("acme", key, body, t0()).await.unwrap(),
        IdemBegin::New
    );
    let first = held(l.hold(keyed(Some(FP), 1, t0())).await.unwrap());
    // Its outcome was lost: the hold is kept and the claim abandoned.
    l.idem_abandon("acme", key).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let l = replicas[i % 2].clone();
            tokio::spawn(async move {
                match l.idem_begin("acme", key, body, t0()).await.unwrap() {
                    IdemBegin::New => l.retry_hold("acme", ROUTE, FP, t0()).await.unwrap(),
                    IdemBegin::InProgress => None,
                    other => panic!("{other:?}"),
                }
            })
        })
        .collect();
    let mut taken = Vec::new();
    for t in tasks {
        taken.extend(t.await.unwrap().map(|h| h.hold_id));
    }
    assert_eq!(taken, [first]);
}
