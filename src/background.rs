//! Background tasks: the settlement poller (jobs nobody asked about), hold
//! expiry, budget/hold gauges with threshold alerts, HeyGen's remaining
//! quota with its drift from the ledger, and the session meter, in one loop;
//! each timer follows its period in the config in force, reloads included.
//! Once a newer build migrated the ledger (`crate::schema_guard`), expiry,
//! the poller and the meter stop here; only the session stops this replica
//! already took are still settled. The webhook fan-out worker
//! (`crate::fanout::worker`) is a second task, the check of webhooks
//! waiting for their job's owner (`crate::fanout::parked`) a third, the
//! alert worker (`crate::alerts::worker`) a fourth, the schema check a
//! fifth; the gauge tick and the drift poll hand their readings to
//! `crate::alerts` to raise alerts.
//!
//! This file holds the task spawning, the loop, expiry (with the purge of
//! finished webhook deliveries past their retention) and the settlement
//! poller; the gauge and quota-drift readings are in `background/gauges.rs`,
//! the poller's backoff in `backoff.rs` and its Video Agent pass (binding
//! sessions' videos to their placeholders) in `agents.rs`.

mod agents;
mod backoff;
mod gauges;

use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::Ticker;
use crate::ledger::PendingJob;
use crate::state::AppState;
use backoff::Backoff;
use gauges::{gauges, Drift};

/// Pending jobs read per tick: far more than are polled, so jobs backing off
/// (or stuck upstream) at the head of the queue cannot starve newer ones.
const POLL_SCAN: u32 = 10_000;
/// Status re-reads per tick at most.
const POLL_BATCH: usize = 200;
/// Finished deliveries deleted per purge transaction, and transactions per tick.
const PURGE_BATCH: u32 = 1000;
const PURGE_BATCHES: u32 = 10;

pub(crate) fn spawn(state: &Arc<AppState>, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    vec![
        tokio::spawn(run(state.clone(), stop.clone())),
        // Webhook fan-out runs on its own timer: a slow tenant endpoint must
        // not delay settlement polling, nor the other way round.
        crate::fanout::spawn(state, stop.clone()),
        // Events waiting for their job's owner likewise: reading open
        // batches for it must not hold up deliveries already due.
        crate::fanout::parked::spawn(state, stop.clone()),
        // Ops alerts likewise: a slow alert receiver delays nothing else.
        crate::alerts::spawn(state.alerts.clone(), stop.clone()),
        // The schema check too: a long meter or poller tick in `run` must
        // not delay noticing a newer build's migration.
        tokio::spawn(schema_checks(state.clone(), stop)),
    ]
}

/// Reads the ledger's schema version every `schema_guard::period`.
async fn schema_checks(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let period =
        |s: &AppState| crate::schema_guard::period(s.snapshot().config.metrics.gauge_interval);
    let mut tick = Ticker::new(period(&state));
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = tick.tick() => state.schema.check(state.ledger.as_ref()).await,
        }
        tick.follow(period(&state));
    }
}

/// The quota poll's timer period: an hour while the poll is off, so a
/// reload that turns it on is picked up within the hour at worst.
fn quota_period(cfg: &crate::config::Config) -> Duration {
    cfg.metrics.quota_poll.unwrap_or(Duration::from_secs(3600))
}

async fn run(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let cfg = state.snapshot().config.clone();
    let mut poll = Ticker::new(cfg.settlement.poll_interval);
    let mut gauges_tick = Ticker::new(cfg.metrics.gauge_interval);
    let mut quota_tick = Ticker::new(quota_period(&cfg));
    let mut sessions_tick = Ticker::new(cfg.settlement.session_tick);
    let mut poller = Poller::default();
    let mut drift = Drift::default();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            // Behind a newer ledger, money is the newer replicas' to write.
            _ = poll.tick(), if !state.schema.is_behind() => {
                expire(&state).await;
                purge_deliveries(&state).await;
                poller.tick(&state).await;
            }
            _ = gauges_tick.tick() => {
                gauges(&state).await;
                if state.snapshot().config.pricing.projection().learn {
                    state.lookups.refresh_learned(state.ledger.as_ref(), state.clock.now()).await;
                }
            }
            _ = sessions_tick.tick() => {
                if state.schema.is_behind() {
                    // Stops this replica already took are work in flight:
                    // the newer replicas do not know them and would meter
                    // those sessions on.
                    crate::sessions::retry_kept_stops(&state).await
                } else {
                    crate::sessions::meter::tick(&state).await
                }
            }
            _ = quota_tick.tick() => {
                if state.snapshot().config.metrics.quota_poll.is_some() {
                    drift.tick(&state).await;
                }
            }
        }
        // A reload's periods apply from the next tick (the meter's lead is
        // computed from the tick in force, so the two must not disagree).
        let cfg = state.snapshot().config.clone();
        poll.follow(cfg.settlement.poll_interval);
        gauges_tick.follow(cfg.metrics.gauge_interval);
        quota_tick.follow(quota_period(&cfg));
        sessions_tick.follow(cfg.settlement.session_tick);
    }
}

async fn expire(state: &AppState) {
    match state.ledger.expire_holds(state.clock.now()).await {
        Ok(expired) => {
            for h in expired {
                // Captured like any settlement, so the credit counters add up
                // to the ledger's spend.
                let m = &state.metrics;
                m.credits(
                    crate::metrics::CreditKind::Captured,
                    &h.tenant,
                    &h.feature,
                    h.captured,
                );
                tracing::warn!(hold_id = %h.hold_id, tenant = %h.tenant, amount = %crate::money::format_credits(h.captured),
                    "Hold expired unsettled; captured at its held amount.");
            }
        }
        Err(e) => {
            state.note_ledger_error("expire", &e);
        }
    }
}

/// Deletes finished webhook deliveries past `webhooks.delivery_retention`,
/// [`PURGE_BATCH`] rows a transaction and at most [`PURGE_BATCHES`] a tick,
/// so a backlog (the first tick after an upgrade) never holds the ledger
/// for long; the next ticks take the rest.
async fn purge_deliveries(state: &AppState) {
    let retention = state.snapshot().config.webhooks.delivery_retention;
    let retention = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::days(7));
    let before = state.clock.now() - retention;
    for _ in 0..PURGE_BATCHES {
        match state.ledger.purge_deliveries(before, PURGE_BATCH).await {
            Ok(n) if n >= u64::from(PURGE_BATCH) => continue,
            Ok(_) => return,
            Err(e) => return state.note_ledger_error("purge_deliveries", &e),
        }
    }
}

/// Per-job (and per Video Agent session) exponential backoff for work
/// still pending upstream.
#[derive(Default)]
struct Poller {
    jobs: Backoff,
    sessions: Backoff,
}

impl Poller {
    async fn tick(&mut self, state: &AppState) {
        // First, so videos bound now are polled below in this tick.
        agents::bind(state, &mut self.sessions).await;
        let cfg = state.snapshot().config.clone();
        let now = state.clock.now();
        let before =
            now - chrono::Duration::from_std(cfg.settlement.poll_min_age).unwrap_or_default();
        let jobs = match state.ledger.jobs_to_poll(before, POLL_SCAN).await {
            Ok(j) => j,
            Err(e) => {
                state.note_ledger_error("jobs_to_poll", &e);
                return;
            }
        };
        let live: std::collections::HashSet<&str> =
            jobs.iter().map(|j| j.job_id.as_str()).collect();
        self.jobs.keep_only(&live);
        let due: Vec<PendingJob> = jobs
            .iter()
            // Placeholders have no status until a video is bound to them
            // (a contact's webhook, a session's video list above).
            .filter(|j| !j.status_path.is_empty())
            .filter(|j| self.jobs.due(&j.job_id))
            .take(POLL_BATCH)
            .cloned()
            .collect();
        let results: Vec<(String, bool)> = stream::iter(due)
            .map(|j: PendingJob| async move {
                let settled =
                    crate::settlement::refresh(state, &j.job_id, &j.status_path, "poller")
                        .await
                        .unwrap_or_else(|e| {
                            state.note_ledger_error("settle", &e);
                            false
                        });
                (j.job_id, settled)
            })
            .buffer_unordered(cfg.settlement.poll_concurrency)
            .collect()
            .await;
        for (id, settled) in results {
            self.jobs.record(id, settled, cfg.settlement.poll_interval);
        }
    }
}
