//! The billable branch: read and price the body, then hand the rest to an
//! [`Admission`] running in its own task — claim the idempotency key, hold
//! the cost durably, forward, record the jobs. Running it apart from the
//! connection means a client that hangs up mid-request cannot strand a hold
//! half-way; the guards end the hold and the claim on every path.

use std::sync::Arc;

use crate::conn::ReqBody;
use http::{HeaderValue, Request, Response};

use super::admission::{Admission, Priced};
use super::context::{Admitted, Outcome, RequestContext};
use super::forward::{Origin, Outbound};
use crate::catalog::{Billable, Route};
use crate::error::GatewayError;
use crate::http::{collect_or_drain, Body, BodyError};
use crate::metrics::CreditKind;
use crate::ownership::{self, Access, Named, Policy};
use crate::pricing::{self, PlanPolicy};
use crate::state::AppState;

pub(crate) const HEADER_PROJECTED: &str = "x-gateway-credits-projected";
pub(crate) const HEADER_REMAINING: &str = "x-gateway-credits-remaining";
pub(crate) const HEADER_HOLD_ID: &str = "x-gateway-hold-id";
pub(crate) const HEADER_REPLAYED: &str = "x-gateway-idempotent-replay";

/// A billable request on its way in.
pub(super) struct BillableRequest<'a> {
    pub admitted: &'a Admitted,
    pub route: &'a Route,
    pub billable: &'a Billable,
    pub path: &'a str,
    pub path_and_query: &'a str,
    pub origin: Origin,
    /// What isolation said about the route (body-named ids, creations).
    pub access: &'a Access,
    pub policy: Policy,
}

pub(super) async fn handle(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    br: BillableRequest<'_>,
    req: Request<ReqBody>,
) -> Result<Response<Body>, GatewayError> {
    let cfg = &br.admitted.runtime.config;
    let limit = cfg.server.max_json_body_bytes;
    let too_large = GatewayError::PayloadTooLarge {
        limit: limit as u64,
    };
    super::hygiene::declared_length_within(req.headers(), limit as u64)?;
    let (parts, incoming) = req.into_parts();
    let body = collect_or_drain(incoming, limit)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge(_) => too_large,
            other => other.into(),
        })?;
    if let Access::BodyIds { named, fields, .. } = br.access {
        let named = Named {
            ids: ownership::body_ids_checked(&body, fields)?,
            stock_if_unrecorded: named.stock_if_unrecorded,
        };
        let tenant = &br.origin.tenant;
        ownership::check_named(state.ledger.as_ref(), br.policy, tenant, &named, false).await?;
    }
    // What the job is made from must not be another tenant's.
    let inputs = ownership::job_inputs(&body);
    let tenant = &br.origin.tenant;
    ownership::check_named(state.ledger.as_ref(), br.policy, tenant, &inputs, true).await?;
    let plan = PlanPolicy::from(&cfg.plan);
    let facts = super::media::facts(state, br.billable, &body, &br.origin.tenant).await;
    let quote = pricing::quote_with_facts(&cfg.pricing, &plan, br.billable, &body, &facts)
        .map_err(GatewayError::Pricing)?;
    state.metrics.credits(
        CreditKind::Projected,
        &br.origin.tenant,
        &quote.feature,
        quote.credits,
    );
    let credits = quote.credits;
    ctx.tag(|t| t.credits = Some(credits));
    let idem_key = super::headers::idempotency_key(&parts.headers)?;
    let tenant = br
        .admitted
        .tenant()
        .cloned()
        .ok_or(GatewayError::Unauthenticated)?;
    let admission = Admission {
        state: state.clone(),
        config: cfg.clone(),
        tenant,
        priced: Priced {
            route: br.route.template,
            billable: br.billable.clone(),
            quote,
            created: match br.access {
                Access::Create(fields)
                | Access::BodyIds {
                    created: fields, ..
                } => fields,
                _ => &[],
            },
            created_kind: pricing::facts::proofread_kind(br.billable, &body)
                .unwrap_or_else(|| ownership::CREATED.to_string()),
            media: facts.media,
        },
        idem_key,
        outbound: Outbound {
            method: parts.method,
            headers: parts.headers,
            path: br.path.to_string(),
            path_and_query: br.path_and_query.to_string(),
            parsed: None,
        },
        body,
        origin: br.origin,
    };
    // What admission logs (a kept hold, a job left unrecorded) names the
    // request: ERROR level, so the span is on whatever the log level.
    let span = tracing::error_span!("admission", request_id = ctx.id_str());
    let run = tracing::Instrument::instrument(admission.run(), span);
    let (resp, outcome) = state.tasks.spawn(run).await.map_err(|e| {
        tracing::error!(error = %e, "Billable request task failed.");
        GatewayError::Internal
    })??;
    let hold_id = hold_id_of(&resp);
    ctx.tag(|t| {
        t.outcome = outcome;
        // A replayed answer names its hold; otherwise admission tagged the
        // hold it took (kept when the answer names none, e.g. a 504).
        if hold_id.is_some() {
            t.hold_id = hold_id;
        }
    });
    Ok(resp)
}

/// A stored answer, replayed with a marker header.
pub(super) fn replay(stored: crate::ledger::StoredResponse) -> (Response<Body>, Outcome) {
    let mut resp = Response::new(crate::http::full(stored.body));
    *resp.status_mut() = http::StatusCode::from_u16(stored.status).unwrap_or(http::StatusCode::OK);
    for (k, v) in stored.headers {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            resp.headers_mut().append(k, v);
        }
    }
    resp.headers_mut()
        .insert(HEADER_REPLAYED, HeaderValue::from_static("true"));
    (resp, Outcome::Replayed)
}

/// The hold an answer names (`X-Gateway-Hold-Id`), for the access log.
pub(super) fn hold_id_of(resp: &Response<Body>) -> Option<String> {
    resp.headers()
        .get(HEADER_HOLD_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}
