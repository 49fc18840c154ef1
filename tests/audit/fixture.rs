//! A ledger on either backend, the workload that exercises every
//! lifecycle path, and raw SQL to break it.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use heygen_gateway::clock::ManualClock;
use heygen_gateway::config::StoreConfig;
use heygen_gateway::ledger::audit::{verify, AuditOptions, Report, DEFAULT_GRACE_SECONDS};
use heygen_gateway::ledger::*;

use crate::support::*;

pub struct Fixture {
    pub ledger: Arc<dyn Ledger>,
    pub clock: Arc<ManualClock>,
    pub store: StoreConfig,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let clock = Arc::new(ManualClock::new(t0()));
    let ledger = SqliteLedger::open_with_clock(&path, clock.clone())
        .await
        .unwrap();
    Fixture {
        ledger: Arc::new(ledger),
        clock,
        store: StoreConfig::Sqlite { path },
        _dir: Some(dir),
    }
}

pub async fn postgres() -> Fixture {
    let url = crate::pg::database().await;
    let clock = Arc::new(ManualClock::new(t0()));
    let ledger = PostgresLedger::connect_with_clock(&url, 4, clock.clone())
        .await
        .unwrap();
    Fixture {
        ledger: Arc::new(ledger),
        clock,
        store: StoreConfig::Postgres {
            url,
            pool_size: 4,
            password: None,
        },
        _dir: None,
    }
}

/// When the workload's verification runs: after every settlement.
pub fn now() -> DateTime<Utc> {
    t0() + Duration::hours(3)
}

impl Fixture {
    pub async fn verify(&self) -> Report {
        let opts = AuditOptions {
            tz: chrono_tz::UTC,
            now: now(),
            grace_seconds: DEFAULT_GRACE_SECONDS,
        };
        verify(&self.store, &opts).await.unwrap()
    }

    /// Runs one statement directly on the store (no gateway code).
    pub async fn sql(&self, stmt: &str) {
        match &self.store {
            StoreConfig::Sqlite { path } => {
                let c = rusqlite::Connection::open(path).unwrap();
                let n = c.execute(stmt, []).unwrap();
                assert!(n > 0, "{stmt} changed nothing");
            }
            StoreConfig::Postgres { url, .. } => {
                let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(conn);
                let n = c.execute(stmt, &[]).await.unwrap();
                assert!(n > 0, "{stmt} changed nothing");
            }
        }
    }

    /// Holds, submits, per-call captures below and above the hold, a
    /// release, a multi-job hold with overage and a failure, a hold taken
    /// yesterday settled today, an expiry with late settlements, an open
    /// hold, adjustments, and idempotency keys with and without a hold.
    /// Returns the ids of the holds a case breaks: (released, open).
    pub async fn workload(&self) -> (String, String) {
        let l = &self.ledger;
        let below = held(l.hold(req("acme", credits(10), t0())).await.unwrap());
        l.capture_hold(&below, credits(7)).await.unwrap();
        let above = held(l.hold(req("acme", credits(10), t0())).await.unwrap());
        l.capture_hold(&above, credits(12)).await.unwrap();
        let released = held(l.hold(req("beta", credits(5), t0())).await.unwrap());
        l.release(&released, "upstream 400").await.unwrap();

        let yesterday = t0() - Duration::days(1);
        let multi = held(l.hold(req("acme", credits(30), yesterday)).await.unwrap());
        l.submit(&multi, &[job("j-a", credits(10)), job("j-b", credits(10))])
            .await
            .unwrap();
        self.clock.set(t0() + Duration::hours(1));
        let cost = |c| JobSettlement::Completed { cost: credits(c) };
        l.settle_job("j-a", cost(15), "webhook").await.unwrap();
        l.settle_job("j-b", JobSettlement::Failed, "poller")
            .await
            .unwrap();

        let open = held(l.hold(req("beta", credits(4), t0())).await.unwrap());
        l.submit(&open, &[job("j-open", credits(4))]).await.unwrap();

        let mut short = req("acme", credits(8), t0());
        short.expires_at = t0() + Duration::hours(1);
        let exp = held(l.hold(short).await.unwrap());
        l.submit(&exp, &[job("j-d", credits(4)), job("j-e", credits(4))])
            .await
            .unwrap();
        let expired = l.expire_holds(t0() + Duration::hours(2)).await.unwrap();
        assert_eq!(expired.len(), 1);
        l.settle_job("j-d", cost(1), "status").await.unwrap();
        l.settle_job("j-e", cost(9), "status").await.unwrap();

        for (scope, window, amount) in [
            (tenant("acme"), Some(Window::Daily), credits(3)),
            (Scope::Org, None, -credits(2)),
        ] {
            l.adjust(Adjustment {
                scope,
                window,
                amount,
                reason: "goodwill".into(),
                actor: "ops".into(),
                tz: chrono_tz::UTC,
                now: t0(),
                key: None,
            })
            .await
            .unwrap();
        }

        for (key, hold) in [("k-linked", Some(&below)), ("k-refused", None)] {
            let begun = l
                .idem_begin("acme", key, [7; 32], t0(), LEASE)
                .await
                .unwrap();
            assert_eq!(begun, IdemBegin::New);
            let headers = hold
                .map(|h| vec![("X-Gateway-Hold-Id".to_string(), h.clone())])
                .unwrap_or_default();
            let resp = StoredResponse {
                status: if hold.is_some() { 200 } else { 402 },
                headers,
                body: b"{}".to_vec(),
            };
            l.idem_complete("acme", key, &resp).await.unwrap();
        }
        l.idem_begin("acme", "k-pending", [8; 32], t0(), LEASE)
            .await
            .unwrap();
        (released, open)
    }
}
