//! The guard of an `Idempotency-Key` an admission claimed: completed with
//! the answer to replay, or abandoned so a retry may proceed; dropped
//! unended, abandoned by itself (see `guard`).

use std::sync::Arc;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::guard::spawn_cleanup;
use crate::error::GatewayError;
use crate::ledger::{IdemBegin, StoredResponse};
use crate::state::AppState;

/// An `Idempotency-Key` this request claimed.
pub(super) struct IdemClaim {
    state: Arc<AppState>,
    tenant: String,
    key: String,
    /// SHA-256 of the request the key was claimed for: method, target
    /// and body.
    request: [u8; 32],
    ended: bool,
}

/// What claiming a key found.
pub(super) enum Claim {
    /// First use: the claim must be completed or abandoned.
    New(IdemClaim),
    /// A finished request with this key, target and body: replay its answer.
    Replay(StoredResponse),
}

// === impl IdemClaim ===

impl IdemClaim {
    /// Claims `key` for the request `method target body` atomically: of
    /// concurrent duplicates exactly one gets [`Claim::New`]. The key stands
    /// for that one request, as Stripe's do: the same key and body sent to
    /// another target (another template, say) is refused as a reused key,
    /// not answered with the first target's job.
    pub(super) async fn begin(
        state: &Arc<AppState>,
        tenant: &str,
        key: &str,
        request: (&http::Method, &str, &Bytes),
    ) -> Result<Claim, GatewayError> {
        let (method, target, body) = request;
        let mut h = Sha256::new();
        h.update(method.as_str());
        h.update([0]);
        h.update(target);
        h.update([0]);
        h.update(body);
        let digest: [u8; 32] = h.finalize().into();
        let now = state.clock.now();
        // The lease is read from the live config, but the upstream
        // timeouts it is made of only change with a restart.
        let lease = state.snapshot().config.upstream.request_lease();
        match state
            .ledger
            .idem_begin(tenant, key, digest, now, lease)
            .await
        {
            Ok(IdemBegin::New) => Ok(Claim::New(IdemClaim {
                state: state.clone(),
                tenant: tenant.to_string(),
                key: key.to_string(),
                request: digest,
                ended: false,
            })),
            Ok(IdemBegin::Replay(stored)) => Ok(Claim::Replay(stored)),
            Ok(IdemBegin::InProgress) => Err(GatewayError::IdempotencyInProgress),
            Ok(IdemBegin::Mismatch) => Err(GatewayError::IdempotencyMismatch),
            Err(e) => Err(GatewayError::ledger("idem_begin")(e)),
        }
    }

    /// Names this request across its attempts as HeyGen tells requests
    /// apart (the key it is sent is derived from tenant and key; the body
    /// must match): hex SHA-256 of tenant, key and the claimed request's
    /// digest (method, target, body), delimited. Every attempt with this
    /// key, target and body has the same fingerprint. The target counts
    /// because one route template spans many targets (`POST
    /// /v3/templates/{id}`): the same key and body sent to another template
    /// is another request, to be held and budget-checked at its own price,
    /// not under the first's hold.
    pub(super) fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for part in [self.tenant.as_bytes(), self.key.as_bytes()] {
            h.update(part);
            h.update([0]);
        }
        h.update(self.request);
        hex::encode(h.finalize())
    }

    /// Stores the answer for replay.
    pub(super) async fn complete(mut self, stored: &StoredResponse) {
        self.ended = true;
        if let Err(e) = self
            .state
            .ledger
            .idem_complete(&self.tenant, &self.key, stored)
            .await
        {
            self.state.note_ledger_error("idem_complete", &e);
        }
    }

    /// Forgets the claim so a retry may proceed (refusals, retryable or
    /// unknown outcomes: a key stuck "in progress" would answer 409 for a day).
    pub(super) async fn abandon(mut self) {
        self.ended = true;
        abandon(&self.state, &self.tenant, &self.key).await;
    }
}

impl Drop for IdemClaim {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let state = self.state.clone();
        let (tenant, key) = (
            std::mem::take(&mut self.tenant),
            std::mem::take(&mut self.key),
        );
        spawn_cleanup(&self.state, async move {
            abandon(&state, &tenant, &key).await;
        });
    }
}

async fn abandon(state: &AppState, tenant: &str, key: &str) {
    if let Err(e) = state.ledger.idem_abandon(tenant, key).await {
        state.note_ledger_error("idem_abandon", &e);
    }
}
