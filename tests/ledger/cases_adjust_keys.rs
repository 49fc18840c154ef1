//! Admin adjustments under an `Idempotency-Key`: applied once per key,
//! however often and however concurrently the call is retried; the key
//! reused for another adjustment changes nothing.

use heygen_gateway::ledger::*;
use heygen_gateway::money::Micros;

use crate::support::*;
use crate::Fixture;

fn grant(amount: i64, key: &str) -> Adjustment {
    Adjustment {
        scope: tenant("acme"),
        window: Some(Window::Daily),
        amount: credits(amount),
        reason: "goodwill".into(),
        actor: "ops@example".into(),
        tz: chrono_tz::UTC,
        now: t0(),
        key: Some(key.into()),
    }
}

async fn granted(l: &dyn Ledger) -> Micros {
    let u = window(
        l,
        tenant("acme"),
        daily(10),
        chrono_tz::UTC,
        t0(),
        Window::Daily,
    )
    .await;
    u.granted
}

pub async fn a_keyed_adjustment_applies_once(f: Fixture) {
    let l = f.ledger.as_ref();
    assert_eq!(
        l.adjust(grant(5, "k1")).await.unwrap(),
        AdjustOutcome::Applied
    );
    assert_eq!(
        l.adjust(grant(5, "k1")).await.unwrap(),
        AdjustOutcome::Replayed
    );
    assert_eq!(granted(l).await, credits(5), "granted once");
    // The same key for another amount (or scope or window) is refused.
    assert_eq!(
        l.adjust(grant(7, "k1")).await.unwrap(),
        AdjustOutcome::KeyReused
    );
    let org = Adjustment {
        scope: Scope::Org,
        ..grant(5, "k1")
    };
    assert_eq!(l.adjust(org).await.unwrap(), AdjustOutcome::KeyReused);
    assert_eq!(granted(l).await, credits(5));
    // Another key, and no key at all, apply as before.
    assert_eq!(
        l.adjust(grant(5, "k2")).await.unwrap(),
        AdjustOutcome::Applied
    );
    let unkeyed = Adjustment {
        key: None,
        ..grant(5, "k1")
    };
    assert_eq!(
        l.adjust(unkeyed.clone()).await.unwrap(),
        AdjustOutcome::Applied
    );
    assert_eq!(l.adjust(unkeyed).await.unwrap(), AdjustOutcome::Applied);
    assert_eq!(granted(l).await, credits(20));
    let journaled = all_journal(l).await;
    assert_eq!(journaled.len(), 4, "one journal row per applied adjustment");
}

pub async fn concurrent_retries_of_a_key_apply_once(f: Fixture) {
    let other = f.open_again().await;
    let mut calls = Vec::new();
    for i in 0..16 {
        let l = if i % 2 == 0 {
            f.ledger.clone()
        } else {
            other.clone()
        };
        calls.push(tokio::spawn(
            async move { l.adjust(grant(3, "retry")).await },
        ));
    }
    let mut applied = 0;
    for c in calls {
        match c.await.unwrap().unwrap() {
            AdjustOutcome::Applied => applied += 1,
            AdjustOutcome::Replayed => {}
            AdjustOutcome::KeyReused => panic!("same adjustment read as another"),
        }
    }
    assert_eq!(applied, 1);
    assert_eq!(granted(f.ledger.as_ref()).await, credits(3));
}
