//! Replays that must come out exact: adjustments stored as spend before
//! grants existed, and every outcome of a two-job settlement.
//!
//! Their own file, beside `tests.rs` (the in-memory ledger and the clean
//! workload) and `tests_damage.rs` (damage the checker must name).

use super::tests::{cost, t0, workload, Mem, C};
use crate::ledger::decide::{adjust_keys, Counter};
use crate::ledger::types::*;
use crate::ledger::window::{Periods, Window};

/// An adjustment journaled before migration 5 was written into `spent`;
/// the audit expects it there, and a grant in `spent` after it is flagged.
#[test]
fn adjustments_before_grants_existed_count_as_spend() {
    let mut m = workload();
    let keys = adjust_keys(
        &Scope::Tenant("acme".into()),
        Some(Window::Daily),
        &Periods::at(t0(), chrono_tz::UTC),
    );
    // Rewrite the acme grant (3 credits) as the old ledger stored it.
    m.add_counter(
        keys,
        Counter {
            spent: -3 * C,
            granted: -3 * C,
            ..Counter::default()
        },
    );
    let r = m.report();
    assert!(
        !r.ok,
        "a grant stored as spend after migration 5 must differ"
    );
    m.snap.grants_from_seq = i64::MAX;
    // The org debit is now expected in spent too: move it there.
    let org = adjust_keys(&Scope::Org, None, &Periods::at(t0(), chrono_tz::UTC));
    m.add_counter(
        org,
        Counter {
            spent: 2 * C,
            granted: 2 * C,
            ..Counter::default()
        },
    );
    let r = m.report();
    assert!(r.ok, "{}", r.to_text());
}

#[test]
fn every_two_job_settlement_replays_exactly() {
    for (a, b) in [(0, 0), (3, 20), (20, 3), (10, 10), (25, 25)] {
        for fail_b in [false, true] {
            let mut m = Mem::default();
            m.hold("h", 20 * C, t0(), 48);
            m.submit("h", &[("a", 8 * C), ("b", 8 * C)]);
            m.settle("a", cost(a * C));
            m.settle(
                "b",
                if fail_b {
                    JobSettlement::Failed
                } else {
                    cost(b * C)
                },
            );
            let r = m.report();
            assert!(r.ok, "a={a} b={b} fail_b={fail_b}: {}", r.to_text());
        }
    }
}

/// Placeholders (contacts, Video Agent requests) are renamed to the video
/// bound to them after their submit row: the settlement rows name the
/// video, and the replay must count them against the placeholders.
#[test]
fn videos_bound_to_placeholders_replay_exactly() {
    let placeholders = [
        crate::ledger::agent_placeholder_id("s1", "h", 0),
        crate::ledger::placeholder_id("p1", "h2", 0),
        crate::ledger::placeholder_id("p1", "h2", 1),
    ];
    for (over, fail_last) in [(false, false), (true, false), (false, true)] {
        let mut m = Mem::default();
        m.hold("h", 4 * C, t0(), 48);
        m.submit("h", &[(placeholders[0].as_str(), 4 * C)]);
        m.hold("h2", 6 * C, t0(), 48);
        m.submit(
            "h2",
            &[
                (placeholders[1].as_str(), 3 * C),
                (placeholders[2].as_str(), 3 * C),
            ],
        );
        // The binds, as `ops::placeholders::bind` writes them.
        for (placeholder, video) in placeholders.iter().zip(["va", "vb", "vc"]) {
            let job = m.snap.jobs.iter_mut().find(|j| j.job_id == *placeholder);
            job.unwrap().job_id = video.into();
            m.snap.resources.push(super::snapshot::ResourceRow {
                resource_id: video.into(),
            });
        }
        m.settle("va", cost(if over { 7 * C } else { 2 * C }));
        m.settle("vb", cost(C));
        m.settle(
            "vc",
            if fail_last {
                JobSettlement::Failed
            } else {
                cost(3 * C)
            },
        );
        let r = m.report();
        assert!(r.ok, "over={over} fail_last={fail_last}: {}", r.to_text());
    }
}
