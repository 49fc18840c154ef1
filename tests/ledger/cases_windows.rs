//! Calendar windows with an injected `now`: rollovers, ISO weeks, a local
//! time zone, and charges staying in the period where they were held.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use heygen_gateway::config::Budgets;
use heygen_gateway::ledger::*;

use crate::support::*;
use crate::Fixture;

fn budgeted(amount: i64, b: Budgets, tz: Tz, now: DateTime<Utc>) -> HoldRequest {
    let mut r = req("acme", credits(amount), now);
    r.tenant_budgets = b;
    r.tz = tz;
    r
}

pub async fn daily_rollover(f: Fixture) {
    let l = f.ledger.as_ref();
    let late = at("2026-11-24T23:59:59Z");
    held(
        l.hold(budgeted(5, daily(5), chrono_tz::UTC, late))
            .await
            .unwrap(),
    );
    let s = shortfall(
        l.hold(budgeted(1, daily(5), chrono_tz::UTC, late))
            .await
            .unwrap(),
    );
    assert_eq!(s.resets_at, Some(at("2026-11-25T00:00:00Z")));
    let next = at("2026-11-25T00:00:00Z");
    match l
        .hold(budgeted(5, daily(5), chrono_tz::UTC, next))
        .await
        .unwrap()
    {
        HoldDecision::Held { remaining, .. } => {
            assert_eq!(remaining, Some((tenant("acme"), Window::Daily, 0)));
        }
        other => panic!("{other:?}"),
    }
    let u = window(
        l,
        tenant("acme"),
        daily(5),
        chrono_tz::UTC,
        next,
        Window::Daily,
    )
    .await;
    assert_eq!((u.period.as_str(), u.held), ("2026-11-25", credits(5)));
    assert_eq!(u.resets_at, Some(at("2026-11-26T00:00:00Z")));
    // The weekly window saw both.
    assert_eq!(
        counts(l, tenant("acme"), next, Window::Weekly).await.0,
        credits(10)
    );
}

pub async fn month_and_iso_week_rollover(f: Fixture) {
    let l = f.ledger.as_ref();
    let utc = chrono_tz::UTC;
    let weekly = Budgets {
        weekly: Some(credits(4)),
        ..Budgets::default()
    };
    // Sunday 29 November 2026 is the end of ISO week 48.
    let sunday = at("2026-11-29T22:00:00Z");
    held(l.hold(budgeted(4, weekly, utc, sunday)).await.unwrap());
    let s = shortfall(l.hold(budgeted(1, weekly, utc, sunday)).await.unwrap());
    assert_eq!(
        (s.window, s.resets_at),
        (Window::Weekly, Some(at("2026-11-30T00:00:00Z")))
    );
    held(
        l.hold(budgeted(4, weekly, utc, at("2026-11-30T00:00:01Z")))
            .await
            .unwrap(),
    );
    // Monthly: 30 November is still November, 1 December is not.
    let nov = at("2026-11-30T10:00:00Z");
    let s = shortfall(l.hold(budgeted(1, monthly(8), utc, nov)).await.unwrap());
    assert_eq!((s.window, s.remaining), (Window::Monthly, 0));
    assert_eq!(s.resets_at, Some(at("2026-12-01T00:00:00Z")));
    held(
        l.hold(budgeted(8, monthly(8), utc, at("2026-12-01T00:00:00Z")))
            .await
            .unwrap(),
    );
    // New year: 1 January 2027 is in 2026-W53 but a new month.
    let ny = at("2027-01-01T09:00:00Z");
    let u = window(l, tenant("acme"), weekly, utc, ny, Window::Weekly).await;
    assert_eq!((u.period.as_str(), u.held), ("2026-W53", 0));
    assert_eq!(u.resets_at, Some(at("2027-01-04T00:00:00Z")));
    assert_eq!(counts(l, tenant("acme"), ny, Window::Monthly).await, (0, 0));
    // Total never resets.
    assert_eq!(
        counts(l, tenant("acme"), ny, Window::Total).await.0,
        credits(16)
    );
}

pub async fn local_time_zone_windows(f: Fixture) {
    let l = f.ledger.as_ref();
    let berlin = chrono_tz::Europe::Berlin;
    // 22:30 UTC on 30 November is 23:30 in Berlin: still November there.
    let before = at("2026-11-30T22:30:00Z");
    held(
        l.hold(budgeted(6, monthly(6), berlin, before))
            .await
            .unwrap(),
    );
    let s = shortfall(
        l.hold(budgeted(1, monthly(6), berlin, before))
            .await
            .unwrap(),
    );
    assert_eq!(s.resets_at, Some(at("2026-11-30T23:00:00Z")));
    // 23:00 UTC is midnight in Berlin: December, while UTC is still in November.
    let after = at("2026-11-30T23:00:00Z");
    held(
        l.hold(budgeted(6, monthly(6), berlin, after))
            .await
            .unwrap(),
    );
    let u = window(
        l,
        tenant("acme"),
        monthly(6),
        berlin,
        after,
        Window::Monthly,
    )
    .await;
    assert_eq!(
        (u.period.as_str(), u.held, u.remaining),
        ("2026-12", credits(6), Some(0))
    );
    let d = window(l, tenant("acme"), daily(100), berlin, after, Window::Daily).await;
    assert_eq!(d.period, "2026-12-01");
    assert_eq!(d.resets_at, Some(at("2026-12-01T23:00:00Z")));
}

/// A hold taken before midnight and settled after it charges the day it
/// was held; the new day starts clean.
pub async fn charges_stay_in_the_window_they_were_held(f: Fixture) {
    let l = f.ledger.as_ref();
    let utc = chrono_tz::UTC;
    let day1 = at("2026-11-24T23:50:00Z");
    let id = held(l.hold(budgeted(5, daily(10), utc, day1)).await.unwrap());
    l.submit(&id, &[job("vid-midnight", credits(5))])
        .await
        .unwrap();
    f.clock.set(at("2026-11-25T00:20:00Z"));
    let cost = JobSettlement::Completed { cost: credits(7) };
    settled(l.settle_job("vid-midnight", cost, "webhook").await.unwrap());
    assert_eq!(
        counts(l, tenant("acme"), day1, Window::Daily).await,
        (0, credits(7))
    );
    let day2 = at("2026-11-25T08:00:00Z");
    assert_eq!(counts(l, tenant("acme"), day2, Window::Daily).await, (0, 0));
    assert_eq!(
        counts(l, tenant("acme"), day2, Window::Weekly).await,
        (0, credits(7))
    );
    held(l.hold(budgeted(10, daily(10), utc, day2)).await.unwrap());
}
