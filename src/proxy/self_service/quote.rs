//! `POST /gateway/v1/quote` and the `quote` command: price a request and
//! state the policy verdict without sending anything or holding credits.

use http::Method;
use serde_json::{json, Value};

use crate::catalog::{classify, RouteKind};
use crate::error::GatewayError;
use crate::money::format_credits;
use crate::pricing::{self, PlanPolicy};
use crate::state::Runtime;

/// A request to price: what the tenant would send to HeyGen.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuoteRequest {
    #[serde(default = "post")]
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub body: Value,
}

fn post() -> String {
    "POST".into()
}

/// The billable route a quote request names, if it is one `tenant` may
/// use (the endpoint reads its facts — media probes, HeyGen look-ups —
/// before [`quote_json`], and none for a route the tenant is refused).
pub(crate) fn billable_of(
    q: &QuoteRequest,
    tenant: &crate::config::TenantConfig,
) -> Option<(crate::catalog::Billable, Vec<u8>)> {
    let method = Method::from_bytes(q.method.to_ascii_uppercase().as_bytes()).ok()?;
    let (raw_path, _) = q.path.split_once('?').unwrap_or((q.path.as_str(), ""));
    let path = crate::proxy::path::normalize(raw_path).ok()?;
    let route = classify(&method, &path);
    if !tenant.may_use(route.family) {
        return None;
    }
    match route.kind {
        RouteKind::Billable(b) => Some((b, serde_json::to_vec(&q.body).unwrap_or_default())),
        _ => None,
    }
}

/// Prices a request and states the policy verdict (shared by the endpoint
/// and the CLI): from `facts` (what the endpoint probed and looked up; the
/// CLI has none, so it shows the defaults).
pub(crate) fn quote_json(
    rt: &Runtime,
    tenant: Option<&crate::config::TenantConfig>,
    q: &QuoteRequest,
    facts: &pricing::Facts,
) -> Result<Value, GatewayError> {
    let method = Method::from_bytes(q.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| GatewayError::bad_request(format!("{:?} is not an HTTP method", q.method)))?;
    let (raw_path, _) = q.path.split_once('?').unwrap_or((q.path.as_str(), ""));
    let path = crate::proxy::path::normalize(raw_path)
        .map_err(|e| GatewayError::bad_request(e.to_string()))?;
    let route = classify(&method, &path);
    let cfg = &rt.config;
    if let Some(t) = tenant {
        if !t.may_use(route.family) {
            return Ok(verdict(
                &path,
                route.template,
                None,
                GatewayError::RouteForbidden {
                    family: route.family.as_str(),
                },
            ));
        }
    }
    match &route.kind {
        RouteKind::Billable(b) => {
            let body = serde_json::to_vec(&q.body).unwrap_or_default();
            let plan = PlanPolicy::from(&cfg.plan);
            match pricing::quote_with_facts(&cfg.pricing, &plan, b, &body, facts) {
                Ok(quote) => Ok(json!({
                    "path": path, "route": route.template, "billable": true,
                    "quote": quote, "credits": format_credits(quote.credits),
                    "verdict": {"allowed": true},
                })),
                Err(e) => {
                    // Show what the request would cost without the plan's
                    // rules, so the caller sees why it was refused.
                    let unlimited = PlanPolicy {
                        tier: crate::config::Tier::Enterprise,
                        max_video_seconds: u32::MAX,
                        ..plan
                    };
                    let projection =
                        pricing::quote_with_facts(&cfg.pricing, &unlimited, b, &body, facts)
                            .ok()
                            .and_then(|q| serde_json::to_value(q).ok());
                    Ok(verdict(
                        &path,
                        route.template,
                        projection,
                        GatewayError::Pricing(e),
                    ))
                }
            }
        }
        RouteKind::UnknownWrite
            if cfg.routes.unknown_writes == crate::config::UnknownWrites::Deny =>
        {
            Ok(verdict(
                &path,
                route.template,
                None,
                GatewayError::UnknownWrite,
            ))
        }
        _ => Ok(json!({
            "path": path, "route": route.template, "billable": false, "credits": "0",
            "verdict": {"allowed": true},
        })),
    }
}

fn verdict(path: &str, template: &str, quote: Option<Value>, e: GatewayError) -> Value {
    json!({
        "path": path, "route": template, "quote": quote,
        "verdict": {"allowed": false, "status": e.status().as_u16(), "code": e.code(), "reason": e.reason(), "message": e.to_string()},
    })
}
