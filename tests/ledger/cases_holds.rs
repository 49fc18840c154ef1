//! Holds: atomicity under concurrency, render caps, shadow mode, release,
//! durability, reads.

use std::sync::Arc;

use chrono::Duration;
use heygen_gateway::config::Budgets;
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
    assert_eq!(l.renders_in_flight(&tenant("acme")).await.unwrap(), 3);
    assert_eq!(l.renders_in_flight(&Scope::Org).await.unwrap(), 3);
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

pub async fn shadow_scope_reports_but_admits(f: Fixture) {
    let mut r = req("acme", credits(5), t0());
    r.tenant_budgets = daily(3);
    r.tenant_shadow = true;
    r.org_budgets = monthly(100);
    match f.ledger.hold(r.clone()).await.unwrap() {
        HoldDecision::Held {
            remaining,
            shadow_shortfalls,
            ..
        } => {
            assert_eq!(
                remaining,
                Some((tenant("acme"), Window::Daily, credits(-2)))
            );
            assert_eq!(shadow_shortfalls.len(), 1);
            assert_eq!(shadow_shortfalls[0].window, Window::Daily);
        }
        other => panic!("{other:?}"),
    }
    // A non-shadow org still refuses.
    r.org_budgets = monthly(7);
    let s = shortfall(f.ledger.hold(r).await.unwrap());
    assert_eq!((s.scope, s.remaining), (Scope::Org, credits(2)));
}

pub async fn release_frees_budget(f: Fixture) {
    let l = f.ledger.as_ref();
    let mut r = req("acme", credits(8), t0());
    r.tenant_budgets = daily(10);
    let id = held(l.hold(r.clone()).await.unwrap());
    shortfall(l.hold(r.clone()).await.unwrap());
    l.release(&id, "upstream 503").await.unwrap();
    l.release(&id, "retry of release").await.unwrap();
    assert_eq!(counts(l, tenant("acme"), t0(), Window::Daily).await, (0, 0));
    let info = l.get_hold(&id).await.unwrap().unwrap();
    assert_eq!(
        (info.state, info.held, info.captured),
        (HoldState::Released, 0, 0)
    );
    held(l.hold(r).await.unwrap());
    let kinds: Vec<_> = all_journal(l).await.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [JournalKind::Hold, JournalKind::Release, JournalKind::Hold]
    );
}

/// Usage is tracked in every window even without a budget, so a budget
/// added on reload sees what was already spent.
pub async fn counters_track_unconfigured_windows(f: Fixture) {
    let l = f.ledger.as_ref();
    held(l.hold(req("acme", credits(4), t0())).await.unwrap());
    let mut r = req("acme", credits(7), t0());
    r.tenant_budgets = Budgets {
        weekly: Some(credits(10)),
        ..Budgets::default()
    };
    let s = shortfall(l.hold(r).await.unwrap());
    assert_eq!((s.window, s.remaining), (Window::Weekly, credits(6)));
    let u = window(
        l,
        tenant("acme"),
        daily(5),
        chrono_tz::UTC,
        t0(),
        Window::Daily,
    )
    .await;
    assert_eq!(
        (u.limit, u.held, u.remaining),
        (Some(credits(5)), credits(4), Some(credits(1)))
    );
    assert_eq!(u.period, "2026-11-24");
}

/// Holds, jobs and counters survive closing and reopening the store.
pub async fn durable_across_reopen(f: Fixture) {
    let id = held(f.ledger.hold(req("acme", credits(3), t0())).await.unwrap());
    f.ledger
        .submit(&id, &[job("vid-1", credits(3))])
        .await
        .unwrap();
    let f = f.reopen().await;
    let l = f.ledger.clone();
    let info = l.get_hold(&id).await.unwrap().unwrap();
    assert_eq!((info.state, info.held), (HoldState::Submitted, credits(3)));
    assert_eq!(
        counts(l.as_ref(), Scope::Org, t0(), Window::Total).await,
        (credits(3), 0)
    );
    let s = settled(
        l.settle_job(
            "vid-1",
            JobSettlement::Completed { cost: credits(2) },
            "poller",
        )
        .await
        .unwrap(),
    );
    assert_eq!(s.hold_state, HoldState::Captured);
    let kinds: Vec<_> = all_journal(l.as_ref())
        .await
        .iter()
        .map(|e| e.kind)
        .collect();
    use JournalKind::*;
    assert_eq!(kinds, [Hold, Submit, Capture, Release]);
}

pub async fn reads_report_open_holds_and_jobs(f: Fixture) {
    let l = f.ledger.as_ref();
    let a = held(l.hold(req("a", credits(1), t0())).await.unwrap());
    let b = held(
        l.hold(req("b", credits(2), t0() + Duration::minutes(1)))
            .await
            .unwrap(),
    );
    let c = held(
        l.hold(req("a", credits(3), t0() + Duration::minutes(2)))
            .await
            .unwrap(),
    );
    assert_eq!(l.open_holds().await.unwrap(), (3, Some(t0())));
    f.clock.set(t0() + Duration::minutes(5));
    l.submit(&a, &[job("j-a", credits(1))]).await.unwrap();
    f.clock.set(t0() + Duration::minutes(6));
    l.submit(&c, &[job("j-c1", credits(1)), job("j-c2", credits(2))])
        .await
        .unwrap();
    l.release(&b, "upstream 400").await.unwrap();
    let polled = l
        .jobs_to_poll(t0() + Duration::minutes(10), 10)
        .await
        .unwrap();
    let ids: Vec<_> = polled.iter().map(|p| p.job_id.as_str()).collect();
    assert_eq!(ids, ["j-a", "j-c1", "j-c2"]);
    assert_eq!(polled[0].tenant, "a");
    assert_eq!(polled[0].status_path, "/v2/video_translate/j-a");
    assert_eq!(
        l.jobs_to_poll(t0() + Duration::minutes(6), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let all = l
        .list_holds(HoldFilter {
            limit: 10,
            ..HoldFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|h| h.hold_id.clone()).collect::<Vec<_>>(),
        [c.clone(), b.clone(), a.clone()]
    );
    let sub_a = HoldFilter {
        state: Some(HoldState::Submitted),
        tenant: Some("a".into()),
        limit: 1,
    };
    assert_eq!(l.list_holds(sub_a).await.unwrap()[0].hold_id, c);
    let window = l
        .journal(
            t0() + Duration::minutes(1),
            t0() + Duration::minutes(2),
            0,
            10,
        )
        .await
        .unwrap();
    assert_eq!(window.len(), 1);
    assert_eq!(window[0].hold_id.as_deref(), Some(b.as_str()));
    // Paging by sequence: the whole journal in pages of one, none twice.
    let (wide_from, wide_to) = (t0() - Duration::days(1), t0() + Duration::days(1));
    let all = l.journal(wide_from, wide_to, 0, 1000).await.unwrap();
    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let page = l.journal(wide_from, wide_to, after, 1).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        paged.extend(page);
    }
    assert_eq!(paged.len(), all.len());
    assert!(paged.iter().zip(&all).all(|(p, a)| p.seq == a.seq));
    l.ping().await.unwrap();
}
