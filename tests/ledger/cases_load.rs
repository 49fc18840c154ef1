//! Mixed concurrent load on two instances (holds, releases, captures,
//! multi-job settlements, expiry sweeps racing settlements), then the
//! books must balance: counters equal the sum over holds, and the journal
//! rebuilds spent.

use std::sync::Arc;

use chrono::Duration;
use heygen_gateway::ledger::*;

use crate::support::*;
use crate::Fixture;

/// Runs one request's lifecycle; errors allowed only where an expiry sweep
/// can win the race.
async fn lifecycle(l: Arc<dyn Ledger>, i: usize) {
    let mut r = req(&format!("t{}", i % 3), credits(1 + (i % 4) as i64), t0());
    r.org_budgets = total(150);
    if i.is_multiple_of(5) {
        r.expires_at = t0() + Duration::minutes(1);
    }
    let HoldDecision::Held { hold_id, .. } = l.hold(r).await.unwrap() else {
        return;
    };
    let raced = |res: Result<(), LedgerError>| match res {
        Ok(()) | Err(LedgerError::InvalidState(_)) => {}
        Err(e) => panic!("{e}"),
    };
    match i % 4 {
        0 => raced(l.release(&hold_id, "upstream 502").await),
        1 => {
            let (a, b) = (format!("j{i}a"), format!("j{i}b"));
            l.submit(&hold_id, &[job(&a, 1), job(&b, 1)]).await.unwrap();
            let cost = JobSettlement::Completed { cost: credits(1) };
            l.settle_job(&a, cost, "webhook").await.unwrap();
            l.settle_job(&b, JobSettlement::Failed, "poller")
                .await
                .unwrap();
            l.settle_job(&a, cost, "status").await.unwrap();
        }
        2 => raced(
            l.capture_hold(&hold_id, credits((i % 3) as i64))
                .await
                .map(drop),
        ),
        _ => l
            .submit(&hold_id, &[job(&format!("j{i}"), 1)])
            .await
            .unwrap(),
    }
}

pub async fn mixed_load_balances_the_books(f: Fixture) {
    let ledgers = [f.ledger.clone(), f.open_again().await];
    let mut tasks = Vec::new();
    for i in 0..160 {
        let l = ledgers[i % 2].clone();
        tasks.push(tokio::spawn(lifecycle(l, i)));
    }
    for k in 0..10 {
        let l = ledgers[k % 2].clone();
        tasks.push(tokio::spawn(async move {
            l.expire_holds(t0() + Duration::minutes(2)).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let l = f.ledger.as_ref();
    let holds = l
        .list_holds(HoldFilter {
            limit: 10_000,
            ..HoldFilter::default()
        })
        .await
        .unwrap();
    let journal = all_journal(l).await;
    let mut scopes = vec![Scope::Org];
    scopes.extend((0..3).map(|t| tenant(&format!("t{t}"))));
    for scope in &scopes {
        let mine = holds
            .iter()
            .filter(|h| scope.tenant().is_none_or(|t| t == h.tenant));
        let held: i64 = mine.clone().map(|h| h.held).sum();
        let spent: i64 = mine.map(|h| h.captured).sum();
        assert_eq!(
            counts(l, scope.clone(), t0(), Window::Total).await,
            (held, spent),
            "{scope}"
        );
        assert_eq!(journal_spent(&journal, scope), spent, "{scope}");
    }
    let (total_held, total_spent) = counts(l, Scope::Org, t0(), Window::Total).await;
    assert!(total_held + total_spent > 0);
    let open = holds.iter().filter(|h| h.state.is_open()).count() as u64;
    assert_eq!(l.open_holds().await.unwrap().0, open);
    // Nothing left open that should have expired.
    l.expire_holds(t0() + Duration::minutes(2)).await.unwrap();
    let stale = holds
        .iter()
        .filter(|h| h.state.is_open() && h.expires_at <= t0() + Duration::minutes(2));
    for h in stale {
        let now = l.get_hold(&h.hold_id).await.unwrap().unwrap();
        assert_eq!(now.state, HoldState::Expired);
    }
}
