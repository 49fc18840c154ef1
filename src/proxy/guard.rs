//! Guards for what an admission takes and must give back: a ledger hold
//! here, an idempotency-key claim in `claim`. Each is ended by one consuming
//! method; if a guard is dropped unended (a bug, a panic, a cancelled task)
//! its `Drop` runs the safe cleanup once, in a task of its own (the idea of
//! tower-http's `OnEarlyDropGuard`), so no exit path can strand either.

use std::sync::Arc;

use super::context::RequestContext;
use crate::error::GatewayError;
use crate::ledger::{HoldInfo, HoldState, JobRecord};
use crate::metrics::CreditKind;
use crate::money::Micros;
use crate::sessions::Owed;
use crate::state::AppState;

/// A durable hold taken for one request.
pub(super) struct HoldGuard {
    state: Arc<AppState>,
    hold_id: String,
    tenant: String,
    feature: String,
    amount: Micros,
    /// Set once the request may have reached HeyGen: from then on an
    /// unended guard keeps the hold (the TTL captures it) instead of
    /// releasing it, because HeyGen may have created the job.
    sent: bool,
    whose: Whose,
    ended: bool,
    /// The request's access-log tags, told when the hold is kept.
    log: Option<RequestContext>,
}

/// Which request a guarded hold was taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whose {
    /// This one.
    Own,
    /// An earlier attempt of the same idempotent request, whose outcome was
    /// lost; this retry took it over (`proxy::hold`). `expired`: its TTL had
    /// already captured it in full.
    Adopted { expired: bool },
}

// === impl HoldGuard ===

impl HoldGuard {
    pub(super) fn new(
        state: Arc<AppState>,
        hold_id: String,
        tenant: String,
        feature: String,
        amount: Micros,
    ) -> Self {
        HoldGuard {
            state,
            hold_id,
            tenant,
            feature,
            amount,
            sent: false,
            whose: Whose::Own,
            ended: false,
            log: None,
        }
    }

    /// Guards the hold an earlier attempt of this idempotent request left:
    /// that attempt was sent, so the hold is never released for lack of an
    /// answer to this one.
    pub(super) fn adopted(state: Arc<AppState>, hold: HoldInfo) -> Self {
        HoldGuard {
            state,
            hold_id: hold.hold_id,
            tenant: hold.tenant,
            feature: hold.feature,
            amount: hold.amount,
            sent: true,
            whose: Whose::Adopted {
                expired: hold.state == HoldState::Expired,
            },
            ended: false,
            log: None,
        }
    }

    /// Tags `log` with the hold: its id now, and whether it is kept if the
    /// answer turns out to be an error.
    pub(super) fn log_to(&mut self, log: &RequestContext) {
        let id = self.hold_id.clone();
        log.tag(|t| t.hold_id = Some(id));
        self.log = Some(log.clone());
    }

    pub(super) fn id(&self) -> &str {
        &self.hold_id
    }

    /// What the hold holds (for an adopted hold, what its attempt was quoted).
    pub(super) fn amount(&self) -> Micros {
        self.amount
    }

    /// The request is about to leave for HeyGen.
    pub(super) fn mark_sent(&mut self) {
        self.sent = true;
    }

    /// Frees the hold: HeyGen refused the request or never saw it. An
    /// adopted hold is kept instead: this answer says nothing certain about
    /// the earlier attempt, which may have made the job.
    /// Returns whether the ledger released it (an adopted hold is kept,
    /// and a failed release leaves it to the TTL).
    pub(super) async fn release(mut self, reason: &str) -> bool {
        if self.whose != Whose::Own {
            self.keep(reason);
            return false;
        }
        self.ended = true;
        release(
            &self.state,
            &self.hold_id,
            reason,
            &self.tenant,
            &self.feature,
            self.amount,
        )
        .await
    }

    /// Leaves the hold open for the TTL to capture in full: HeyGen may have
    /// acted on the request but the gateway cannot know its outcome.
    /// The hold pays a live session's first minute; session metering
    /// (`crate::sessions`) captures it.
    pub(super) fn into_session(mut self) {
        self.ended = true;
    }

    /// Ends the hold when the request could not be sent: nothing reached
    /// HeyGen → released; a timeout or a connection lost after sending is
    /// ambiguous (HeyGen may have created the job) → kept for the TTL to
    /// capture in full rather than risk undercounting. A sent request
    /// hands the guard back with the answer.
    pub(super) async fn after_send<T>(
        self,
        sent: Result<T, GatewayError>,
    ) -> Result<(HoldGuard, T), GatewayError> {
        match sent {
            Ok(answer) => Ok((self, answer)),
            Err(e @ GatewayError::UpstreamUnreachable) => {
                self.release("upstream_unreachable").await;
                Err(e)
            }
            Err(e) => {
                self.keep(e.reason());
                Err(e)
            }
        }
    }

    pub(super) fn keep(mut self, why: &str) {
        self.ended = true;
        if let Some(log) = &self.log {
            log.tag(|t| t.hold_kept = true);
        }
        tracing::warn!(hold_id = %self.hold_id, why, "Outcome upstream unknown; hold kept for TTL settlement.");
    }

    /// Records the jobs HeyGen created: `held` → `submitted`.
    pub(super) async fn submit(mut self, jobs: &[JobRecord]) {
        self.ended = true;
        if let Err(e) = self.state.ledger.submit(&self.hold_id, jobs).await {
            // The job exists upstream: the record is retried; the hold
            // stays, and the TTL captures it if every retry fails.
            self.state.note_ledger_error("submit", &e);
            super::unrecorded::retry_submit(&self.state, &self.hold_id, &self.tenant, jobs, &e);
        }
    }

    /// Captures the hold at `amount` (per-call features, or no job id to
    /// settle by); the rest of the hold is freed.
    pub(super) async fn capture(mut self, amount: Micros) {
        self.ended = true;
        if self.whose == (Whose::Adopted { expired: true }) {
            // Its TTL captured it in full already; capturing needs a held hold.
            tracing::info!(hold_id = %self.hold_id, "Adopted hold was captured at expiry; nothing more to capture.");
            return;
        }
        let s = &self.state;
        match s.ledger.capture_hold(&self.hold_id, amount).await {
            Ok(_) => {
                s.metrics
                    .credits(CreditKind::Captured, &self.tenant, &self.feature, amount);
                s.metrics.credits(
                    CreditKind::Released,
                    &self.tenant,
                    &self.feature,
                    self.amount - amount,
                );
            }
            // The hold stays open and the TTL captures it in full.
            Err(e) => s.note_ledger_error("capture", &e),
        }
    }
}

// === impl HoldGuard (sessions) ===

impl HoldGuard {
    /// Settles the first minute of a session start the gateway could not
    /// meter, as `owed` says (`sessions::Owed`).
    pub(super) async fn settle_unmetered(self, owed: Owed) {
        match owed {
            Owed::Nothing => {
                self.release("session_not_registered").await;
            }
            Owed::Ran(cost) => self.capture(cost).await,
            // HeyGen replayed an earlier attempt's session: only the hold of
            // that attempt, taken over, stands for it.
            Owed::Replayed(cost) if self.whose != Whose::Own => self.capture(cost).await,
            Owed::Replayed(_) => {
                self.release("session_replayed").await;
            }
            // The session's own stop settled it in the ledger.
            Owed::Settled => self.into_session(),
        }
    }
}

impl Drop for HoldGuard {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        if self.sent {
            tracing::warn!(hold_id = %self.hold_id, "Admission ended early after sending; hold kept for TTL settlement.");
            return;
        }
        let state = self.state.clone();
        let (hold_id, tenant, feature, amount) = (
            std::mem::take(&mut self.hold_id),
            std::mem::take(&mut self.tenant),
            std::mem::take(&mut self.feature),
            self.amount,
        );
        spawn_cleanup(&self.state, async move {
            release(&state, &hold_id, "abandoned", &tenant, &feature, amount).await;
        });
    }
}

async fn release(
    state: &AppState,
    hold_id: &str,
    reason: &str,
    tenant: &str,
    feature: &str,
    amount: Micros,
) -> bool {
    match state.ledger.release(hold_id, reason).await {
        Ok(()) => {
            state
                .metrics
                .credits(CreditKind::Released, tenant, feature, amount);
            true
        }
        Err(e) => {
            state.note_ledger_error("release", &e);
            false
        }
    }
}

/// Runs a guard's cleanup on the task tracker, so shutdown waits for it.
/// Outside a runtime (a guard dropped during runtime shutdown) there is
/// nothing to run it on; the hold's TTL and the key's TTL still end both.
pub(super) fn spawn_cleanup(
    state: &AppState,
    fut: impl std::future::Future<Output = ()> + Send + 'static,
) {
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        state.tasks.spawn_on(fut, &handle);
    }
}
