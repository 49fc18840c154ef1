//! The cap on parked webhook events (`webhooks.max_parked_events`): past it
//! an event is refused (`Full`) and the rows parked already stay; a
//! redelivery of a parked event is still just that; a cap of 0 parks
//! nothing; and parallel parks on two instances over one store stop at the
//! cap exactly, as each counts and inserts under one lock.

use std::sync::Arc;

use heygen_gateway::ledger::*;

use crate::cases_parked::parked;
use crate::support::*;
use crate::Fixture;

async fn park(l: &dyn Ledger, i: usize, max: u32) -> ParkOutcome {
    let e = parked(&format!("ev{i}"), &format!("v{i}"));
    l.park_event(&e, t0(), max).await.unwrap()
}

/// A cap of 3 and 3 + 2 events: 3 parked, 2 refused, 3 rows; the parked
/// ones are untouched and a freed row is taken once more.
pub async fn parking_stops_at_the_cap(f: Fixture) {
    use ParkOutcome::{AlreadyParked, Full, Parked};
    let l = f.ledger.as_ref();
    let got = park_each(l, 0..5, 3).await;
    assert_eq!(got, [Parked, Parked, Parked, Full, Full]);
    assert_eq!(l.parked_event_count().await.unwrap(), 3);
    // HeyGen's redelivery of a parked event is not "full": it is parked.
    assert_eq!(park(l, 1, 3).await, AlreadyParked);
    let due = l.due_parked_events(t0(), 10).await.unwrap();
    let ids: Vec<&str> = due.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["ev0", "ev1", "ev2"], "the first three, as parked");

    // One given up: its row is free for the next event, then full again.
    l.unpark_event("ev0", None).await.unwrap();
    assert_eq!(park(l, 3, 3).await, Parked);
    assert_eq!(park(l, 4, 3).await, Full);
    // A cap lowered below the rows waiting refuses new ones and removes
    // none; one raised takes more at once.
    assert_eq!(park(l, 5, 2).await, Full);
    assert_eq!(l.parked_event_count().await.unwrap(), 3);
    assert_eq!(park(l, 5, 4).await, Parked);
    assert_eq!(l.parked_event_count().await.unwrap(), 4);
}

/// A cap of 0 parks nothing, even into an empty table.
pub async fn a_cap_of_zero_parks_nothing(f: Fixture) {
    let l = f.ledger.as_ref();
    assert_eq!(park(l, 0, 0).await, ParkOutcome::Full);
    assert_eq!(l.parked_event_count().await.unwrap(), 0);
    assert!(l.due_parked_events(t0(), 10).await.unwrap().is_empty());
}

/// 60 parks at once over two instances with a cap of 20: exactly 20 parked
/// and 20 rows, however the parks interleave.
pub async fn concurrent_parks_stop_at_the_cap(f: Fixture) {
    const CAP: u32 = 20;
    let ledgers: [Arc<dyn Ledger>; 2] = [f.ledger.clone(), f.open_again().await];
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let l = ledgers[i % 2].clone();
            tokio::spawn(async move { park(l.as_ref(), i, CAP).await })
        })
        .collect();
    let mut parked = 0;
    for t in tasks {
        match t.await.unwrap() {
            ParkOutcome::Parked => parked += 1,
            ParkOutcome::Full => {}
            other => panic!("distinct events: {other:?}"),
        }
    }
    assert_eq!(parked, CAP);
    assert_eq!(f.ledger.parked_event_count().await.unwrap(), 20);
}

/// Parks events `ids` one after another with cap `max`.
async fn park_each(l: &dyn Ledger, ids: std::ops::Range<usize>, max: u32) -> Vec<ParkOutcome> {
    let mut got = Vec::new();
    for i in ids {
        got.push(park(l, i, max).await);
    }
    got
}
