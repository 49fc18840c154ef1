//! The checker over snapshots built by applying the real lifecycle plans in
//! memory, so the replay is tested against the arithmetic it mirrors.

use super::check::check;
use super::snapshot::{IdemRow, ResourceRow, Snapshot};
use super::*;
use crate::ledger::decide::{adjust_journal, adjust_keys, Counter};
use crate::ledger::lifecycle::{self, JobStep, Plan};
use crate::ledger::rows::{from_us, split_ids, HoldRow, JournalDraft};
use crate::ledger::types::*;
use crate::ledger::window::{Periods, Window};

const C: i64 = 1_000_000;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// An in-memory ledger applying lifecycle plans the way `ops` does.
#[derive(Default)]
struct Mem {
    snap: Snapshot,
}

impl Mem {
    fn journal(&mut self, d: &JournalDraft) {
        let seq = self.snap.journal.len() as i64 + 1;
        self.snap.journal.push(JournalEntry {
            seq,
            at: from_us(d.at_us),
            kind: d.kind,
            hold_id: d.hold_id.clone(),
            scope: Scope::from_key(&d.scope).unwrap(),
            tenant: d.tenant.clone(),
            feature: d.feature.clone(),
            amount: d.amount,
            price_version: d.price_version.clone(),
            request_id: d.request_id.clone(),
            upstream_ids: split_ids(d.upstream_ids.clone()),
            actor: d.actor.clone(),
            reason: d.reason.clone(),
        });
    }

    fn add(&mut self, keys: Vec<crate::ledger::rows::CounterKey>, held: i64, spent: i64) {
        self.add_counter(
            keys,
            Counter {
                held,
                spent,
                granted: 0,
            },
        );
    }

    fn add_counter(&mut self, keys: Vec<crate::ledger::rows::CounterKey>, delta: Counter) {
        for k in keys {
            match self.snap.counters.iter_mut().find(|(c, _)| *c == k) {
                Some((_, c)) => *c += delta,
                None => self.snap.counters.push((k, delta)),
            }
        }
    }

    fn hold(&mut self, id: &str, amount: i64, at: DateTime<Utc>, ttl_h: i64) {
        let row = HoldRow {
            hold_id: id.into(),
            tenant: "acme".into(),
            feature: "f".into(),
            route: "r".into(),
            amount,
            held_open: amount,
            captured: 0,
            state: HoldState::Held,
            render: false,
            price_version: "v".into(),
            request_id: "q".into(),
            periods: Periods::at(at, chrono_tz::UTC),
            created_us: at.timestamp_micros(),
            expires_us: (at + chrono::Duration::hours(ttl_h)).timestamp_micros(),
            settled_us: None,
        };
        self.add(row.keys(), amount, 0);
        self.journal(&JournalDraft::for_hold(
            &row,
            JournalKind::Hold,
            amount,
            row.created_us,
        ));
        self.snap.holds.push(row);
    }

    fn row(&self, id: &str) -> HoldRow {
        self.snap
            .holds
            .iter()
            .find(|h| h.hold_id == id)
            .unwrap()
            .clone()
    }

    fn apply(&mut self, plan: &Plan) {
        if let Some(h) = &plan.hold {
            self.add(h.keys(), plan.held_delta, plan.spent_delta);
            let slot = self
                .snap
                .holds
                .iter_mut()
                .find(|x| x.hold_id == h.hold_id)
                .unwrap();
            *slot = h.clone();
        }
        for j in &plan.insert_jobs {
            self.snap.jobs.push(j.clone());
            self.snap.resources.push(ResourceRow {
                resource_id: j.job_id.clone(),
            });
        }
        for j in &plan.update_jobs {
            let slot = self
                .snap
                .jobs
                .iter_mut()
                .find(|x| x.job_id == j.job_id)
                .unwrap();
            *slot = j.clone();
        }
        for d in &plan.journal {
            self.journal(d);
        }
    }

    fn submit(&mut self, id: &str, jobs: &[(&str, i64)]) {
        let recs: Vec<JobRecord> = jobs
            .iter()
            .map(|(j, s)| JobRecord {
                job_id: j.to_string(),
                feature: "f".into(),
                status_path: "/s".into(),
                held: *s,
            })
            .collect();
        let plan = lifecycle::submit(&self.row(id), &self.snap.jobs, &recs, 2).unwrap();
        self.apply(&plan);
    }

    fn settle(&mut self, job: &str, outcome: JobSettlement) {
        let hold_id = self
            .snap
            .jobs
            .iter()
            .find(|j| j.job_id == job)
            .unwrap()
            .hold_id
            .clone();
        let jobs: Vec<_> = self
            .snap
            .jobs
            .iter()
            .filter(|j| j.hold_id == hold_id)
            .cloned()
            .collect();
        match lifecycle::settle_job(&self.row(&hold_id), &jobs, job, outcome, "status", 3).unwrap()
        {
            JobStep::Apply(plan, _) => self.apply(&plan),
            JobStep::AlreadySettled => {}
        }
    }

    fn expire(&mut self, id: &str) {
        let jobs: Vec<_> = self
            .snap
            .jobs
            .iter()
            .filter(|j| j.hold_id == id)
            .cloned()
            .collect();
        let (plan, _) = lifecycle::expire(&self.row(id), &jobs, 4).unwrap();
        self.apply(&plan);
    }

    fn adjust(&mut self, scope: Scope, window: Option<Window>, amount: i64) {
        let adj = Adjustment {
            scope,
            window,
            amount,
            reason: "goodwill".into(),
            actor: "ops".into(),
            tz: chrono_tz::UTC,
            now: t0(),
        };
        self.add_counter(
            adjust_keys(&adj.scope, window, &Periods::at(t0(), chrono_tz::UTC)),
            Counter {
                granted: amount,
                ..Counter::default()
            },
        );
        self.journal(&adjust_journal(&adj));
    }

    fn report(&self) -> Report {
        check(
            &self.snap,
            &AuditOptions {
                tz: chrono_tz::UTC,
                now: t0() + chrono::Duration::hours(1),
                grace_seconds: DEFAULT_GRACE_SECONDS,
            },
        )
    }
}

fn cost(c: i64) -> JobSettlement {
    JobSettlement::Completed { cost: c }
}

/// Every lifecycle path the ledger has, including overage on one job of
/// several, failures, expiry with late settlements and adjustments.
fn workload() -> Mem {
    let mut m = Mem::default();
    let yesterday = t0() - chrono::Duration::days(1);
    m.hold("h_below", 10 * C, t0(), 48);
    m.apply(&lifecycle::capture(&m.row("h_below"), 7 * C, 2).unwrap().0);
    m.hold("h_above", 10 * C, t0(), 48);
    m.apply(&lifecycle::capture(&m.row("h_above"), 12 * C, 2).unwrap().0);
    m.hold("h_rel", 5 * C, t0(), 48);
    m.apply(&lifecycle::release(&m.row("h_rel"), "upstream 400", 2).unwrap());
    // Two jobs plus an unallocated remainder; job a runs over its share.
    m.hold("h_multi", 30 * C, yesterday, 48);
    m.submit("h_multi", &[("a", 10 * C), ("b", 10 * C)]);
    m.settle("a", cost(15 * C));
    m.settle("b", JobSettlement::Failed);
    m.hold("h_open", 4 * C, t0(), 48);
    m.submit("h_open", &[("c", 4 * C)]);
    m.hold("h_exp", 8 * C, yesterday, 1);
    m.submit("h_exp", &[("d", 4 * C), ("e", 4 * C)]);
    m.expire("h_exp");
    m.settle("d", cost(C));
    m.settle("e", cost(9 * C));
    m.adjust(Scope::Tenant("acme".into()), Some(Window::Daily), 3 * C);
    m.adjust(Scope::Org, None, -2 * C);
    m
}

#[test]
fn a_consistent_workload_verifies_clean() {
    let r = workload().report();
    assert!(r.ok, "{}", r.to_text());
    assert_eq!(r.stats.holds, 6);
    assert_eq!(r.stats.adjustments, 2);
    assert!(r.to_text().starts_with("ledger verify: ok ("));
}

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

#[test]
fn a_counter_off_by_one_is_named() {
    let mut m = workload();
    let (k, c) = m
        .snap
        .counters
        .iter_mut()
        .find(|(k, _)| k.scope == "org" && k.window == Window::Weekly)
        .unwrap();
    c.spent += 1;
    let period = k.period.clone();
    let r = m.report();
    let v: Vec<_> = r.of(Check::Counter).collect();
    assert_eq!(v.len(), 1, "{}", r.to_text());
    assert_eq!(v[0].scope.as_deref(), Some("org"));
    assert_eq!(v[0].window.as_deref(), Some("weekly"));
    assert_eq!(v[0].period.as_deref(), Some(period.as_str()));
    assert!(
        v[0].found.ends_with("spent 44.000001 granted -2"),
        "{:?}",
        v[0]
    );
    assert_eq!(v[0].expected, "held 4 spent 44 granted -2");
}

#[test]
fn hold_level_breakage_is_named() {
    let mut m = workload();
    let now = t0() + chrono::Duration::hours(1);
    for h in &mut m.snap.holds {
        match h.hold_id.as_str() {
            "h_rel" => h.state = HoldState::Captured,
            "h_below" => h.held_open += 1,
            "h_open" => h.expires_us = (now - chrono::Duration::hours(1)).timestamp_micros(),
            _ => {}
        }
    }
    m.snap.resources.retain(|r| r.resource_id != "c");
    m.snap.idempotency.push(IdemRow {
        tenant: "acme".into(),
        key: "k1".into(),
        state: "done".into(),
        headers: Some(r#"[["X-Gateway-Hold-Id","h_nope"]]"#.into()),
    });
    m.snap.idempotency.push(IdemRow {
        tenant: "acme".into(),
        key: "k2".into(),
        state: "done".into(),
        headers: Some(r#"[["x-gateway-hold-id","h_below"]]"#.into()),
    });
    m.snap.idempotency.push(IdemRow {
        tenant: "acme".into(),
        key: "k3".into(),
        state: "pending".into(),
        headers: None,
    });
    let r = m.report();
    let ids = |c: Check| {
        r.of(c)
            .map(|v| v.hold_id.clone().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(Check::CapturedAndReleased),
        ["h_rel"],
        "{}",
        r.to_text()
    );
    assert_eq!(ids(Check::Conservation), ["h_below"]);
    assert_eq!(ids(Check::Overdue), ["h_open"]);
    assert_eq!(ids(Check::JobOwner), ["h_open"]);
    assert_eq!(ids(Check::Idempotency), ["h_nope"]);
    assert_eq!(r.stats.idempotency.linked, 1);
    assert_eq!(r.stats.idempotency.unlinked, 1);
    // h_below's held column is off, not a counter: counters still agree.
    assert_eq!(r.of(Check::Counter).count(), 0);
    assert!(!r.ok);
    let json = r.to_json();
    assert_eq!(json["ok"], false);
    assert_eq!(json["violations"][0]["check"], "conservation");
}

#[test]
fn a_release_row_on_a_captured_hold_is_reported() {
    let mut m = Mem::default();
    m.hold("h", 5 * C, t0(), 48);
    m.apply(&lifecycle::release(&m.row("h"), "x", 2).unwrap());
    // Forge a capture after the release, as a buggy writer would.
    let mut d = JournalDraft::for_hold(&m.row("h"), JournalKind::Capture, 5 * C, 3);
    d.reason = None;
    m.journal(&d);
    let r = m.report();
    assert!(
        r.of(Check::CapturedAndReleased).count() >= 1,
        "{}",
        r.to_text()
    );
    assert!(r.of(Check::HoldJournal).count() >= 1, "{}", r.to_text());
}
