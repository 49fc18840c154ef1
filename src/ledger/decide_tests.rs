use chrono::{DateTime, Utc};

use super::*;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn req(amount: Micros) -> HoldRequest {
    HoldRequest {
        tenant: "t1".into(),
        feature: "avatar_video".into(),
        route: "POST /v2/video/generate".into(),
        amount,
        price_version: "v1".into(),
        request_id: "r1".into(),
        tz: chrono_tz::UTC,
        now: now(),
        expires_at: now(),
        tenant_budgets: Budgets::default(),
        org_budgets: Budgets::default(),
        tenant_shadow: false,
        org_shadow: false,
        render: false,
        render_lease: std::time::Duration::ZERO,
        tenant_render_cap: None,
        org_render_cap: None,
        session_cap: None,
        idem: None,
        contact_project: None,
    }
}

fn set(entries: &[(&str, Window, Micros, Micros)]) -> CounterSet {
    let mut s = CounterSet::default();
    for (scope, w, held, spent) in entries {
        s.insert(
            scope.to_string(),
            *w,
            Counter {
                held: *held,
                spent: *spent,
                granted: 0,
            },
        );
    }
    s
}

#[test]
fn unlimited_scopes_admit_and_report_no_remaining() {
    match evaluate(&req(5), &CounterSet::default(), RenderCounts::default()) {
        Evaluation::Accept {
            remaining,
            shadow_shortfalls,
        } => {
            assert_eq!(remaining, None);
            assert!(shadow_shortfalls.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn exact_fit_admits_and_one_more_micro_refuses() {
    let mut r = req(10);
    r.tenant_budgets.daily = Some(30);
    let c = set(&[("tenant:t1", Window::Daily, 15, 5)]);
    match evaluate(&r, &c, RenderCounts::default()) {
        Evaluation::Accept { remaining, .. } => {
            assert_eq!(
                remaining,
                Some((Scope::Tenant("t1".into()), Window::Daily, 0))
            );
        }
        other => panic!("{other:?}"),
    }
    r.amount = 11;
    match evaluate(&r, &c, RenderCounts::default()) {
        Evaluation::Refuse(HoldDecision::Insufficient(s)) => {
            assert_eq!(s.window, Window::Daily);
            assert_eq!(s.remaining, 10);
            assert_eq!(s.required, 11);
            assert!(s.resets_at.is_some());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn grants_raise_and_debits_lower_the_room() {
    let mut r = req(3);
    r.tenant_budgets.daily = Some(10);
    let mut c = CounterSet::default();
    let row = |granted| Counter {
        held: 0,
        spent: 10,
        granted,
    };
    c.insert("tenant:t1".into(), Window::Daily, row(5));
    match evaluate(&r, &c, RenderCounts::default()) {
        Evaluation::Accept { remaining, .. } => {
            assert_eq!(remaining.map(|(_, _, m)| m), Some(2));
        }
        other => panic!("{other:?}"),
    }
    c.insert("tenant:t1".into(), Window::Daily, row(-1));
    match evaluate(&r, &c, RenderCounts::default()) {
        Evaluation::Refuse(HoldDecision::Insufficient(s)) => assert_eq!(s.remaining, -1),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_window_that_never_resets_wins_across_scopes() {
    let mut r = req(10);
    r.tenant_budgets.monthly = Some(8);
    r.org_budgets.total = Some(3);
    match evaluate(&r, &CounterSet::default(), RenderCounts::default()) {
        Evaluation::Refuse(HoldDecision::Insufficient(s)) => {
            assert_eq!(s.scope, Scope::Org);
            assert_eq!(s.window, Window::Total);
            assert_eq!(s.resets_at, None);
        }
        other => panic!("{other:?}"),
    }
}

/// Today's window is spent out and the total nearly: retrying after
/// midnight would fail on the total, which never resets, so the refusal
/// names the total (no `Retry-After`), not the day with less room.
#[test]
fn the_failing_window_that_resets_last_is_named() {
    let mut r = req(5);
    r.tenant_budgets.daily = Some(50);
    r.tenant_budgets.monthly = Some(53);
    r.tenant_budgets.total = Some(100);
    let counters = set(&[
        ("tenant:t1", Window::Daily, 0, 50),
        ("tenant:t1", Window::Monthly, 0, 50),
        ("tenant:t1", Window::Total, 0, 98),
    ]);
    match evaluate(&r, &counters, RenderCounts::default()) {
        Evaluation::Refuse(HoldDecision::Insufficient(s)) => {
            assert_eq!(
                (s.window, s.remaining, s.resets_at),
                (Window::Total, 2, None)
            );
        }
        other => panic!("{other:?}"),
    }
    // Without the total, the month (resetting after the day) is named.
    r.tenant_budgets.total = None;
    match evaluate(&r, &counters, RenderCounts::default()) {
        Evaluation::Refuse(HoldDecision::Insufficient(s)) => {
            assert_eq!((s.window, s.remaining), (Window::Monthly, 3));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn tie_prefers_the_window_that_resets_last() {
    let mut r = req(10);
    r.tenant_budgets.daily = Some(5);
    r.tenant_budgets.monthly = Some(5);
    match evaluate(&r, &CounterSet::default(), RenderCounts::default()) {
        Evaluation::Refuse(HoldDecision::Insufficient(s)) => assert_eq!(s.window, Window::Monthly),
        other => panic!("{other:?}"),
    }
}

/// A render over the day's whole limit can never pass the day, whatever
/// the month has left: the refusal says so and names no reset to wait for.
#[test]
fn an_amount_over_a_windows_whole_limit_never_fits() {
    let mut r = req(10);
    r.tenant_budgets.daily = Some(5);
    r.tenant_budgets.monthly = Some(100);
    let counters = set(&[("tenant:t1", Window::Monthly, 0, 95)]);
    match evaluate(&r, &counters, RenderCounts::default()) {
        Evaluation::Refuse(HoldDecision::Insufficient(s)) => {
            assert_eq!((s.window, s.never_fits), (Window::Daily, true));
        }
        other => panic!("{other:?}"),
    }
    // Within the day's limit, only spent out: waiting for midnight helps.
    r.amount = 5;
    let counters = set(&[("tenant:t1", Window::Daily, 0, 1)]);
    match evaluate(&r, &counters, RenderCounts::default()) {
        Evaluation::Refuse(HoldDecision::Insufficient(s)) => {
            assert_eq!((s.window, s.never_fits), (Window::Daily, false));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn shadow_scope_reports_but_admits() {
    let mut r = req(10);
    r.org_budgets.daily = Some(5);
    r.org_shadow = true;
    match evaluate(&r, &CounterSet::default(), RenderCounts::default()) {
        Evaluation::Accept {
            shadow_shortfalls,
            remaining,
        } => {
            assert_eq!(shadow_shortfalls.len(), 1);
            assert_eq!(shadow_shortfalls[0].scope, Scope::Org);
            assert_eq!(remaining, Some((Scope::Org, Window::Daily, -5)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn zero_amount_passes_a_negative_window() {
    let mut r = req(0);
    r.tenant_budgets.daily = Some(5);
    let c = set(&[("tenant:t1", Window::Daily, 0, 9)]);
    assert!(matches!(
        evaluate(&r, &c, RenderCounts::default()),
        Evaluation::Accept { .. }
    ));
}

#[test]
fn render_caps_refuse_at_the_cap() {
    let mut r = req(1);
    r.render = true;
    r.tenant_render_cap = Some(2);
    r.org_render_cap = Some(5);
    assert!(needs_render_count(&r));
    let counts = RenderCounts { tenant: 2, org: 2 };
    match evaluate(&r, &CounterSet::default(), counts) {
        Evaluation::Refuse(HoldDecision::RenderCapReached { scope, cap }) => {
            assert_eq!(scope, Scope::Tenant("t1".into()));
            assert_eq!(cap, 2);
        }
        other => panic!("{other:?}"),
    }
    let counts = RenderCounts { tenant: 1, org: 5 };
    assert!(matches!(
        evaluate(&r, &CounterSet::default(), counts),
        Evaluation::Refuse(HoldDecision::RenderCapReached {
            scope: Scope::Org,
            cap: 5
        })
    ));
    r.render = false;
    assert!(!needs_render_count(&r));
}

#[test]
fn hold_keys_cover_both_scopes_and_all_windows_sorted() {
    let periods = Periods::at(now(), chrono_tz::UTC);
    let keys = crate::ledger::rows::hold_keys("t1", &periods);
    assert_eq!(keys.len(), 8);
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(keys
        .iter()
        .any(|k| k.scope == "org" && k.period == "2026-W48"));
}
