//! Holds that arrive together: PostgreSQL decides them in one batch
//! (`ledger/postgres/batch.rs`), SQLite in one group commit. Either way
//! each hold must be decided exactly as if it were alone, in some order.

use std::sync::Arc;

use heygen_gateway::ledger::*;

use crate::support::*;
use crate::Fixture;

/// Fires every request at once over the instances (round robin) and keeps
/// each answer, errors included.
async fn burst(
    ledgers: &[Arc<dyn Ledger>],
    reqs: Vec<HoldRequest>,
) -> Vec<Result<HoldDecision, LedgerError>> {
    let tasks: Vec<_> = reqs
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let l = ledgers[i % ledgers.len()].clone();
            tokio::spawn(async move { l.hold(r).await })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// A burst mixing holds that fit, holds too big for the budget and invalid
/// requests: the refusals and errors touch nothing, and exactly the budget's
/// worth of the small holds is admitted.
pub async fn burst_decides_each_hold_alone(f: Fixture) {
    let now = t0();
    let reqs = (0..90)
        .map(|i| {
            let amount = match i % 3 {
                0 => credits(1),
                1 => credits(50),
                _ => -1,
            };
            let mut r = req("acme", amount, now);
            r.tenant_budgets = daily(20);
            r
        })
        .collect();
    let out = burst(std::slice::from_ref(&f.ledger), reqs).await;
    let mut held_ids = std::collections::HashSet::new();
    for (i, d) in out.into_iter().enumerate() {
        match (i % 3, d) {
            (0, Ok(HoldDecision::Held { hold_id, .. })) => assert!(held_ids.insert(hold_id)),
            (0 | 1, Ok(HoldDecision::Insufficient(s))) => assert_eq!(s.window, Window::Daily),
            (2, Err(LedgerError::InvalidState(_))) => {}
            (k, other) => panic!("request {i} (kind {k}): unexpected {other:?}"),
        }
    }
    assert_eq!(held_ids.len(), 20);
    let l = f.ledger.as_ref();
    assert_eq!(
        counts(l, tenant("acme"), now, Window::Daily).await,
        (credits(20), 0)
    );
    assert_eq!(
        counts(l, Scope::Org, now, Window::Daily).await,
        (credits(20), 0)
    );
    for id in &held_ids {
        let h = l.get_hold(id).await.unwrap().unwrap();
        assert_eq!(h.amount, credits(1));
    }
    let journal = all_journal(l).await;
    assert_eq!(
        journal
            .iter()
            .filter(|e| e.kind == JournalKind::Hold)
            .count(),
        20
    );
}

/// Render caps of several tenants and the org, decided in bursts on two
/// instances: no tenant above its cap, the org exactly at its own.
pub async fn burst_respects_every_render_cap(f: Fixture) {
    let second = f.open_again().await;
    let now = t0();
    let reqs = (0..120)
        .map(|i| {
            let mut r = req(&format!("t{}", i % 4), credits(1), now);
            r.render = true;
            r.tenant_render_cap = Some(2);
            r.org_render_cap = Some(5);
            r
        })
        .collect();
    let out = burst(&[f.ledger.clone(), second], reqs).await;
    let held = out
        .iter()
        .filter(|d| matches!(d, Ok(HoldDecision::Held { .. })))
        .count();
    assert_eq!(held, 5);
    let l = f.ledger.as_ref();
    let since = t0() - chrono::Duration::from_std(LEASE).unwrap();
    assert_eq!(l.renders_in_flight(&Scope::Org, since).await.unwrap(), 5);
    for t in 0..4 {
        assert!(
            l.renders_in_flight(&tenant(&format!("t{t}")), since)
                .await
                .unwrap()
                <= 2
        );
    }
}
