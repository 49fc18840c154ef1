//! Damage the checker must name: a counter off by one, hold-level breakage
//! (state, conservation, overdue, job owner, idempotency links), and a
//! capture journaled after a release.
//!
//! Their own file, beside `tests.rs` (the in-memory ledger and the clean
//! workload) and `tests_replay.rs` (replays that must come out exact).

use super::snapshot::IdemRow;
use super::tests::{t0, workload, Mem, C};
use super::*;
use crate::ledger::lifecycle;
use crate::ledger::rows::JournalDraft;
use crate::ledger::types::*;
use crate::ledger::window::Window;

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
