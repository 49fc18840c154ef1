//! Expiry of unsettled holds and manual adjustments.

use chrono::Duration;
use heygen_gateway::ledger::*;

use crate::support::*;
use crate::Fixture;

pub async fn ttl_expiry_captures_and_flags(f: Fixture) {
    let l = f.ledger.as_ref();
    let mut r = req("acme", credits(6), t0());
    r.expires_at = t0() + Duration::hours(1);
    let never_submitted = held(l.hold(r.clone()).await.unwrap());
    let submitted = held(l.hold(r).await.unwrap());
    l.submit(&submitted, &[job("slow", credits(6))])
        .await
        .unwrap();
    let long = held(l.hold(req("acme", credits(1), t0())).await.unwrap());
    assert!(l
        .expire_holds(t0() + Duration::minutes(59))
        .await
        .unwrap()
        .is_empty());
    let mut expired = l.expire_holds(t0() + Duration::minutes(61)).await.unwrap();
    expired.sort_by_key(|x| x.job_ids.len());
    assert_eq!(expired.len(), 2);
    assert_eq!(expired[0].hold_id, never_submitted);
    assert_eq!(expired[1].job_ids, ["slow"]);
    assert!(expired.iter().all(|x| x.captured == credits(6)));
    assert!(l
        .expire_holds(t0() + Duration::minutes(62))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        counts(l, Scope::Org, t0(), Window::Total).await,
        (credits(1), credits(12))
    );
    let info = l.get_hold(&submitted).await.unwrap().unwrap();
    assert_eq!(
        (info.state, info.held, info.captured),
        (HoldState::Expired, 0, credits(6))
    );
    assert_eq!(
        l.get_hold(&long).await.unwrap().unwrap().state,
        HoldState::Held
    );
    // The expired job is still polled for its real outcome, for a day.
    let polled = l.jobs_to_poll(t0() + Duration::hours(2), 10).await.unwrap();
    let ids: Vec<&str> = polled.iter().map(|j| j.job_id.as_str()).collect();
    assert_eq!(ids, ["slow"]);
    assert!(l
        .jobs_to_poll(t0() + Duration::days(2), 10)
        .await
        .unwrap()
        .is_empty());
    // The real cost arrives late: spent is corrected, the flag stays.
    let s = settled(
        l.settle_job(
            "slow",
            JobSettlement::Completed { cost: credits(4) },
            "webhook",
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        (s.captured, s.hold_state),
        (credits(-2), HoldState::Expired)
    );
    assert_eq!(
        counts(l, Scope::Org, t0(), Window::Total).await,
        (credits(1), credits(10))
    );
    let j = all_journal(l).await;
    assert_eq!(
        j.iter().filter(|e| e.kind == JournalKind::Expire).count(),
        2
    );
    assert_eq!(journal_spent(&j, &Scope::Org), credits(10));
}

pub async fn adjust_shows_in_usage(f: Fixture) {
    let l = f.ledger.as_ref();
    let mut r = req("acme", credits(10), t0());
    r.tenant_budgets = daily(10);
    let id = held(l.hold(r.clone()).await.unwrap());
    l.capture_hold(&id, credits(10)).await.unwrap();
    shortfall(
        l.hold(HoldRequest {
            amount: credits(3),
            ..r.clone()
        })
        .await
        .unwrap(),
    );
    let grant = Adjustment {
        scope: tenant("acme"),
        window: Some(Window::Daily),
        amount: credits(5),
        reason: "launch day".into(),
        actor: "ops@example".into(),
        tz: chrono_tz::UTC,
        now: t0(),
        key: None,
    };
    l.adjust(grant.clone()).await.unwrap();
    let u = window(
        l,
        tenant("acme"),
        daily(10),
        chrono_tz::UTC,
        t0(),
        Window::Daily,
    )
    .await;
    // A grant raises the period's limit; spend stays what was spent.
    assert_eq!(
        (u.spent, u.granted, u.remaining, u.effective_limit()),
        (credits(10), credits(5), Some(credits(5)), Some(credits(15)))
    );
    assert_eq!(u.used_ratio(), Some(10.0 / 15.0));
    // Other windows are untouched by a one-window grant.
    assert_eq!(
        counts(l, tenant("acme"), t0(), Window::Monthly).await,
        (0, credits(10))
    );
    held(
        l.hold(HoldRequest {
            amount: credits(3),
            ..r
        })
        .await
        .unwrap(),
    );
    // A debit on all windows of the org.
    let debit = Adjustment {
        scope: Scope::Org,
        window: None,
        amount: credits(-2),
        ..grant
    };
    l.adjust(debit).await.unwrap();
    for w in Window::ALL {
        let u = window(l, Scope::Org, daily(100), chrono_tz::UTC, t0(), w).await;
        assert_eq!((u.spent, u.granted), (credits(10), credits(-2)), "{w:?}");
    }
    let u = window(
        l,
        Scope::Org,
        daily(100),
        chrono_tz::UTC,
        t0(),
        Window::Daily,
    )
    .await;
    // 100 configured - 2 debited - 3 held - 10 spent.
    assert_eq!(u.remaining, Some(credits(85)));
    let adj: Vec<_> = all_journal(l)
        .await
        .into_iter()
        .filter(|e| e.kind == JournalKind::Adjust)
        .collect();
    assert_eq!(adj.len(), 2);
    assert_eq!(adj[0].actor.as_deref(), Some("ops@example"));
    assert_eq!(
        (adj[0].scope.clone(), adj[0].amount),
        (tenant("acme"), credits(5))
    );
    assert_eq!(
        (adj[1].scope.clone(), adj[1].amount),
        (Scope::Org, credits(-2))
    );
}

/// A live session's current minute, or a waiting token's hold, is left to
/// the meter past its TTL (the gateway was down longer than the TTL):
/// expired, it could be neither moved on nor ended. Other holds expire.
pub async fn a_sessions_current_minute_is_left_to_the_meter(f: Fixture) {
    let l = f.ledger.as_ref();
    let minute = |ttl_min| {
        let mut r = req("acme", credits(1), t0());
        r.expires_at = t0() + Duration::minutes(ttl_min);
        r
    };
    let live = held(l.hold(minute(10)).await.unwrap());
    let token = held(l.hold(minute(10)).await.unwrap());
    let plain = held(l.hold(minute(10)).await.unwrap());
    let (row, on) = (
        crate::cases_sessions::session_row,
        crate::cases_sessions::on,
    );
    l.open_session(&row("s1", &live, "live")).await.unwrap();
    l.open_session(&row("token:t", &token, "token"))
        .await
        .unwrap();
    let expired = l.expire_holds(t0() + Duration::minutes(11)).await.unwrap();
    let ids: Vec<&str> = expired.iter().map(|x| x.hold_id.as_str()).collect();
    assert_eq!(ids, [plain.as_str()]);
    // The meter, back after the downtime, moves the session on and ends it.
    let next = l
        .next_session_minute(on("s1", &live, None), minute(30), 61_000_000, 61_000_000)
        .await
        .unwrap();
    let NextMinute::Held { hold_id, .. } = next else {
        panic!("{next:?}");
    };
    assert!(l
        .end_session("s1", &hold_id, "client", 90_000_000, credits(1))
        .await
        .unwrap()
        .is_some());
    let s = session(l, "s1").await;
    assert_eq!((s.state.as_str(), s.captured), ("stopped", credits(2)));
}
