//! The gauge tick's readings: budget usage per scope (with threshold
//! alerts), open holds and renders in flight, and HeyGen's remaining quota
//! with its drift from the ledger.
//!
//! Its own file because these only read and report; the loop that runs
//! them, expiry and the settlement poller stay in `background.rs`.

use crate::ledger::{Scope, Window};
use crate::money::{micros_to_credits, Micros};
use crate::state::AppState;

/// Scopes with their budgets from the current config: the org, then every tenant.
fn scopes(state: &AppState) -> Vec<(Scope, crate::config::Budgets)> {
    let rt = state.snapshot();
    let mut v = vec![(Scope::Org, rt.config.org.budgets)];
    v.extend(
        rt.config
            .tenants
            .iter()
            .map(|t| (Scope::Tenant(t.id.clone()), t.budgets)),
    );
    v
}

pub(super) async fn gauges(state: &AppState) {
    let rt = state.snapshot();
    let now = state.clock.now();
    let usage = match state
        .ledger
        .usage(&scopes(state), rt.config.plan.timezone, now)
        .await
    {
        Ok(u) => u,
        Err(e) => {
            state.note_ledger_error("usage", &e);
            return;
        }
    };
    for u in &usage {
        let scope = u.scope.label();
        let shadow = rt.config.is_shadow(u.scope.tenant());
        state.metrics.set_budget_shadow(&scope, shadow);
        for w in &u.windows {
            state.metrics.set_budget(
                &scope,
                w.window.as_str(),
                w.effective_limit(),
                w.granted,
                w.remaining,
                w.resets_at.map(|t| t.timestamp()),
            );
            if let Some(ratio) = w.used_ratio() {
                // The tracker sets the gauge and logs each crossing once per period.
                state
                    .thresholds
                    .observe(&scope, w.window.as_str(), &w.period, ratio);
            }
        }
    }
    // Crossed thresholds and exhausted windows go to the alert outbox
    // (each once per period: repeats are dropped there).
    state
        .alerts
        .budget_usage(&usage, &rt.config.metrics.alert_thresholds, |s| {
            rt.config.is_shadow(s.tenant())
        })
        .await;
    match state.ledger.open_holds().await {
        Ok((count, oldest)) => {
            state
                .alerts
                .ledger_answered(rt.config.metrics.gauge_interval);
            let age = oldest.map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0);
            state.metrics.set_open_holds(count, age);
        }
        Err(e) => {
            state.note_ledger_error("open_holds", &e);
        }
    }
    // The render caps' own count: a hold whose request is gone no longer
    // counts (`HoldRequest::render_lease`).
    let lease = chrono::Duration::from_std(rt.config.upstream.request_lease())
        .unwrap_or(chrono::Duration::MAX);
    let held_since = now.checked_sub_signed(lease).unwrap_or(now);
    for (scope, _) in scopes(state) {
        if let Ok(n) = state.ledger.renders_in_flight(&scope, held_since).await {
            state
                .metrics
                .set_renders_in_flight(&scope.label(), u64::from(n));
        }
    }
}

/// HeyGen's remaining quota (credits = quota ÷ 60) and its drift from the
/// ledger: HeyGen's consumption since the first poll minus the org's
/// captured spend over the same time. Positive drift means HeyGen charged
/// more than the gateway recorded.
#[derive(Default)]
pub(super) struct Drift {
    baseline: Option<(f64, Micros)>,
}

impl Drift {
    pub(super) async fn tick(&mut self, state: &AppState) {
        let (status, body) = match state.upstream.get_json("/v2/user/remaining_quota").await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "Remaining-quota poll failed.");
                return;
            }
        };
        let quota = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.pointer("/data/remaining_quota").and_then(|q| q.as_f64()));
        let Some(quota) = quota.filter(|_| status == 200) else {
            tracing::warn!(status, "Remaining-quota answer not understood.");
            return;
        };
        let balance = quota / 60.0;
        state.metrics.set_org_balance(balance);
        let tz = state.snapshot().config.plan.timezone;
        let spent = match state
            .ledger
            .usage(&[(Scope::Org, Default::default())], tz, state.clock.now())
            .await
        {
            Ok(u) => u
                .first()
                .and_then(|s| s.windows.iter().find(|w| w.window == Window::Total))
                .map_or(0, |w| w.spent),
            Err(e) => {
                state.note_ledger_error("usage", &e);
                return;
            }
        };
        let (b0, s0) = *self.baseline.get_or_insert((balance, spent));
        let drift = (b0 - balance) - micros_to_credits(spent - s0);
        state.metrics.set_ledger_drift(drift);
        if let Some(micros) = crate::money::credits_to_micros(drift) {
            state.alerts.drift(micros).await;
        }
    }
}
