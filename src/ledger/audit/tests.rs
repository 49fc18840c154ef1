//! The checker over snapshots built by applying the real lifecycle plans in
//! memory, so the replay is tested against the arithmetic it mirrors.
//!
//! This file holds the in-memory ledger, the workload every lifecycle path
//! goes through and its clean check; exact replays are in `tests_replay.rs`,
//! damage the checker must name in `tests_damage.rs`.

use super::check::check;
use super::snapshot::{ResourceRow, Snapshot};
use super::*;
use crate::ledger::decide::{adjust_journal, adjust_keys, Counter};
use crate::ledger::lifecycle::{self, JobStep, Plan};
use crate::ledger::rows::{from_us, split_ids, HoldRow, JournalDraft};
use crate::ledger::types::*;
use crate::ledger::window::{Periods, Window};

pub(super) const C: i64 = 1_000_000;

pub(super) fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// An in-memory ledger applying lifecycle plans the way `ops` does.
#[derive(Default)]
pub(super) struct Mem {
    pub(super) snap: Snapshot,
}

impl Mem {
    pub(super) fn journal(&mut self, d: &JournalDraft) {
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

    pub(super) fn add_counter(
        &mut self,
        keys: Vec<crate::ledger::rows::CounterKey>,
        delta: Counter,
    ) {
        for k in keys {
            match self.snap.counters.iter_mut().find(|(c, _)| *c == k) {
                Some((_, c)) => *c += delta,
                None => self.snap.counters.push((k, delta)),
            }
        }
    }

    pub(super) fn hold(&mut self, id: &str, amount: i64, at: DateTime<Utc>, ttl_h: i64) {
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

    pub(super) fn row(&self, id: &str) -> HoldRow {
        self.snap
            .holds
            .iter()
            .find(|h| h.hold_id == id)
            .unwrap()
            .clone()
    }

    pub(super) fn apply(&mut self, plan: &Plan) {
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

    pub(super) fn submit(&mut self, id: &str, jobs: &[(&str, i64)]) {
        let recs: Vec<JobRecord> = jobs
            .iter()
            .map(|(j, s)| JobRecord {
                job_id: j.to_string(),
                feature: "f".into(),
                status_path: "/s".into(),
                held: *s,
                items: Vec::new(),
            })
            .collect();
        let plan = lifecycle::submit(&self.row(id), &self.snap.jobs, &recs, 2).unwrap();
        self.apply(&plan);
    }

    pub(super) fn settle(&mut self, job: &str, outcome: JobSettlement) {
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
            key: None,
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

    pub(super) fn report(&self) -> Report {
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

pub(super) fn cost(c: i64) -> JobSettlement {
    JobSettlement::Completed { cost: c }
}

/// Every lifecycle path the ledger has, including overage on one job of
/// several, failures, expiry with late settlements and adjustments.
pub(super) fn workload() -> Mem {
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
