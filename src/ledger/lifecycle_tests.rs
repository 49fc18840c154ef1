use super::*;
use crate::ledger::types::JobSettlement;
use crate::ledger::window::Periods;

fn hold(amount: Micros) -> HoldRow {
    HoldRow {
        hold_id: "hold_1".into(),
        tenant: "t".into(),
        feature: "video_translation".into(),
        route: "POST /v2/video_translate".into(),
        amount,
        held_open: amount,
        captured: 0,
        state: HoldState::Held,
        render: true,
        price_version: "v".into(),
        request_id: "r".into(),
        periods: Periods {
            daily: "2026-11-24".into(),
            weekly: "2026-W48".into(),
            monthly: "2026-11".into(),
        },
        created_us: 0,
        expires_us: 10,
        settled_us: None,
    }
}

fn rec(id: &str, held: Micros) -> JobRecord {
    JobRecord {
        job_id: id.into(),
        feature: "video_translation".into(),
        status_path: format!("/v2/video_translate/{id}"),
        held,
        items: Vec::new(),
    }
}

fn submitted(amount: Micros, shares: &[(&str, Micros)]) -> (HoldRow, Vec<JobRow>) {
    let h = hold(amount);
    let records: Vec<JobRecord> = shares.iter().map(|(id, s)| rec(id, *s)).collect();
    let e = submit(&h, &[], &records, 1).unwrap();
    (e.hold.unwrap(), e.insert_jobs)
}

#[test]
fn submit_moves_to_submitted_and_ignores_duplicates() {
    let (h, jobs) = submitted(30, &[("a", 10), ("b", 20), ("a", 10)]);
    assert_eq!(h.state, HoldState::Submitted);
    assert_eq!(jobs.len(), 2);
    let again = submit(&h, &jobs, &[rec("a", 10)], 2).unwrap();
    assert!(again.hold.is_none() && again.journal.is_empty());
    let mut other = jobs[0].clone();
    other.hold_id = "hold_2".into();
    assert!(matches!(
        submit(&h, &[other], &[rec("a", 10)], 2),
        Err(LedgerError::Conflict(_))
    ));
}

#[test]
fn settling_all_jobs_finalises_the_hold() {
    let (h, mut jobs) = submitted(30, &[("a", 10), ("b", 20)]);
    let JobStep::Apply(e, s) = settle_job(
        &h,
        &jobs,
        "a",
        JobSettlement::Completed { cost: 4 },
        "webhook",
        5,
    )
    .unwrap() else {
        panic!("expected apply")
    };
    assert_eq!((e.held_delta, e.spent_delta), (-10, 4));
    assert_eq!((s.captured, s.released, s.overage), (4, 6, 0));
    assert_eq!(s.hold_state, HoldState::Submitted);
    let h = e.hold.unwrap();
    jobs[0] = e.update_jobs[0].clone();
    let JobStep::Apply(e, s) = settle_job(
        &h,
        &jobs,
        "b",
        JobSettlement::Completed { cost: 25 },
        "poller",
        6,
    )
    .unwrap() else {
        panic!("expected apply")
    };
    assert_eq!((e.held_delta, e.spent_delta), (-20, 25));
    assert_eq!(s.overage, 5);
    assert_eq!(s.hold_state, HoldState::Captured);
    jobs[1] = e.update_jobs[0].clone();
    let h = e.hold.unwrap();
    assert_eq!((h.held_open, h.captured), (0, 29));
    assert!(matches!(
        settle_job(&h, &jobs, "b", JobSettlement::Failed, "status", 7).unwrap(),
        JobStep::AlreadySettled
    ));
}

#[test]
fn all_failed_releases_and_unallocated_remainder_is_freed() {
    let (h, jobs) = submitted(30, &[("a", 10)]);
    let JobStep::Apply(e, s) =
        settle_job(&h, &jobs, "a", JobSettlement::Failed, "status", 5).unwrap()
    else {
        panic!("expected apply")
    };
    assert_eq!((e.held_delta, e.spent_delta), (-30, 0));
    assert_eq!(s.released, 30);
    assert_eq!(s.hold_state, HoldState::Released);
}

#[test]
fn expiry_captures_held_and_late_settlement_corrects() {
    let (h, jobs) = submitted(30, &[("a", 30)]);
    let (e, x) = expire(&h, &jobs, 9).unwrap();
    assert_eq!((e.held_delta, e.spent_delta, x.captured), (-30, 30, 30));
    let h = e.hold.unwrap();
    assert_eq!(h.state, HoldState::Expired);
    assert!(expire(&h, &e.update_jobs, 10).is_none());
    let JobStep::Apply(e, s) = settle_job(
        &h,
        &e.update_jobs,
        "a",
        JobSettlement::Completed { cost: 12 },
        "webhook",
        11,
    )
    .unwrap() else {
        panic!("expected apply")
    };
    assert_eq!((e.held_delta, e.spent_delta), (0, -18));
    assert_eq!(s.hold_state, HoldState::Expired);
    assert_eq!(e.hold.unwrap().captured, 12);
}

#[test]
fn release_and_capture_rules() {
    let h = hold(10);
    let e = release(&h, "upstream 500", 1).unwrap();
    assert_eq!(e.held_delta, -10);
    let released = e.hold.unwrap();
    assert!(release(&released, "again", 2).unwrap().hold.is_none());
    assert!(matches!(
        capture(&released, 5, 2),
        Err(LedgerError::InvalidState(_))
    ));
    assert!(matches!(
        submit(&released, &[], &[rec("a", 1)], 2),
        Err(LedgerError::InvalidState(_))
    ));
    let (e, s) = capture(&h, 15, 3).unwrap();
    assert_eq!((e.held_delta, e.spent_delta, s.overage), (-10, 15, 5));
}

#[test]
fn huge_upstream_costs_saturate_instead_of_overflowing() {
    let (h, mut jobs) = submitted(30, &[("a", 10), ("b", 20)]);
    let max = JobSettlement::Completed { cost: Micros::MAX };
    let JobStep::Apply(e, _) = settle_job(&h, &jobs, "a", max, "status", 5).unwrap() else {
        panic!("expected apply")
    };
    let h = e.hold.unwrap();
    jobs[0] = e.update_jobs[0].clone();
    let JobStep::Apply(e, s) = settle_job(&h, &jobs, "b", max, "status", 6).unwrap() else {
        panic!("expected apply")
    };
    assert_eq!(e.hold.unwrap().captured, Micros::MAX);
    assert_eq!(s.hold_state, HoldState::Captured);
}
