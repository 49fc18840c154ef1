//! Holds outside the races: shadow scopes report but admit, a release frees
//! budget, counters track windows without a budget, holds survive a reopen,
//! and the reads of open holds and jobs.

use chrono::Duration;
use heygen_gateway::config::Budgets;
use heygen_gateway::ledger::*;

use crate::support::*;
use crate::Fixture;

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
    let oldest = l
        .list_holds(HoldFilter {
            limit: 2,
            oldest_first: true,
            ..HoldFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        oldest.iter().map(|h| h.hold_id.clone()).collect::<Vec<_>>(),
        [a.clone(), b.clone()]
    );
    let sub_a = HoldFilter {
        state: Some(HoldState::Submitted),
        tenant: Some("a".into()),
        limit: 1,
        oldest_first: false,
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
    // The newest entries first, capped: the last two of the same rows.
    let newest = l.journal_newest(wide_from, wide_to, 2).await.unwrap();
    let seqs = |v: &[JournalEntry]| v.iter().map(|e| e.seq).collect::<Vec<_>>();
    let mut last_two = seqs(&all[all.len() - 2..]);
    last_two.reverse();
    assert_eq!(seqs(&newest), last_two);
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
