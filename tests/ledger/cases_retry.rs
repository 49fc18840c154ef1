//! [`RetryHolds`]: the hold an earlier attempt of an idempotent request left
//! (linked to the request's fingerprint when it was taken) is found for a
//! retry while no job is recorded under it and nobody settled it, within
//! the 24 h HeyGen replays a key less an hour's margin; a job recorded
//! under it then settles it once, whether or not its TTL had captured it
//! meanwhile. A retried realtime session start
//! ([`Takeover::Session`]) takes over the first minute its
//! lost attempt held only while it is `held` with no session on it, and
//! moves its TTL to the retry's in the same transaction, so expiry cannot
//! capture it before the answer binds the session; a session is never
//! registered on a hold expiry captured.

use chrono::Duration;
use heygen_gateway::config::StoreConfig;
use heygen_gateway::ledger::audit::{verify, AuditOptions};
use heygen_gateway::ledger::*;

use crate::cases_sessions::session_row;
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
    l.retry_hold(tenant, route, fp, now, Takeover::Job)
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
            password: None,
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
        .retry_hold("acme", ROUTE, FP, t0(), Takeover::Job)
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
        .retry_hold("acme", ROUTE, FP, later, Takeover::Job)
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
        l.idem_begin("acme", key, body, t0(), LEASE).await.unwrap(),
        IdemBegin::New
    );
    let first = held(l.hold(keyed(Some(FP), 1, t0())).await.unwrap());
    // Its outcome was lost: the hold is kept and the claim abandoned.
    l.idem_abandon("acme", key).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let l = replicas[i % 2].clone();
            tokio::spawn(async move {
                match l.idem_begin("acme", key, body, t0(), LEASE).await.unwrap() {
                    IdemBegin::New => l
                        .retry_hold("acme", ROUTE, FP, t0(), Takeover::Job)
                        .await
                        .unwrap(),
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

const STREAM_FP: &str = "fp-stream-7";
const START: &str = "POST /v3/avatar-realtime";

/// A realtime start's first minute (1 credit) for the request
/// fingerprinted `fp`, expiring after 10 minutes.
fn start(fp: &str) -> HoldRequest {
    HoldRequest {
        feature: "avatar_realtime".into(),
        route: START.into(),
        idem: Some(fp.to_string()),
        expires_at: t0() + Duration::minutes(10),
        ..req("acme", credits(1), t0())
    }
}

fn mins(m: i64) -> chrono::DateTime<chrono::Utc> {
    t0() + Duration::minutes(m)
}

async fn take(l: &dyn Ledger, fp: &str, now: i64, until: i64) -> Option<HoldInfo> {
    l.retry_hold(
        "acme",
        START,
        fp,
        mins(now),
        Takeover::Session { until: mins(until) },
    )
    .await
    .unwrap()
}

pub async fn a_session_retry_takes_a_held_hold_and_keeps_it_from_expiry(f: Fixture) {
    let l = f.ledger.as_ref();
    let first = held(l.hold(start(STREAM_FP)).await.unwrap());
    // Retried a minute before its TTL: found, its TTL moved to the retry's.
    let got = take(l, STREAM_FP, 9, 19).await.unwrap();
    assert_eq!(
        (got.hold_id.as_str(), got.state, got.expires_at),
        (first.as_str(), HoldState::Held, mins(19))
    );
    let stored = l.get_hold(&first).await.unwrap().unwrap();
    assert_eq!(stored.expires_at, mins(19));
    // Past the first attempt's own TTL, while HeyGen answers the retry.
    assert!(l.expire_holds(mins(11)).await.unwrap().is_empty());
    // A later TTL is never moved back.
    assert_eq!(
        take(l, STREAM_FP, 9, 12).await.unwrap().expires_at,
        mins(19)
    );
    // Bound to its session it is that session's minute: exempt from
    // expiry, and no further retry takes it.
    let row = SessionRow {
        feature: "avatar_realtime".into(),
        kind: "realtime".into(),
        ..session_row("st_1", &first, "live")
    };
    l.open_session(&row).await.unwrap();
    assert!(take(l, STREAM_FP, 10, 20).await.is_none());
    assert!(l.expire_holds(mins(30)).await.unwrap().is_empty());
    let h = l.get_hold(&first).await.unwrap().unwrap();
    assert_eq!(h.state, HoldState::Held);
}

pub async fn an_expired_first_minute_is_not_taken_over_nor_bound(f: Fixture) {
    let l = f.ledger.as_ref();
    let first = held(l.hold(start(STREAM_FP)).await.unwrap());
    let expired = l.expire_holds(mins(11)).await.unwrap();
    assert_eq!(expired.len(), 1);
    // Captured in full and closed: it cannot be a live session's minute,
    // so a session retry holds anew (a job's retry would still take it).
    assert!(take(l, STREAM_FP, 11, 21).await.is_none());
    let job_retry = l
        .retry_hold("acme", START, STREAM_FP, mins(11), Takeover::Job)
        .await
        .unwrap();
    assert_eq!(job_retry.map(|h| h.hold_id), Some(first.clone()));
    // Expiry won a race with the binding: the session is not registered
    // on the expired hold.
    let refused = l.open_session(&session_row("st_1", &first, "live")).await;
    assert!(
        matches!(refused, Err(LedgerError::InvalidState(_))),
        "{refused:?}"
    );
    let rows = l.sessions(SessionFilter::One("st_1")).await.unwrap();
    assert!(rows.is_empty(), "{rows:?}");
    // A session registered on its hold earlier is still a no-op repeat
    // once its minute moved on.
    let live = held(l.hold(start("fp-other")).await.unwrap());
    let row = session_row("st_2", &live, "live");
    l.open_session(&row).await.unwrap();
    l.capture_hold(&live, credits(1)).await.unwrap();
    l.open_session(&row).await.unwrap();
}
