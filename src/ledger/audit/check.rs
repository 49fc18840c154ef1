//! The invariants, checked over a [`Snapshot`]: counters against the
//! journal, each hold against its journal rows, open holds against their
//! expiry, idempotency keys against holds, jobs against their owners.
//!
//! This file runs them and holds the counter check (counters recomputed
//! from every hold's replay and the adjustments); the per-hold checks are
//! in `check_holds` and the cross-references (idempotency keys, job owners)
//! in `check_refs`.

use std::collections::{BTreeMap, HashMap};

use super::check_holds::check_holds;
use super::check_refs::{check_idempotency, check_owners};
use super::replay::Replay;
use super::report::{AtEstimate, Check, Report, Stats, Violation, AT_ESTIMATE};
use super::snapshot::Snapshot;
use super::AuditOptions;
use crate::ledger::decide::{adjust_keys, Counter};
use crate::ledger::rows::{hold_keys, CounterKey, HoldRow};
use crate::ledger::types::{JournalEntry, JournalKind, Scope};
use crate::ledger::window::{Periods, Window};
use crate::money::{format_credits, Micros};

pub(super) fn check(snap: &Snapshot, opts: &AuditOptions) -> Report {
    let mut out = Vec::new();
    let holds: HashMap<&str, &HoldRow> =
        snap.holds.iter().map(|h| (h.hold_id.as_str(), h)).collect();
    let replays = replay_all(snap);
    let mut expected: BTreeMap<CounterKey, Counter> = BTreeMap::new();
    let mut add = |keys: Vec<CounterKey>, delta: Counter| {
        for k in keys {
            *expected.entry(k).or_default() += delta;
        }
    };
    for (id, r) in &replays {
        // A charge stays in the periods where it was held: the hold row's.
        let keys = match holds.get(id.as_str()) {
            Some(h) => h.keys(),
            None => {
                let at = crate::ledger::rows::from_us(r.first_at_us.unwrap_or_default());
                let tenant = tenant_of(snap, id);
                hold_keys(&tenant, &Periods::at(at, opts.tz))
            }
        };
        add(
            keys,
            Counter {
                held: r.open,
                spent: r.spent(),
                granted: 0,
            },
        );
    }
    let mut adjustments = 0;
    for e in snap
        .journal
        .iter()
        .filter(|e| e.kind == JournalKind::Adjust)
    {
        adjustments += 1;
        let keys = adjust_keys(&e.scope, adjusted_window(e), &Periods::at(e.at, opts.tz));
        // Adjustments journaled before migration 5 were written into spent.
        let delta = if e.seq > snap.grants_from_seq {
            Counter {
                granted: e.amount,
                ..Counter::default()
            }
        } else {
            Counter {
                spent: e.amount.saturating_neg(),
                ..Counter::default()
            }
        };
        add(keys, delta);
    }
    check_counters(snap, &expected, &mut out);
    check_holds(snap, &replays, opts, &mut out);
    let idempotency = check_idempotency(snap, &holds, &mut out);
    check_owners(snap, &mut out);
    let stats = Stats {
        holds: snap.holds.len() as u64,
        jobs: snap.jobs.len() as u64,
        journal_rows: snap.journal.len() as u64,
        counter_rows: snap.counters.len() as u64,
        adjustments,
        resources: snap.resources.len() as u64,
        idempotency,
    };
    let at_estimate = snap
        .jobs
        .iter()
        .filter(|j| {
            j.source
                .as_deref()
                .is_some_and(|s| s.ends_with(AT_ESTIMATE))
        })
        .map(|j| AtEstimate {
            job_id: j.job_id.clone(),
            hold_id: j.hold_id.clone(),
            feature: j.feature.clone(),
            captured: format_credits(j.captured),
        })
        .collect();
    Report::new(
        opts.now,
        opts.tz.name().to_string(),
        opts.grace_seconds,
        stats,
        out,
        at_estimate,
    )
}

/// The window an adjustment applied to, from the ` [window=…]` suffix the
/// ledger appends to its reason; none means all four.
fn adjusted_window(e: &JournalEntry) -> Option<Window> {
    let reason = e.reason.as_deref()?;
    let (_, w) = reason.strip_suffix(']')?.rsplit_once(" [window=")?;
    Window::parse(w)
}

fn tenant_of(snap: &Snapshot, hold_id: &str) -> String {
    snap.journal
        .iter()
        .find(|e| e.hold_id.as_deref() == Some(hold_id))
        .and_then(|e| e.tenant.clone())
        .unwrap_or_default()
}

/// Every hold named by a hold row or a journal row, replayed in seq order.
fn replay_all(snap: &Snapshot) -> BTreeMap<String, Replay> {
    let shares: HashMap<&str, Micros> = snap
        .jobs
        .iter()
        .map(|j| (j.job_id.as_str(), j.held))
        .collect();
    let mut replays: BTreeMap<String, Replay> = snap
        .holds
        .iter()
        .map(|h| (h.hold_id.clone(), Replay::default()))
        .collect();
    for e in &snap.journal {
        if let Some(id) = &e.hold_id {
            replays
                .entry(id.clone())
                .or_default()
                .apply(e, |j| shares.get(j).copied());
        }
    }
    replays
}

fn check_counters(
    snap: &Snapshot,
    expected: &BTreeMap<CounterKey, Counter>,
    out: &mut Vec<Violation>,
) {
    let found: BTreeMap<&CounterKey, Counter> =
        snap.counters.iter().map(|(k, c)| (k, *c)).collect();
    let keys: std::collections::BTreeSet<&CounterKey> =
        expected.keys().chain(found.keys().copied()).collect();
    for k in keys {
        let e = expected.get(k).copied().unwrap_or_default();
        let f = found.get(k).copied().unwrap_or_default();
        if e != f {
            let mut v = Violation::new(
                Check::Counter,
                counter_text(&e),
                counter_text(&f),
                "counter row differs from the journal's sums".into(),
            );
            // The label scheme of metrics and exports: `org` or the tenant id.
            v.scope =
                Some(Scope::from_key(&k.scope).map_or_else(|| k.scope.clone(), |s| s.label()));
            v.window = Some(k.window.as_str().to_string());
            v.period = Some(k.period.clone());
            out.push(v);
        }
    }
}

/// `held H spent S`, and ` granted G` when ops granted or debited any.
fn counter_text(c: &Counter) -> String {
    let mut s = format!(
        "held {} spent {}",
        format_credits(c.held),
        format_credits(c.spent)
    );
    if c.granted != 0 {
        s.push_str(&format!(" granted {}", format_credits(c.granted)));
    }
    s
}
