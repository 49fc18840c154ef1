//! Counters are `i64` micro-credits. A hold, a capture or a grant that would
//! take one past that is refused, and the counters stay integers, so every
//! later hold of every tenant still works. (SQLite used to store such a sum
//! as a REAL, granting the hold; every later read of the org's rows then
//! failed, for all tenants, until the row was repaired by hand.)

use std::sync::Arc;

use heygen_gateway::ledger::*;
use heygen_gateway::money::Micros;

use crate::support::*;
use crate::Fixture;

fn refused<T: std::fmt::Debug>(r: Result<T, LedgerError>) {
    assert!(matches!(r, Err(LedgerError::Refused(_))), "{r:?}");
}

/// Every window of `scope` holds `(held, spent)`, read back as integers.
async fn all_windows(l: &dyn Ledger, scope: Scope, expect: (Micros, Micros)) {
    for w in Window::ALL {
        assert_eq!(
            counts(l, scope.clone(), t0(), w).await,
            expect,
            "{scope} {w:?}"
        );
    }
}

pub async fn a_hold_past_a_counters_range_is_refused_and_the_next_still_works(f: Fixture) {
    let now = t0();
    let l = f.ledger.as_ref();
    let big = held(l.hold(req("acme", i64::MAX - 10, now)).await.unwrap());
    // Beta's own counters have room; the org's it also adds to do not.
    refused(l.hold(req("beta", 100, now)).await);
    all_windows(l, Scope::Org, (i64::MAX - 10, 0)).await;
    all_windows(l, tenant("beta"), (0, 0)).await;
    // To the last micro-credit, a hold still fits.
    let last = held(l.hold(req("beta", 10, now)).await.unwrap());
    all_windows(l, Scope::Org, (i64::MAX, 0)).await;
    refused(l.hold(req("gamma", 1, now)).await);
    l.release(&big, "test").await.unwrap();
    l.release(&last, "test").await.unwrap();
    // Ordinary holds work again, for every tenant.
    for t in ["acme", "beta", "gamma"] {
        held(l.hold(req(t, credits(1), now)).await.unwrap());
    }
    all_windows(l, Scope::Org, (credits(3), 0)).await;
}

/// Holds decided together (PostgreSQL batches concurrent holds into one
/// transaction): the one that would overflow is refused alone.
pub async fn an_overflowing_hold_among_concurrent_ones_fails_alone(f: Fixture) {
    let now = t0();
    held(f.ledger.hold(req("acme", i64::MAX / 2, now)).await.unwrap());
    let mut tasks = Vec::new();
    for i in 0..21 {
        let l: Arc<dyn Ledger> = f.ledger.clone();
        let amount = if i == 10 {
            i64::MAX / 2 + 2
        } else {
            credits(1)
        };
        tasks.push(tokio::spawn(async move {
            l.hold(req("beta", amount, now)).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(d) => {
                held(d);
                ok += 1;
            }
            r => refused(r),
        }
    }
    assert_eq!(ok, 20, "only the overflowing hold is refused");
    all_windows(f.ledger.as_ref(), tenant("beta"), (credits(20), 0)).await;
}

/// Spend past the range (an absurd overage, a grant) is refused too.
pub async fn captures_and_grants_past_a_counters_range_are_refused(f: Fixture) {
    let now = t0();
    let l = f.ledger.as_ref();
    let a = held(l.hold(req("acme", credits(1), now)).await.unwrap());
    let b = held(l.hold(req("acme", credits(1), now)).await.unwrap());
    l.capture_hold(&a, i64::MAX - credits(1)).await.unwrap();
    // The overage would take `spent` past the range.
    refused(l.capture_hold(&b, credits(2)).await);
    all_windows(l, Scope::Org, (credits(1), i64::MAX - credits(1))).await;
    l.capture_hold(&b, credits(1)).await.unwrap();
    all_windows(l, Scope::Org, (0, i64::MAX)).await;
    let grant = |amount| Adjustment {
        scope: tenant("acme"),
        window: None,
        amount,
        reason: "test".into(),
        actor: "test".into(),
        tz: chrono_tz::UTC,
        now,
        key: None,
    };
    l.adjust(grant(i64::MAX)).await.unwrap();
    refused(l.adjust(grant(1)).await);
    // Still readable: the grant shows, nothing is corrupt.
    let w = window(
        l,
        tenant("acme"),
        daily(1),
        chrono_tz::UTC,
        now,
        Window::Daily,
    )
    .await;
    assert_eq!((w.held, w.spent), (0, i64::MAX));
}
