//! Events whose job has no known owner when HeyGen sends them, kept until
//! it has one (`ledger::ParkedEvents`).
//!
//! HeyGen's events for an item of a v3 batch name the item's own id, which
//! the gateway learns from the batch's status (`batch_items`), often after
//! the item's first event. Such an event is parked (durably, before HeyGen
//! gets its 2xx) rather than dropped. A task per process checks parked
//! events every `webhooks.fanout_interval_ms`: an event whose owner is known
//! now is queued for the owner's subscribed endpoints in the transaction
//! that removes it, so it is passed on once; while some still have none,
//! open batches are read for their items' ids (`batch_items::Discovery`,
//! bounded); one still without an owner is checked again after a growing
//! delay (at most [`MAX_CHECK_DELAY`]) and given up once it has waited
//! `webhooks.owner_wait_seconds`. Events of jobs the gateway never made
//! end that way too, never passed on to anyone. At most
//! `webhooks.max_parked_events` wait at once: past that, new ones are
//! dropped (counted, logged once per change), as such a burst (the org's
//! own use of its key, which HeyGen signs alike) could otherwise grow the
//! table for a whole `owner_wait_seconds`.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::batch_items::Discovery;
use crate::config::Config;
use crate::ledger::{LedgerError, NewParkedEvent, ParkOutcome, ParkedEvent};
use crate::pricing::WebhookEvent;
use crate::state::AppState;

/// Parked events checked per pass at most; more wait for the next tick.
const CHECK_BATCH: u32 = 100;
/// Longest wait between two checks of one event.
pub(crate) const MAX_CHECK_DELAY: Duration = Duration::from_secs(60);

/// Parks an event whose job has no known owner (a redelivery of one parked
/// already is a no-op). With `owner_wait_seconds = 0` or
/// `max_parked_events = 0` it is dropped, as events of unknown jobs were
/// before parking existed; once `max_parked_events` wait, it is dropped and
/// counted (`dropped_full`), so a burst of events of jobs the gateway never
/// made cannot grow the ledger without bound.
pub(super) async fn park(
    state: &AppState,
    config: &Config,
    event: &WebhookEvent,
    event_id: &str,
    payload: &str,
) -> Result<(), LedgerError> {
    let max = config.webhooks.max_parked_events;
    if config.webhooks.owner_wait.is_zero() || max == 0 {
        return Ok(());
    }
    // Full at the last look: dropped without asking the ledger, so a burst
    // at the cap costs nothing, until the checking task's count (every
    // `fanout_interval_ms`) shows room. A redelivery of a parked event is
    // counted as dropped meanwhile; it is parked all the same.
    if state.parked_full.load(Ordering::Acquire) {
        dropped(state, event);
        return Ok(());
    }
    let parked = NewParkedEvent {
        event_id: event_id.to_owned(),
        resource_id: event.job_id.clone(),
        event_type: event.event_type.clone(),
        payload: payload.to_owned(),
    };
    // Due at once: the first check reads the open batches.
    match state
        .ledger
        .park_event(&parked, state.clock.now(), max)
        .await?
    {
        ParkOutcome::Parked => {
            state.metrics.webhook_unowned("parked");
            tracing::debug!(job_id = %event.job_id, event = %event.event_type, "Webhook of a job with no known owner parked.");
        }
        ParkOutcome::AlreadyParked => {}
        ParkOutcome::Full => {
            note_full(state, true, max);
            dropped(state, event);
        }
    }
    Ok(())
}

fn dropped(state: &AppState, event: &WebhookEvent) {
    state.metrics.webhook_unowned("dropped_full");
    tracing::debug!(job_id = %event.job_id, event = %event.event_type,
        "Webhook of a job with no known owner dropped: webhooks.max_parked_events wait already.");
}

/// Records whether `max` events wait, logging only the changes: at the cap
/// every event of a burst would log otherwise.
fn note_full(state: &AppState, full: bool, max: u32) {
    if state.parked_full.swap(full, Ordering::AcqRel) == full {
        return;
    }
    if full {
        tracing::warn!(max_parked_events = max,
            "Parked webhook events reached webhooks.max_parked_events: events of jobs with no known owner \
             are dropped, never passed on, until parked ones are resolved or given up. Events of jobs the \
             gateway never made (the org's key used outside it) fill it: raise the cap or lower \
             webhooks.owner_wait_seconds.");
    } else {
        tracing::info!(
            max_parked_events = max,
            "Parked webhook events are below webhooks.max_parked_events again: parking resumed."
        );
    }
}

/// Starts the checking task; it stops when `stop` changes.
pub(crate) fn spawn(state: &Arc<AppState>, stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(run(state.clone(), stop))
}

async fn run(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let mut tick = crate::clock::Ticker::new(state.snapshot().config.webhooks.fanout_interval);
    let mut discovery = Discovery::default();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = tick.tick() => {}
        }
        check(&state, &mut discovery).await;
        let config = state.snapshot().config.clone();
        let webhooks = &config.webhooks;
        match state.ledger.parked_event_count().await {
            Ok(n) => {
                state.metrics.set_webhook_parked(n);
                // Room again (given up, resolved, or a reload raised the
                // cap), or filled by another replica. With the cap at 0
                // nothing is parked and nothing is "full".
                let max = webhooks.max_parked_events;
                if max > 0 {
                    note_full(&state, n >= u64::from(max), max);
                }
            }
            Err(e) => state.note_ledger_error("parked_event_count", &e),
        }
        tick.follow(webhooks.fanout_interval);
    }
}

/// One pass over the parked events due now.
pub(crate) async fn check(state: &AppState, discovery: &mut Discovery) {
    let now = state.clock.now();
    let due = match state.ledger.due_parked_events(now, CHECK_BATCH).await {
        Ok(d) => d,
        Err(e) => return state.note_ledger_error("due_parked_events", &e),
    };
    let mut waiting = Vec::new();
    for e in due {
        if !resolve(state, &e).await {
            waiting.push(e);
        }
    }
    // Only while something waits are batches read, and then few.
    if !waiting.is_empty() && discovery.pass(state).await > 0 {
        let mut still = Vec::new();
        for e in waiting {
            if !resolve(state, &e).await {
                still.push(e);
            }
        }
        waiting = still;
    }
    let config = state.snapshot().config.clone();
    for e in waiting {
        wait_or_give_up(state, &config, &e).await;
    }
}

/// Passes `e` on when its owner is known now; `false` while it is not (or
/// the ledger failed: the lease runs out and it is checked again).
async fn resolve(state: &AppState, e: &ParkedEvent) -> bool {
    let ledger = state.ledger.as_ref();
    let tenant = match super::owner(ledger, &e.resource_id, None).await {
        Ok(Some(t)) => t,
        Ok(None) => return false,
        Err(err) => {
            state.note_ledger_error("get_job", &err);
            return false;
        }
    };
    let config = state.snapshot().config.clone();
    let targets = super::targets(ledger, &config, &tenant, &e.event_type, &e.resource_id).await;
    let result = match targets {
        Ok(ids) => {
            ledger
                .unpark_event(&e.event_id, Some((&tenant, &ids)))
                .await
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(queued) => {
            state.metrics.webhook_unowned("resolved");
            tracing::debug!(%tenant, job_id = %e.resource_id, event = %e.event_type, queued,
                "Parked webhook's owner found; passed on.");
        }
        Err(err) => state.note_ledger_error("unpark_event", &err),
    }
    true
}

/// Checks `e` again later, or gives it up once it has waited long enough.
async fn wait_or_give_up(state: &AppState, config: &Config, e: &ParkedEvent) {
    let now = state.clock.now();
    let waited = (now - e.parked_at).to_std().unwrap_or_default();
    let ledger = state.ledger.as_ref();
    if waited >= config.webhooks.owner_wait {
        match ledger.unpark_event(&e.event_id, None).await {
            Ok(_) => {
                state.metrics.webhook_unowned("given_up");
                tracing::info!(job_id = %e.resource_id, event = %e.event_type, checks = e.checks,
                    "No owner known for the webhook's job in time; not passed on.");
            }
            Err(err) => state.note_ledger_error("unpark_event", &err),
        }
        return;
    }
    // 1 s, 2 s, 4 s, … up to a minute: quick while a batch's ids are still
    // being learned, cheap for the events of jobs that are nobody's.
    let delay = Duration::from_secs(1u64 << e.checks.min(6)).min(MAX_CHECK_DELAY);
    let at = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::seconds(60));
    if let Err(err) = ledger.defer_parked_event(&e.event_id, at).await {
        state.note_ledger_error("defer_parked_event", &err);
    }
}
