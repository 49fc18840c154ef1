//! The per-hold invariants: each hold row against its replayed journal rows
//! (lifecycle order, amount, conservation of held and captured, state) and
//! open holds against their expiry. The largest group of checks, so it has
//! its own file beside the counter check in `check`.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::replay::Replay;
use super::report::{Check, Violation};
use super::snapshot::Snapshot;
use super::AuditOptions;
use crate::ledger::rows::{HoldRow, JobState};
use crate::ledger::types::HoldState;
use crate::money::format_credits;

pub(super) fn check_holds(
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
