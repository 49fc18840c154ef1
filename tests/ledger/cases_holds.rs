//! Holds under concurrency: races admit exactly what fits (one instance or
//! two on one store), render and session caps hold. The rest of the hold
//! cases are in `cases_hold_state.rs`.

use std::sync::Arc;

use heygen_gateway::ledger::*;

use crate::support::*;
use crate::Fixture;

/// Fires `n` holds at once over the given instances (round robin).
async fn fire(
    ledgers: &[Arc<dyn Ledger>],
    n: usize,
    make: impl Fn(usize) -> HoldRequest,
) -> Vec<HoldDecision> {
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let l = ledgers[i % ledgers.len()].clone();
        let r = make(i);
        tasks.push(tokio::spawn(async move { l.hold(r).await }));
    }
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.unwrap().unwrap());
    }
    out
}

fn count_held(ds: &[HoldDecision]) -> usize {
    ds.iter()
        .filter(|d| matches!(d, HoldDecision::Held { .. }))
        .count()
}

/// 250 concurrent holds of 1 credit against a daily budget of 10: exactly 10
/// held, no overspend in any counter, and the journal agrees.
pub async fn race_admits_exactly_k(f: Fixture) {
    let now = t0();
    let ds = fire(std::slice::from_ref(&f.ledger), 250, |_| {
        let mut r = req("acme", credits(1), now);
        r.tenant_budgets = daily(10);
        r.org_budgets = monthly(1000);
        r
    })
    .await;
    assert_eq!(count_held(&ds), 10);
    for d in &ds {
        if let HoldDecision::Insufficient(s) = d {
            assert_eq!((s.scope.clone(), s.window), (tenant("acme"), Window::Daily));
            assert_eq!(s.remaining, 0);
            assert_eq!(s.resets_at, Some(at("2026-11-25T00:00:00Z")));
        }
    }
    let l = f.ledger.as_ref();
    for w in Window::ALL {
        assert_eq!(counts(l, tenant("acme"), now, w).await, (credits(10), 0));
        assert_eq!(counts(l, Scope::Org, now, w).await, (credits(10), 0));
    }
    let journal = all_journal(l).await;
    let holds: Vec<_> = journal
        .iter()
        .filter(|e| e.kind == JournalKind::Hold)
        .collect();
    assert_eq!(holds.len(), 10);
    assert_eq!(holds.iter().map(|e| e.amount).sum::<i64>(), credits(10));
    assert!(holds
        .iter()
        .all(|e| e.price_version.as_deref() == Some("2026-02")));
    assert_eq!(l.open_holds().await.unwrap().0, 10);
}

/// Two instances on one store (two replicas; separate pools or
/// connections) race four tenants against one org total: exactly K held.
pub async fn race_between_two_instances(f: Fixture) {
    let second = f.open_again().await;
    let now = t0();
    let ledgers = [f.ledger.clone(), second.clone()];
    let ds = fire(&ledgers, 240, |i| {
        let mut r = req(&format!("t{}", i % 4), credits(2), now);
        r.org_budgets = total(37); // fits 18 holds of 2
        r
    })
    .await;
    assert_eq!(count_held(&ds), 18);
    let (held, spent) = counts(second.as_ref(), Scope::Org, now, Window::Total).await;
    assert_eq!((held, spent), (credits(36), 0));
    let per_tenant: i64 = {
        let mut sum = 0;
        for t in 0..4 {
            sum += counts(
                f.ledger.as_ref(),
                tenant(&format!("t{t}")),
                now,
                Window::Total,
            )
            .await
            .0;
        }
        sum
    };
    assert_eq!(per_tenant, credits(36));
    let next = f.ledger.hold({
        let mut r = req("t0", credits(2), now);
        r.org_budgets = total(37);
        r
    });
    let s = shortfall(next.await.unwrap());
    assert_eq!(
        (s.scope, s.window, s.remaining),
        (Scope::Org, Window::Total, credits(1))
    );
}

/// A tenant capped at 3 renders in flight, 60 concurrent render holds:
/// exactly 3 held; releasing one admits one more.
pub async fn render_caps_hold_under_concurrency(f: Fixture) {
    let now = t0();
    let make = |_| {
        let mut r = req("acme", credits(1), now);
        r.render = true;
        r.tenant_render_cap = Some(3);
        r.org_render_cap = Some(10);
        r
    };
    let ds = fire(std::slice::from_ref(&f.ledger), 60, make).await;
    assert_eq!(count_held(&ds), 3);
    assert!(ds.iter().all(|d| matches!(
        d,
        HoldDecision::Held { .. } | HoldDecision::RenderCapReached { cap: 3, .. }
    )));
    let l = f.ledger.as_ref();
    let since = now - chrono::Duration::from_std(LEASE).unwrap();
    assert_eq!(
        l.renders_in_flight(&tenant("acme"), since).await.unwrap(),
        3
    );
    assert_eq!(l.renders_in_flight(&Scope::Org, since).await.unwrap(), 3);
    // A non-render hold is not capped; the org cap counts every tenant.
    assert!(matches!(
        l.hold(req("acme", 1, now)).await.unwrap(),
        HoldDecision::Held { .. }
    ));
    let first = ds.iter().find_map(|d| match d {
        HoldDecision::Held { hold_id, .. } => Some(hold_id.clone()),
        _ => None,
    });
    l.release(&first.unwrap(), "upstream 500").await.unwrap();
    held(l.hold(make(0)).await.unwrap());
    assert!(matches!(
        l.hold(make(0)).await.unwrap(),
        HoldDecision::RenderCapReached {
            scope: Scope::Tenant(_),
            cap: 3
        }
    ));
    // Zero-amount renders (free test videos) are still counted.
    let mut free = make(0);
    free.tenant = "other".into();
    free.amount = 0;
    free.org_render_cap = Some(4);
    held(l.hold(free.clone()).await.unwrap());
    assert!(matches!(
        l.hold(free).await.unwrap(),
        HoldDecision::RenderCapReached {
            scope: Scope::Org,
            cap: 4
        }
    ));
}

/// Session starts are capped in their own transaction: of 40 concurrent
/// starts under a tenant cap of 2 exactly 2 are held (on PostgreSQL they
/// arrive in batches), and a released one frees its slot.
pub async fn session_caps_hold_under_concurrency(f: Fixture) {
    let now = t0();
    let make = |_| {
        let mut r = req("acme", credits(1), now);
        r.feature = "streaming".into();
        r.session_cap = Some(SessionCap {
            tenant: Some(2),
            org: Some(5),
            features: vec!["streaming".into(), "avatar_realtime".into()],
        });
        r
    };
    let ds = fire(std::slice::from_ref(&f.ledger), 40, make).await;
    assert_eq!(count_held(&ds), 2);
    assert!(ds.iter().all(|d| matches!(
        d,
        HoldDecision::Held { .. } | HoldDecision::SessionCapReached { cap: 2, .. }
    )));
    let l = f.ledger.as_ref();
    // Holds of other features are not sessions.
    held(l.hold(req("acme", 1, now)).await.unwrap());
    let first = ds.iter().find_map(|d| match d {
        HoldDecision::Held { hold_id, .. } => Some(hold_id.clone()),
        _ => None,
    });
    l.release(&first.unwrap(), "session over").await.unwrap();
    held(l.hold(make(0)).await.unwrap());
    // The org cap counts every tenant's sessions.
    let mut other = make(0);
    other.tenant = "other".into();
    other.session_cap.as_mut().unwrap().org = Some(2);
    assert!(matches!(
        l.hold(other).await.unwrap(),
        HoldDecision::SessionCapReached {
            scope: Scope::Org,
            cap: 2
        }
    ));
}

/// A render hold whose request is gone (no job recorded within the request
/// lease: HeyGen timed out, the replica died) stops taking a render slot,
/// though its credits stay held; one with a job keeps its slot.
pub async fn render_caps_forget_holds_whose_request_is_gone(f: Fixture) {
    let l = f.ledger.as_ref();
    let render = |now| HoldRequest {
        render: true,
        tenant_render_cap: Some(2),
        ..req("acme", credits(1), now)
    };
    let submitted = held(l.hold(render(t0())).await.unwrap());
    let job = JobRecord {
        job_id: "vid-kept".into(),
        feature: "avatar_video".into(),
        status_path: String::new(),
        held: credits(1),
        items: Vec::new(),
    };
    l.submit(&submitted, &[job]).await.unwrap();
    let _unknown = held(l.hold(render(t0())).await.unwrap());
    let within = t0() + chrono::Duration::from_std(LEASE).unwrap();
    assert!(
        matches!(
            l.hold(render(within)).await.unwrap(),
            HoldDecision::RenderCapReached { cap: 2, .. }
        ),
        "both count while the second's request may still run"
    );
    let after = within + chrono::Duration::seconds(1);
    let since = after - chrono::Duration::from_std(LEASE).unwrap();
    assert_eq!(
        l.renders_in_flight(&tenant("acme"), since).await.unwrap(),
        1
    );
    held(l.hold(render(after)).await.unwrap());
    assert!(matches!(
        l.hold(render(after)).await.unwrap(),
        HoldDecision::RenderCapReached { cap: 2, .. }
    ));
    // The forgotten hold's credit is still held: 3 open holds in all.
    assert_eq!(l.open_holds().await.unwrap().0, 3);
}
