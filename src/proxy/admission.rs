//! A priced request admitted for HeyGen: claim its idempotency key, hold its
//! cost in every window of tenant and org, forward it, record the jobs HeyGen
//! created. The hold is durable before anything leaves. Each step hands its
//! guard to the next; the claim is finished in one place from the result.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Response};

use super::accepted::record_accepted;
use super::billable::{replay, HEADER_HOLD_ID, HEADER_PROJECTED, HEADER_REMAINING};
use super::claim::{Claim, IdemClaim};
use super::context::Outcome;
use super::forward::{forward, Origin, Outbound};
use super::hold::Held;
use crate::catalog::Billable;
use crate::config::{Config, TenantConfig};
use crate::error::GatewayError;
use crate::http::{full, Body};
use crate::ledger::{HoldRequest, StoredResponse};
use crate::money::format_credits;
use crate::ownership;
use crate::pricing::{MediaLengths, Quote, SettleMode};
use crate::sessions::Opened;
use crate::state::AppState;

/// Largest upstream answer to a creation call the gateway will buffer to find
/// job ids; HeyGen's are a few hundred bytes.
const MAX_CREATE_RESPONSE: usize = 4 << 20;

/// What pricing decided about the request.
pub(super) struct Priced {
    pub route: &'static str,
    pub billable: Billable,
    pub quote: Quote,
    /// Answer fields naming what the request creates, recorded as the
    /// tenant's (job ids are recorded with the hold in any case).
    pub created: &'static [&'static str],
    /// The resource kind they are recorded as (`created`, or a proofread's
    /// mode, which its generate is later priced at).
    pub created_kind: String,
    /// The media lengths the quote was priced from: a session start's idle
    /// limit may follow them (a realtime `audio` stream's).
    pub media: MediaLengths,
}

pub(super) struct Admission {
    pub state: Arc<AppState>,
    pub config: Arc<Config>,
    pub tenant: TenantConfig,
    pub priced: Priced,
    pub idem_key: Option<String>,
    pub outbound: Outbound,
    pub body: Bytes,
    pub origin: Origin,
}

/// HeyGen's answer, read whole, with the gateway's headers added.
struct Answered {
    parts: http::response::Parts,
    body: Bytes,
    /// `X-Gateway-Credits-Remaining`: not part of a stored answer, because a
    /// replay does not hold again; `None` once the hold was released.
    remaining: Option<String>,
}

// === impl Admission ===

impl Admission {
    pub(super) async fn run(self) -> Result<(Response<Body>, Outcome), GatewayError> {
        // Behind a newer ledger schema nothing billable is admitted, so its
        // key is not claimed either: a claim written here and abandoned
        // after the refusal is a write under this build's rules to a ledger
        // the newer replicas own, and if the abandon fails (or while it is
        // pending) the client's retry to an up-to-date replica finds the
        // key "in progress". `hold::take` checks again for a latch set
        // between here and the hold; that claim is abandoned as any refusal's.
        self.state
            .schema
            .admit()
            .map_err(GatewayError::ledger("hold"))?;
        let claim = match &self.idem_key {
            None => None,
            Some(key) => {
                let out = &self.outbound;
                let request = (&out.method, out.path_and_query.as_str(), &self.body);
                match IdemClaim::begin(&self.state, &self.tenant.id, key, request).await? {
                    Claim::Replay(stored) => return Ok(replay(stored)),
                    Claim::New(claim) => Some(claim),
                }
            }
        };
        // Every create HeyGen dedupes by key links its hold to the request,
        // so a retry of a lost attempt takes that hold over; a realtime
        // session start too, as HeyGen answers its retry with the same
        // session (v1 session starts are not deduped, by path).
        let dedupes = super::hold::heygen_dedupes(&self.outbound.path);
        let idem = claim
            .as_ref()
            .filter(|_| dedupes)
            .map(IdemClaim::fingerprint);
        let result = self.hold_and_forward(idem).await;
        if let Some(claim) = claim {
            finish_claim(claim, &result).await;
        }
        let answered = result?;
        let mut resp = Response::from_parts(answered.parts, full(answered.body));
        if let Some(v) = answered
            .remaining
            .and_then(|r| HeaderValue::from_str(&r).ok())
        {
            resp.headers_mut().insert(HEADER_REMAINING, v);
        }
        Ok((resp, Outcome::Forwarded))
    }

    fn hold_request(&self, idem: Option<String>) -> HoldRequest {
        let (cfg, tenant, quote) = (&self.config, &self.tenant, &self.priced.quote);
        let now = self.state.clock.now();
        HoldRequest {
            route: self.priced.route.to_string(),
            price_version: quote.version.clone(),
            request_id: self.origin.request_id.to_str().unwrap_or("-").to_string(),
            render: quote.settle == SettleMode::PerJob,
            render_lease: cfg.upstream.request_lease(),
            tenant_render_cap: tenant.limits.renders_in_flight,
            org_render_cap: cfg.org.renders_in_flight,
            session_cap: crate::sessions::Kind::of(&self.priced.billable)
                .and_then(|_| crate::sessions::cap_for(cfg, tenant)),
            idem,
            // HeyGen's contact webhooks name only the project: the ledger
            // keeps a project's open contacts one tenant's.
            contact_project: (self.priced.billable == Billable::PersonalizedVideo)
                .then(|| crate::settlement::contacts::project_of(&self.body))
                .flatten(),
            ..HoldRequest::for_tenant(cfg, tenant, &quote.feature, quote.credits, now)
        }
    }

    async fn hold_and_forward(mut self, idem: Option<String>) -> Result<Answered, GatewayError> {
        let req = self.hold_request(idem);
        let state = &self.state;
        let session = crate::sessions::Kind::of(&self.priced.billable).is_some();
        let Held {
            mut hold,
            remaining,
        } = super::hold::take(state, &self.config, &self.tenant, req, session).await?;
        let mut remaining = Some(remaining);
        // Named in the access log from here on, whatever the answer: a 502
        // or 504 that keeps the hold, or a client that hung up, included.
        hold.log_to(&self.origin.log);
        // An adopted hold keeps what its attempt was quoted (the same body,
        // so the same unless prices changed between): job shares and the
        // projected header follow the hold, so shares sum to what it holds.
        self.priced.quote.credits = hold.amount();
        let quote = &self.priced.quote;
        hold.mark_sent();
        crate::faultpoint::hit(crate::faultpoint::ADMISSION_AFTER_HOLD);
        let body = full(self.body.clone());
        let max_body = self.body.len() as u64;
        let sent = forward(state, &self.origin, self.outbound, body, max_body).await;
        let (hold, resp) = hold.after_send(sent).await?;
        let (mut parts, incoming) = resp.into_parts();
        let body = match state
            .upstream
            .read_body(incoming, MAX_CREATE_RESPONSE)
            .await
        {
            Ok(b) => b,
            Err(e) => {
                // HeyGen answered but the body was lost: the job may exist.
                tracing::warn!(hold_id = %hold.id(), error = %e, "Upstream response body unreadable.");
                hold.keep("response body unreadable");
                return Err(GatewayError::UpstreamFailed);
            }
        };
        super::headers::prepare_downstream(&mut parts.headers);
        let h = &mut parts.headers;
        if let Ok(v) = HeaderValue::from_str(&format_credits(quote.credits)) {
            h.insert(HEADER_PROJECTED, v);
        }
        if let Ok(v) = HeaderValue::from_str(hold.id()) {
            h.insert(HEADER_HOLD_ID, v);
        }
        if parts.status.is_success() {
            crate::faultpoint::hit(crate::faultpoint::ADMISSION_AFTER_FORWARD);
            if !self.priced.created.is_empty() {
                let ledger = state.ledger.as_ref();
                let (tenant, kind) = (&self.tenant.id, &self.priced.created_kind);
                ownership::record_created(ledger, tenant, self.priced.created, kind, &body).await;
            }
            let session = crate::sessions::Kind::of(&self.priced.billable);
            if let Some(kind) = session {
                let (q, tenant) = (&self.priced.quote, &self.tenant.id);
                let start = crate::sessions::Start {
                    kind,
                    tenant,
                    feature: &q.feature,
                    rate: q.credits,
                    hold_id: hold.id(),
                    media: &self.priced.media,
                };
                match crate::sessions::open(state, start, &self.body, &body).await {
                    Opened::Metered => hold.into_session(),
                    // A session may run that nothing meters: fail closed,
                    // the hold left to its TTL (`sessions::Opened`).
                    Opened::NoSession => hold.keep("session start names no session"),
                    // Stopped at HeyGen (or never handed out): HeyGen's
                    // answer, naming it, must not reach the client.
                    Opened::Unmetered { owed, error } => {
                        hold.settle_unmetered(owed).await;
                        return Err(error);
                    }
                }
            } else {
                record_accepted(state, hold, &self.priced, &self.body, &body).await;
            }
        } else if !super::refusal::end_hold(hold, parts.status, &body).await {
            // Released: what remained after the hold is no longer so.
            remaining = None;
        }
        Ok(Answered {
            parts,
            body,
            remaining,
        })
    }
}

/// Stores a final answer under the key, or frees the key when a retry
/// should be allowed (refusals, retryable answers, unknown outcomes).
async fn finish_claim(claim: IdemClaim, result: &Result<Answered, GatewayError>) {
    let Ok(a) = result else {
        return claim.abandon().await;
    };
    let status = a.parts.status.as_u16();
    // HeyGen's 409 `request_in_progress`: an earlier attempt with this key
    // is still running there; its answer is not final, a retry gets it.
    if status == 409 || status == 429 || status >= 500 {
        return claim.abandon().await;
    }
    let stored = StoredResponse {
        status,
        headers: a
            .parts
            .headers
            .iter()
            .filter(|(k, _)| *k != http::header::CONTENT_LENGTH)
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body: a.body.to_vec(),
    };
    claim.complete(&stored).await;
}
