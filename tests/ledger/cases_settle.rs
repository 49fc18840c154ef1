//! Settlement: capture below/above, multi-job holds, idempotent
//! redelivery, invalid transitions.

use chrono::Duration;
use heygen_gateway::ledger::*;

use crate::support::*;
use crate::Fixture;

pub async fn capture_below_and_above_hold(f: Fixture) {
    let l = f.ledger.as_ref();
    let budget = || {
        let mut r = req("acme", 0, t0());
        r.tenant_budgets = daily(10);
        r
    };
    // Per-call feature captured below its hold: the rest is freed.
    let id = held(
        l.hold(HoldRequest {
            amount: credits(6),
            ..budget()
        })
        .await
        .unwrap(),
    );
    let s = l.capture_hold(&id, credits(2)).await.unwrap();
    assert_eq!(
        (s.captured, s.released, s.overage),
        (credits(2), credits(4), 0)
    );
    assert_eq!(
        counts(l, tenant("acme"), t0(), Window::Daily).await,
        (0, credits(2))
    );
    // A render that ends up longer than projected: overage recorded.
    let id = held(
        l.hold(HoldRequest {
            amount: credits(8),
            ..budget()
        })
        .await
        .unwrap(),
    );
    l.submit(&id, &[job("vid-long", credits(8))]).await.unwrap();
    let s = settled(
        l.settle_job(
            "vid-long",
            JobSettlement::Completed { cost: credits(12) },
            "webhook",
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        (s.captured, s.released, s.overage),
        (credits(12), 0, credits(4))
    );
    assert_eq!(s.hold_state, HoldState::Captured);
    let u = window(
        l,
        tenant("acme"),
        daily(10),
        chrono_tz::UTC,
        t0(),
        Window::Daily,
    )
    .await;
    assert_eq!(
        (u.held, u.spent, u.remaining),
        (0, credits(14), Some(credits(-4)))
    );
    // The budget is negative: the next hold is refused until there is room.
    let s = shortfall(
        l.hold(HoldRequest {
            amount: credits(1),
            ..budget()
        })
        .await
        .unwrap(),
    );
    assert_eq!(s.remaining, credits(-4));
    // A free hold still passes (it cannot overspend).
    held(l.hold(budget()).await.unwrap());
    let info = l.get_hold(&id).await.unwrap().unwrap();
    assert_eq!(
        (info.held, info.captured, info.amount),
        (0, credits(12), credits(8))
    );
    // The journal rebuilds spent exactly.
    let j = all_journal(l).await;
    assert_eq!(journal_spent(&j, &tenant("acme")), credits(14));
    assert_eq!(journal_spent(&j, &Scope::Org), credits(14));
}

/// A translation to three languages: one hold, three jobs; the hold stays
/// submitted until every job is terminal.
pub async fn multi_job_translation(f: Fixture) {
    let l = f.ledger.as_ref();
    let id = held(l.hold(req("acme", credits(30), t0())).await.unwrap());
    l.submit(
        &id,
        &[
            job("tr-fr", credits(10)),
            job("tr-de", credits(10)),
            job("tr-es", credits(10)),
        ],
    )
    .await
    .unwrap();
    let s = settled(
        l.settle_job(
            "tr-fr",
            JobSettlement::Completed { cost: credits(8) },
            "status",
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        (s.captured, s.released, s.hold_state),
        (credits(8), credits(2), HoldState::Submitted)
    );
    assert_eq!(
        counts(l, Scope::Org, t0(), Window::Total).await,
        (credits(20), credits(8))
    );
    let s = settled(
        l.settle_job("tr-de", JobSettlement::Failed, "webhook")
            .await
            .unwrap(),
    );
    assert_eq!(
        (s.captured, s.released, s.hold_state),
        (0, credits(10), HoldState::Submitted)
    );
    let s = settled(
        l.settle_job(
            "tr-es",
            JobSettlement::Completed { cost: credits(10) },
            "poller",
        )
        .await
        .unwrap(),
    );
    assert_eq!(s.hold_state, HoldState::Captured);
    assert_eq!(
        counts(l, Scope::Org, t0(), Window::Total).await,
        (0, credits(18))
    );
    let info = l.get_hold(&id).await.unwrap().unwrap();
    assert_eq!(
        (info.state, info.held, info.captured),
        (HoldState::Captured, 0, credits(18))
    );
    assert!(info.settled_at.is_some());
    assert!(l
        .jobs_to_poll(t0() + Duration::days(1), 10)
        .await
        .unwrap()
        .is_empty());
    let submit = all_journal(l)
        .await
        .into_iter()
        .find(|e| e.kind == JournalKind::Submit)
        .unwrap();
    assert_eq!(submit.upstream_ids, ["tr-fr", "tr-de", "tr-es"]);

    // All jobs failed: the hold is released.
    let id = held(l.hold(req("acme", credits(4), t0())).await.unwrap());
    l.submit(&id, &[job("x1", credits(2)), job("x2", credits(2))])
        .await
        .unwrap();
    l.settle_job("x1", JobSettlement::Failed, "status")
        .await
        .unwrap();
    let s = settled(
        l.settle_job("x2", JobSettlement::Failed, "status")
            .await
            .unwrap(),
    );
    assert_eq!(s.hold_state, HoldState::Released);
    assert_eq!(
        counts(l, Scope::Org, t0(), Window::Total).await,
        (0, credits(18))
    );
}

/// Redelivered webhooks and repeated status reads change nothing.
pub async fn settlement_is_idempotent(f: Fixture) {
    let l = f.ledger.as_ref();
    let id = held(l.hold(req("acme", credits(5), t0())).await.unwrap());
    l.submit(&id, &[job("vid-1", credits(5))]).await.unwrap();
    l.submit(&id, &[job("vid-1", credits(5))]).await.unwrap(); // retried submit
    let done = JobSettlement::Completed { cost: credits(3) };
    settled(l.settle_job("vid-1", done, "webhook").await.unwrap());
    let before = (
        counts(l, Scope::Org, t0(), Window::Total).await,
        all_journal(l).await.len(),
    );
    for source in ["webhook", "status", "poller"] {
        assert_eq!(
            l.settle_job("vid-1", done, source).await.unwrap(),
            SettleResult::AlreadySettled
        );
    }
    assert_eq!(
        l.settle_job("vid-1", JobSettlement::Failed, "status")
            .await
            .unwrap(),
        SettleResult::AlreadySettled
    );
    let after = (
        counts(l, Scope::Org, t0(), Window::Total).await,
        all_journal(l).await.len(),
    );
    assert_eq!(before, after);
    assert_eq!(after.0, (0, credits(3)));
}

pub async fn unknown_job_and_invalid_transitions(f: Fixture) {
    let l = f.ledger.as_ref();
    assert_eq!(
        l.settle_job("nope", JobSettlement::Failed, "webhook")
            .await
            .unwrap(),
        SettleResult::UnknownJob
    );
    assert!(matches!(
        l.release("hold_missing", "x").await,
        Err(LedgerError::NotFound(_))
    ));
    assert!(matches!(
        l.submit("hold_missing", &[job("j", 1)]).await,
        Err(LedgerError::NotFound(_))
    ));
    assert!(matches!(
        l.hold(req("acme", -1, t0())).await,
        Err(LedgerError::InvalidState(_))
    ));
    assert!(matches!(
        l.hold(req("", 1, t0())).await,
        Err(LedgerError::InvalidState(_))
    ));
    let a = held(l.hold(req("acme", credits(1), t0())).await.unwrap());
    let b = held(l.hold(req("acme", credits(1), t0())).await.unwrap());
    l.submit(&a, &[job("shared", credits(1))]).await.unwrap();
    assert!(matches!(
        l.submit(&b, &[job("shared", credits(1))]).await,
        Err(LedgerError::Conflict(_))
    ));
    assert!(matches!(
        l.submit(&b, &[]).await,
        Err(LedgerError::InvalidState(_))
    ));
    assert!(matches!(
        l.release(&a, "late").await,
        Err(LedgerError::InvalidState(_))
    ));
    assert!(matches!(
        l.capture_hold(&a, 1).await,
        Err(LedgerError::InvalidState(_))
    ));
    l.release(&b, "upstream 400").await.unwrap();
    assert!(matches!(
        l.submit(&b, &[job("j2", 1)]).await,
        Err(LedgerError::InvalidState(_))
    ));
    // A failed transition leaves nothing behind.
    assert_eq!(
        counts(l, Scope::Org, t0(), Window::Total).await,
        (credits(1), 0)
    );
}
