//! The hold an admitted request is forwarded under: a new one, checked
//! against every budget window of tenant and org; or, for a retry of an
//! idempotent request HeyGen dedupes, the hold an earlier attempt left.
//!
//! HeyGen honours `Idempotency-Key` on v3 creates: a retry with the same key
//! and body is answered with the job the first attempt made, if it made one.
//! When the gateway lost that attempt's outcome (a timeout, a connection
//! lost after sending, an answer cut off) it kept the attempt's hold, since
//! the job may exist. Holding again for the retry would charge the tenant
//! twice for that one job (the kept hold in full at its TTL, the retry's at
//! the job's length); so the retry takes the kept hold over instead, and the
//! job HeyGen names is recorded under it. Nothing new is held: the budget
//! check that hold passed covers the retry. A realtime session start is
//! deduped alike (the retry is answered with the same session), and its
//! hold is the session's first minute: taken over, it pays that minute
//! once and counts once against the session cap.

use std::sync::Arc;

use crate::config::{Config, TenantConfig};
use crate::error::{GatewayError, Shortfall as EdgeShortfall};
use crate::ledger::{HoldDecision, HoldRequest, Scope, Shortfall, Takeover, Window};
use crate::metrics::CreditKind;
use crate::money::{format_credits, Micros};
use crate::state::AppState;

use super::guard::HoldGuard;

/// A hold to forward under, and `X-Gateway-Credits-Remaining`: the tightest
/// budget window left after it (`unlimited` when none is configured).
pub(super) struct Held {
    pub hold: HoldGuard,
    pub remaining: String,
}

/// Whether HeyGen dedupes a create on `path` by its key: it honours
/// `Idempotency-Key` on v3 POSTs (heygen-api.md §1, replayed for 24 h) and
/// ignores it on v1 and v2, where a repeat makes another job — there the
/// earlier attempt's hold stays its own, as its job may exist beside the
/// retry's.
pub(super) fn heygen_dedupes(path: &str) -> bool {
    path.starts_with("/v3/")
}

/// Takes over the hold an earlier attempt of `req.idem`'s request left, if
/// any; else holds `req` anew. The new hold is linked to `req.idem` in its
/// transaction, for a later retry to find. `session`: the request starts a
/// metered session, whose first minute the hold pays.
pub(super) async fn take(
    state: &Arc<AppState>,
    cfg: &Config,
    tenant: &TenantConfig,
    req: HoldRequest,
    session: bool,
) -> Result<Held, GatewayError> {
    // Behind a newer ledger schema nothing billable is admitted here.
    state.schema.admit().map_err(GatewayError::ledger("hold"))?;
    if let Some(held) = adopt(state, cfg, tenant, &req, session).await? {
        return Ok(held);
    }
    let (feature, amount) = (req.feature.clone(), req.amount);
    let decision = state
        .ledger
        .hold(req)
        .await
        .map_err(GatewayError::ledger("hold"))?;
    let granted = granted(decision)?;
    for s in &granted.shadow_shortfalls {
        state
            .metrics
            .shadow_rejection(&s.scope.label(), "insufficient_credit");
        tracing::warn!(tenant = %tenant.id, scope = %s.scope.label(), window = s.window.as_str(),
            required = %format_credits(s.required), remaining = %format_credits(s.remaining),
            "Shadow budget would have refused this request.");
    }
    state
        .metrics
        .credits(CreditKind::Held, &tenant.id, &feature, amount);
    let hold = HoldGuard::new(
        state.clone(),
        granted.hold_id,
        tenant.id.clone(),
        feature,
        amount,
    );
    let remaining = granted
        .remaining
        .map_or_else(|| "unlimited".to_string(), |(_, _, m)| format_credits(m));
    Ok(Held { hold, remaining })
}

/// The hold an earlier attempt left, guarded for this retry.
async fn adopt(
    state: &Arc<AppState>,
    cfg: &Config,
    tenant: &TenantConfig,
    req: &HoldRequest,
    session: bool,
) -> Result<Option<Held>, GatewayError> {
    let Some(fingerprint) = &req.idem else {
        return Ok(None);
    };
    let (ledger, tenant_id, route) = (&state.ledger, &req.tenant, &req.route);
    // A session start's first minute is taken over only while `held`, and
    // gets the retry's TTL (see `Takeover::Session`).
    let takeover = if session {
        Takeover::Session {
            until: req.expires_at,
        }
    } else {
        Takeover::Job
    };
    let found = ledger
        .retry_hold(tenant_id, route, fingerprint, req.now, takeover)
        .await
        .map_err(GatewayError::ledger("retry_hold"))?;
    let Some(earlier) = found else {
        return Ok(None);
    };
    let remaining = remaining_now(state, cfg, tenant).await?;
    tracing::info!(hold_id = %earlier.hold_id, state = earlier.state.as_str(),
        first_request_id = %earlier.request_id, request_id = %req.request_id,
        "Retry of an idempotent request takes over the hold its earlier attempt left.");
    let hold = HoldGuard::adopted(state.clone(), earlier);
    Ok(Some(Held { hold, remaining }))
}

/// The tightest configured window of tenant and org now (the adopted hold
/// is already counted in it), as a hold's decision would report it.
async fn remaining_now(
    state: &AppState,
    cfg: &Config,
    tenant: &TenantConfig,
) -> Result<String, GatewayError> {
    let scopes = [
        (Scope::Tenant(tenant.id.clone()), tenant.budgets),
        (Scope::Org, cfg.org.budgets),
    ];
    let usage = state
        .ledger
        .usage(&scopes, cfg.plan.timezone, state.clock.now())
        .await
        .map_err(GatewayError::ledger("usage"))?;
    let tightest = usage
        .iter()
        .flat_map(|s| &s.windows)
        .filter_map(|w| w.remaining)
        .min();
    Ok(tightest.map_or_else(|| "unlimited".to_string(), format_credits))
}

/// A hold the ledger granted: its id, the tightest window left after it,
/// and what shadow scopes would have refused.
pub(super) struct Granted {
    pub hold_id: String,
    pub remaining: Option<(Scope, Window, Micros)>,
    pub shadow_shortfalls: Vec<Shortfall>,
}

/// The ledger's decision as the edge sees it: the granted hold, or the
/// refusal as the error the client gets (402, or 429 at a cap).
pub(super) fn granted(d: HoldDecision) -> Result<Granted, GatewayError> {
    match d {
        HoldDecision::Held {
            hold_id,
            remaining,
            shadow_shortfalls,
        } => Ok(Granted {
            hold_id,
            remaining,
            shadow_shortfalls,
        }),
        HoldDecision::Insufficient(s) => Err(GatewayError::InsufficientCredit(EdgeShortfall {
            scope: s.scope.label(),
            window: s.window.as_str().to_string(),
            required: s.required,
            remaining: s.remaining,
            resets_at: s.resets_at,
            never_fits: s.never_fits,
        })),
        HoldDecision::RenderCapReached { scope, cap } => Err(GatewayError::RenderCap {
            scope: scope.label(),
            cap,
        }),
        HoldDecision::SessionCapReached { scope, cap } => Err(GatewayError::SessionCap {
            scope: scope.label(),
            cap,
        }),
        HoldDecision::ProjectInUse { project_id } => Err(GatewayError::ProjectInUse { project_id }),
    }
}
