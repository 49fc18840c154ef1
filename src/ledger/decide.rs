//! The budget and render-cap decision for one hold, as a pure function of the
//! locked counter rows, so both backends refuse and admit identically.

use std::collections::HashMap;

use super::rows::{to_us, CounterKey, HoldRow, JournalDraft};
use super::types::{
    Adjustment, HoldDecision, HoldRequest, HoldState, JournalKind, LedgerError, Scope, Shortfall,
};
use super::window::{resets_at, Periods, Window};
use crate::config::Budgets;
use crate::money::Micros;

/// One counter row: held, spent, and credits granted (or debited, when
/// negative) by ops for its period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counter {
    pub held: Micros,
    pub spent: Micros,
    pub granted: Micros,
}

impl std::ops::AddAssign for Counter {
    fn add_assign(&mut self, d: Counter) {
        self.held = self.held.saturating_add(d.held);
        self.spent = self.spent.saturating_add(d.spent);
        self.granted = self.granted.saturating_add(d.granted);
    }
}

impl Counter {
    /// What is left of `limit` in this period: `limit + granted - held - spent`.
    pub(crate) fn room(&self, limit: Micros) -> Micros {
        limit
            .saturating_add(self.granted)
            .saturating_sub(self.held)
            .saturating_sub(self.spent)
    }
}

/// Counter rows read (and locked) for one decision, by scope key and window.
#[derive(Debug, Default)]
pub(crate) struct CounterSet(HashMap<(String, Window), Counter>);

impl CounterSet {
    pub(crate) fn insert(&mut self, scope: String, window: Window, c: Counter) {
        self.0.insert((scope, window), c);
    }

    /// Adds an accepted hold to the in-memory rows, so the next decision of
    /// the same batch sees it as a later transaction would.
    pub(crate) fn add_held(&mut self, key: &CounterKey, amount: Micros) {
        let c = self.0.entry((key.scope.clone(), key.window)).or_default();
        c.held = c.held.saturating_add(amount);
    }

    pub(crate) fn get(&self, scope: &str, window: Window) -> Counter {
        self.0
            .get(&(scope.to_string(), window))
            .copied()
            .unwrap_or_default()
    }
}

/// Open render holds, counted inside the hold's transaction.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RenderCounts {
    pub tenant: u64,
    pub org: u64,
}

/// Whether the backend must count open renders for this request.
pub(crate) fn needs_render_count(req: &HoldRequest) -> bool {
    req.render && (req.tenant_render_cap.is_some() || req.org_render_cap.is_some())
}

/// Result of [`evaluate`].
#[derive(Debug)]
pub(crate) enum Evaluation {
    Refuse(HoldDecision),
    Accept {
        remaining: Option<(Scope, Window, Micros)>,
        shadow_shortfalls: Vec<Shortfall>,
    },
}

/// Rejects requests no projection can produce, before any row is touched.
pub(crate) fn validate(req: &HoldRequest) -> Result<(), LedgerError> {
    if req.amount < 0 {
        return Err(LedgerError::InvalidState(format!(
            "negative hold amount {}",
            req.amount
        )));
    }
    if req.tenant.is_empty() {
        return Err(LedgerError::InvalidState("hold without a tenant".into()));
    }
    Ok(())
}

/// Decides one hold. Every configured window of both scopes must have
/// `limit + granted - (held + spent) >= amount`; shadow scopes only report. A
/// zero-amount hold (free test video) passes the budget check: it cannot
/// overspend, even when a window is already negative.
pub(crate) fn evaluate(
    req: &HoldRequest,
    counters: &CounterSet,
    renders: RenderCounts,
) -> Evaluation {
    let scopes = [
        (
            Scope::Tenant(req.tenant.clone()),
            &req.tenant_budgets,
            req.tenant_shadow,
        ),
        (Scope::Org, &req.org_budgets, req.org_shadow),
    ];
    let mut refusal: Option<Shortfall> = None;
    let mut shadow_shortfalls = Vec::new();
    let mut remaining: Option<(Scope, Window, Micros)> = None;
    for (scope, budgets, shadow) in &scopes {
        let key = scope.key();
        let mut shadow_worst: Option<Shortfall> = None;
        for (window, limit) in configured(budgets) {
            let c = counters.get(&key, window);
            let room = c.room(limit);
            let after = room.saturating_sub(req.amount);
            if remaining.as_ref().is_none_or(|(_, _, r)| after < *r) {
                remaining = Some((scope.clone(), window, after));
            }
            if req.amount > 0 && room < req.amount {
                let s = Shortfall {
                    scope: scope.clone(),
                    window,
                    required: req.amount,
                    remaining: room,
                    resets_at: resets_at(window, req.now, req.tz),
                    never_fits: req.amount > limit,
                };
                let slot = if *shadow {
                    &mut shadow_worst
                } else {
                    &mut refusal
                };
                keep_tightest(slot, s);
            }
        }
        shadow_shortfalls.extend(shadow_worst);
    }
    if let Some(s) = refusal {
        return Evaluation::Refuse(HoldDecision::Insufficient(s));
    }
    if req.render {
        let caps = [
            (
                Scope::Tenant(req.tenant.clone()),
                req.tenant_render_cap,
                renders.tenant,
            ),
            (Scope::Org, req.org_render_cap, renders.org),
        ];
        for (scope, cap, open) in caps {
            if let Some(cap) = cap {
                if open >= u64::from(cap) {
                    return Evaluation::Refuse(HoldDecision::RenderCapReached { scope, cap });
                }
            }
        }
    }
    Evaluation::Accept {
        remaining,
        shadow_shortfalls,
    }
}

fn configured(b: &Budgets) -> impl Iterator<Item = (Window, Micros)> + '_ {
    Window::ALL
        .into_iter()
        .filter_map(move |w| w.limit(b).map(|l| (w, l)))
}

/// Keeps the failing window that resets last (`total`, which never does,
/// first): every failing window must reset before a retry can succeed, so
/// its reset is the refusal's `Retry-After`, and a refusal that names a
/// window resetting sooner would send the client back to fail again. On a
/// tie, the one with the least room.
fn keep_tightest(slot: &mut Option<Shortfall>, s: Shortfall) {
    // A window the amount can never fit refuses for good, like `total`.
    let until = |s: &Shortfall| if s.never_fits { None } else { s.resets_at };
    let replace = match slot {
        None => true,
        Some(cur) => {
            later(until(&s), until(cur))
                || (until(&s) == until(cur)
                    && (later(s.resets_at, cur.resets_at)
                        || (s.resets_at == cur.resets_at && s.remaining < cur.remaining)))
        }
    };
    if replace {
        *slot = Some(s);
    }
}

/// `a` is strictly later than `b`, where `None` means never.
fn later(
    a: Option<chrono::DateTime<chrono::Utc>>,
    b: Option<chrono::DateTime<chrono::Utc>>,
) -> bool {
    match (a, b) {
        (None, Some(_)) => true,
        (Some(a), Some(b)) => a > b,
        _ => false,
    }
}

/// The rows to insert for an accepted hold: the hold and its journal entry.
pub(crate) fn new_hold(req: &HoldRequest, hold_id: String) -> (HoldRow, JournalDraft) {
    let created_us = to_us(req.now);
    let row = HoldRow {
        hold_id,
        tenant: req.tenant.clone(),
        feature: req.feature.clone(),
        route: req.route.clone(),
        amount: req.amount,
        held_open: req.amount,
        captured: 0,
        state: HoldState::Held,
        render: req.render,
        price_version: req.price_version.clone(),
        request_id: req.request_id.clone(),
        periods: Periods::at(req.now, req.tz),
        created_us,
        expires_us: to_us(req.expires_at),
        settled_us: None,
    };
    let mut journal = JournalDraft::for_hold(&row, JournalKind::Hold, req.amount, created_us);
    journal.reason = Some(req.route.clone());
    (row, journal)
}

/// A fresh hold id: `hold_` + a v4 UUID without dashes.
pub(crate) fn new_hold_id() -> String {
    format!("hold_{}", uuid::Uuid::new_v4().simple())
}

/// Counter rows an adjustment touches: the current period of one window,
/// or of all four.
pub(crate) fn adjust_keys(
    scope: &Scope,
    window: Option<Window>,
    periods: &Periods,
) -> Vec<CounterKey> {
    let windows: Vec<Window> = match window {
        Some(w) => vec![w],
        None => Window::ALL.to_vec(),
    };
    let mut keys: Vec<CounterKey> = windows
        .into_iter()
        .map(|w| CounterKey {
            scope: scope.key(),
            window: w,
            period: periods.key(w).to_string(),
        })
        .collect();
    keys.sort();
    keys
}

/// The journal entry of an adjustment.
pub(crate) fn adjust_journal(adj: &Adjustment) -> JournalDraft {
    JournalDraft {
        at_us: to_us(adj.now),
        kind: JournalKind::Adjust,
        hold_id: None,
        scope: adj.scope.key(),
        tenant: adj.scope.tenant().map(str::to_string),
        feature: None,
        amount: adj.amount,
        price_version: None,
        request_id: None,
        upstream_ids: None,
        actor: Some(adj.actor.clone()),
        reason: Some(match adj.window {
            Some(w) => format!("{} [window={w}]", adj.reason),
            None => adj.reason.clone(),
        }),
    }
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
