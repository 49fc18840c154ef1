//! The checks on both backends.

use heygen_gateway::ledger::audit::{Check, Report};

use crate::fixture::{self, Fixture};

fn only(r: &Report, check: Check) -> Vec<heygen_gateway::ledger::audit::Violation> {
    assert!(!r.ok, "expected a violation:\n{}", r.to_text());
    assert!(
        r.violations.iter().all(|v| v.check == check),
        "only {check:?} expected:\n{}",
        r.to_text()
    );
    r.of(check).cloned().collect()
}

async fn clean_after_workload(f: Fixture) {
    f.workload().await;
    let r = f.verify().await;
    assert!(r.ok, "{}", r.to_text());
    assert_eq!(r.stats.holds, 6);
    assert_eq!(r.stats.jobs, 5);
    assert_eq!(r.stats.adjustments, 2);
    assert_eq!(r.stats.idempotency.keys, 3);
    assert_eq!(r.stats.idempotency.linked, 1);
    assert_eq!(r.stats.idempotency.unlinked, 2);
}

async fn counter_off_by_one(f: Fixture) {
    f.workload().await;
    f.sql("UPDATE counters SET held = held + 1 WHERE scope = 'tenant:beta' AND win = 'monthly'")
        .await;
    let v = only(&f.verify().await, Check::Counter);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].scope.as_deref(), Some("beta"));
    assert_eq!(v[0].window.as_deref(), Some("monthly"));
    assert_eq!(v[0].period.as_deref(), Some("2026-11"));
    assert_eq!(v[0].expected, "held 4 spent 0");
    assert_eq!(v[0].found, "held 4.000001 spent 0");
}

async fn released_hold_marked_captured(f: Fixture) {
    let (released, _) = f.workload().await;
    f.sql(&format!(
        "UPDATE holds SET state = 'captured' WHERE hold_id = '{released}'"
    ))
    .await;
    let v = only(&f.verify().await, Check::CapturedAndReleased);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].hold_id.as_deref(), Some(released.as_str()));
    assert_eq!(
        (v[0].expected.as_str(), v[0].found.as_str()),
        ("released", "captured")
    );
}

async fn expired_but_held(f: Fixture) {
    let (_, open) = f.workload().await;
    let past = (fixture::now() - chrono::Duration::hours(1)).timestamp_micros();
    f.sql(&format!(
        "UPDATE holds SET expires_us = {past} WHERE hold_id = '{open}'"
    ))
    .await;
    let v = only(&f.verify().await, Check::Overdue);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].hold_id.as_deref(), Some(open.as_str()));
    assert!(v[0].found.starts_with("submitted"), "{:?}", v[0]);
}

async fn job_without_owner(f: Fixture) {
    let (_, open) = f.workload().await;
    f.sql("DELETE FROM resources WHERE resource_id = 'j-open'")
        .await;
    let v = only(&f.verify().await, Check::JobOwner);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].job_id.as_deref(), Some("j-open"));
    assert_eq!(v[0].hold_id.as_deref(), Some(open.as_str()));
    assert_eq!(v[0].expected, "owner tenant beta");
}

async fn held_column_not_conserved(f: Fixture) {
    let (_, open) = f.workload().await;
    f.sql(&format!(
        "UPDATE holds SET held_open = held_open - 1 WHERE hold_id = '{open}'"
    ))
    .await;
    let v = only(&f.verify().await, Check::Conservation);
    assert_eq!(v.len(), 1);
    assert_eq!(
        (v[0].expected.as_str(), v[0].found.as_str()),
        ("held 4", "held 3.999999")
    );
}

async fn idempotency_names_a_missing_hold(f: Fixture) {
    f.workload().await;
    f.sql(
        "UPDATE idempotency SET headers = '[[\"x-gateway-hold-id\",\"hold_gone\"]]' \
         WHERE key = 'k-refused'",
    )
    .await;
    let v = only(&f.verify().await, Check::Idempotency);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].idempotency_key.as_deref(), Some("acme/k-refused"));
    assert_eq!(v[0].found, "no such hold");
}

macro_rules! both {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(crate::fixture::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(crate::fixture::postgres().await).await;
                }
            )*
        }
    };
}

both!(
    clean_after_workload,
    counter_off_by_one,
    released_hold_marked_captured,
    expired_but_held,
    job_without_owner,
    held_column_not_conserved,
    idempotency_names_a_missing_hold,
);
