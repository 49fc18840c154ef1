//! The invariants, checked over a [`Snapshot`]: counters against the
//! journal, each hold against its journal rows, open holds against their
//! expiry, idempotency keys against holds, jobs against their owners.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::replay::Replay;
use super::report::{AtEstimate, Check, IdempotencyStats, Report, Stats, Violation, AT_ESTIMATE};
use super::snapshot::Snapshot;
use super::AuditOptions;
use crate::ledger::decide::{adjust_keys, Counter};
use crate::ledger::rows::{hold_keys, CounterKey, HoldRow, JobState};
use crate::ledger::types::{HoldState, JournalEntry, JournalKind, Scope};
use crate::ledger::window::{Periods, Window};
use crate::money::{format_credits, Micros};

/// Header naming the hold in a stored billable response (see `proxy::billable`).
const HOLD_ID_HEADER: &str = "x-gateway-hold-id";

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

fn check_holds(
    snap: &Snapshot,
    replays: &BTreeMap<String, Replay>,
    opts: &AuditOptions,
    out: &mut Vec<Violation>,
) {
    let failed: HashSet<&str> = snap
        .jobs
        .iter()
        .filter(|j| j.state == JobState::Failed)
        .map(|j| j.job_id.as_str())
        .collect();
    let rows: HashMap<&str, &HoldRow> =
        snap.holds.iter().map(|h| (h.hold_id.as_str(), h)).collect();
    let now_us = opts.now.timestamp_micros();
    let grace_us = i64::try_from(opts.grace_seconds)
        .unwrap_or(i64::MAX)
        .saturating_mul(1_000_000);
    for (id, r) in replays {
        let v = |check, expected: String, found: String, detail: String| {
            Violation::new(check, expected, found, detail).hold(id)
        };
        for a in &r.anomalies {
            out.push(v(
                Check::HoldJournal,
                "a transition the ledger writes".into(),
                a.clone(),
                "journal row out of lifecycle order".into(),
            ));
        }
        let Some(h) = rows.get(id.as_str()) else {
            out.push(v(
                Check::HoldJournal,
                "a hold row".into(),
                "none".into(),
                "journal names a hold that does not exist".into(),
            ));
            continue;
        };
        if r.hold_amounts != [h.amount] {
            let found = r
                .hold_amounts
                .iter()
                .map(|a| format_credits(*a))
                .collect::<Vec<_>>();
            out.push(v(
                Check::HoldJournal,
                format!("one hold row of {}", format_credits(h.amount)),
                format!("hold rows [{}]", found.join(", ")),
                "journal's hold rows differ from the hold's amount".into(),
            ));
        }
        if h.held_open != r.open {
            out.push(v(
                Check::Conservation,
                format!("held {}", format_credits(r.open)),
                format!("held {}", format_credits(h.held_open)),
                format!(
                    "amount {} = held + captured {} - overage {} + released {} + expired {}",
                    format_credits(h.amount),
                    format_credits(r.captured),
                    format_credits(r.overage()),
                    format_credits(r.released),
                    format_credits(r.expired)
                ),
            ));
        }
        if h.captured != r.spent() {
            out.push(v(
                Check::Conservation,
                format!("captured {}", format_credits(r.spent())),
                format!("captured {}", format_credits(h.captured)),
                format!(
                    "captures {} + expiry {} from the journal",
                    format_credits(r.captured),
                    format_credits(r.expired)
                ),
            ));
        }
        check_state(id, h, r, &failed, out);
        if h.state.is_open() && h.expires_us.saturating_add(grace_us) < now_us {
            out.push(v(
                Check::Overdue,
                format!("expired by {}", opts.now.to_rfc3339()),
                format!(
                    "{} (expires_at {})",
                    h.state.as_str(),
                    h.info().expires_at.to_rfc3339()
                ),
                format!("open past its TTL plus {} s grace", opts.grace_seconds),
            ));
        }
    }
}

fn check_state(
    id: &str,
    h: &HoldRow,
    r: &Replay,
    failed: &HashSet<&str>,
    out: &mut Vec<Violation>,
) {
    let captured_in_journal = r.per_call_capture || !r.completed.is_empty() || r.is_expired;
    if r.release_op && captured_in_journal {
        out.push(
            Violation::new(
                Check::CapturedAndReleased,
                "a release or a capture".into(),
                "both in the journal".into(),
                "hold released and captured".into(),
            )
            .hold(id),
        );
    }
    let want = r.expected_state(failed);
    if h.state == want {
        return;
    }
    let check = if r.release_op && h.state == HoldState::Captured {
        Check::CapturedAndReleased
    } else {
        Check::State
    };
    out.push(
        Violation::new(
            check,
            want.as_str().into(),
            h.state.as_str().into(),
            "hold state disagrees with its journal rows".into(),
        )
        .hold(id),
    );
}

fn check_idempotency(
    snap: &Snapshot,
    holds: &HashMap<&str, &HoldRow>,
    out: &mut Vec<Violation>,
) -> IdempotencyStats {
    let mut stats = IdempotencyStats::default();
    for k in &snap.idempotency {
        stats.keys += 1;
        let named = k
            .headers
            .as_deref()
            .filter(|_| k.state == "done")
            .and_then(|h| crate::ledger::rows::headers_from_json(h).ok())
            .and_then(|hs| {
                hs.into_iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(HOLD_ID_HEADER))
                    .map(|(_, v)| v)
            });
        let Some(hold_id) = named else {
            stats.unlinked += 1;
            continue;
        };
        match holds.get(hold_id.as_str()) {
            Some(h) if h.tenant == k.tenant => stats.linked += 1,
            found => {
                let mut v = Violation::new(
                    Check::Idempotency,
                    format!("hold {hold_id} of tenant {}", k.tenant),
                    found.map_or("no such hold".into(), |h| format!("tenant {}", h.tenant)),
                    "stored response names a hold the ledger does not have".into(),
                )
                .hold(&hold_id);
                v.idempotency_key = Some(format!("{}/{}", k.tenant, k.key));
                out.push(v);
            }
        }
    }
    stats
}

fn check_owners(snap: &Snapshot, out: &mut Vec<Violation>) {
    let owned: HashSet<&str> = snap
        .resources
        .iter()
        .map(|r| r.resource_id.as_str())
        .collect();
    let tenants: HashMap<&str, &str> = snap
        .holds
        .iter()
        .map(|h| (h.hold_id.as_str(), h.tenant.as_str()))
        .collect();
    for j in snap
        .jobs
        .iter()
        .filter(|j| !owned.contains(j.job_id.as_str()))
    {
        let tenant = tenants.get(j.hold_id.as_str()).copied().unwrap_or("?");
        let mut v = Violation::new(
            Check::JobOwner,
            format!("owner tenant {tenant}"),
            "no owner".into(),
            "job missing from resources".into(),
        )
        .hold(&j.hold_id);
        v.job_id = Some(j.job_id.clone());
        out.push(v);
    }
}
