//! Live-session families: how many sessions are being metered, how long
//! they ran, why they stopped, and whether the meter is running at all.

use prometheus::{CounterVec, IntCounter, IntCounterVec, IntGaugeVec};

use super::reg::Reg;
use super::Metrics;

/// Why a session ended, as the `reason` label spells it.
pub const SESSION_STOP_REASONS: [&str; 8] = [
    "client",
    "idle",
    "budget",
    "tenant_removed",
    "ended",
    "unused",
    "unregistered",
    // `ledger::STOP_SETTLED`: a current minute settled elsewhere.
    "settled",
];

/// Why a session runs with nothing metering it, as the `reason` label of
/// `sessions_unmetered_total` spells it: a start's answer named no session
/// id, or HeyGen's streaming list shows a session no token or start of the
/// gateway explains.
pub const SESSION_UNMETERED_REASONS: [&str; 2] = ["no_session_id", "no_token"];

pub(super) struct SessionFamilies {
    live: IntGaugeVec,
    meter_ticks: IntCounter,
    seconds: CounterVec,
    stopped: IntCounterVec,
    unattributed: IntCounter,
    unmetered: IntCounterVec,
}

impl SessionFamilies {
    pub(super) fn register(r: &Reg<'_>) -> Result<SessionFamilies, prometheus::Error> {
        let families = SessionFamilies {
            live: r.int_gauge_vec(
                "heygen_gateway_sessions_live",
                "Live sessions being metered, for the org and per tenant (scope).",
                &["scope"],
            )?,
            meter_ticks: r.add(IntCounter::new(
                "heygen_gateway_session_meter_ticks_total",
                "Passes of the session meter completed over every live session (one per \
                 settlement.session_tick; a pass that could not read the live sessions from the \
                 ledger is not counted). Flat while the replica runs: nothing meters its sessions.",
            )?)?,
            seconds: r.counter(
                "heygen_gateway_session_seconds_total",
                "Seconds of ended sessions, by tenant and feature.",
                &["tenant", "feature"],
            )?,
            stopped: r.int_counter(
                "heygen_gateway_sessions_stopped_total",
                "Sessions ended, by reason (client, idle, budget, tenant_removed, ended, unused, unregistered, settled).",
                &["reason"],
            )?,
            unattributed: r.add(IntCounter::new(
                "heygen_gateway_sessions_unattributed_total",
                "Sessions in HeyGen's streaming list that tokens (or unanswered starts) of several \
                 tenants could have started: bound to none, metered for none.",
            )?)?,
            unmetered: r.int_counter(
                "heygen_gateway_sessions_unmetered_total",
                "Sessions running with nothing metering them, by reason (no_session_id: a start's \
                 answer named none; no_token: in HeyGen's streaming list, explained by no token or \
                 start of the gateway).",
                &["reason"],
            )?,
        };
        for reason in SESSION_UNMETERED_REASONS {
            families.unmetered.with_label_values(&[reason]);
        }
        for reason in SESSION_STOP_REASONS {
            families.stopped.with_label_values(&[reason]);
        }
        families.live.with_label_values(&["org"]);
        Ok(families)
    }
}

// === impl Metrics (sessions) ===

impl Metrics {
    /// Sets the live-session gauges: `org` and each tenant in `per_tenant`
    /// (tenants with none are set to 0 by the caller listing every tenant).
    pub fn sessions_live(&self, per_tenant: &[(&str, i64)]) {
        let live = &self.inner.sessions.live;
        live.with_label_values(&["org"])
            .set(per_tenant.iter().map(|(_, n)| n).sum());
        for (tenant, n) in per_tenant {
            live.with_label_values(&[tenant]).set(*n);
        }
    }

    /// Counts one completed pass of the session meter (`sessions::meter::tick`).
    pub fn session_meter_tick(&self) {
        self.inner.sessions.meter_ticks.inc();
    }

    /// Counts a session left to no tenant (`TokenClaim::Unattributed`).
    pub fn session_unattributed(&self) {
        self.inner.sessions.unattributed.inc();
    }

    /// Counts a session nothing meters (see [`SESSION_UNMETERED_REASONS`]).
    pub fn session_unmetered(&self, reason: &str) {
        self.inner
            .sessions
            .unmetered
            .with_label_values(&[reason])
            .inc();
    }

    /// Counts an ended session.
    pub fn session_ended(&self, tenant: &str, feature: &str, reason: &str, seconds: f64) {
        let s = &self.inner.sessions;
        s.stopped.with_label_values(&[reason]).inc();
        s.seconds
            .with_label_values(&[tenant, feature])
            .inc_by(seconds.max(0.0));
    }
}
