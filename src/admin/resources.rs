//! `/admin/v1/resources`: ops adopt resources that existed before the
//! gateway (or were made with the org key directly) to a tenant, and list a
//! tenant's resources. Adoption is journaled with the actor.

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::json;

use crate::error::GatewayError;
use crate::http::{json_response, Body};
use crate::state::AppState;

/// Most resources one call assigns or lists.
const MAX_RESOURCES: usize = 10_000;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignRequest {
    tenant: String,
    resources: Vec<String>,
    #[serde(default = "default_kind")]
    kind: String,
    actor: Option<String>,
}

fn default_kind() -> String {
    "assigned".into()
}

pub(super) async fn assign(
    state: &AppState,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<http::Response<Body>, GatewayError> {
    let a: AssignRequest = serde_json::from_slice(&body)
        .map_err(|e| GatewayError::bad_request(format!("assign body: {e}")))?;
    if state.snapshot().config.tenant(&a.tenant).is_none() {
        return Err(GatewayError::UnknownTenant { id: a.tenant });
    }
    let ids: Vec<String> = a
        .resources
        .iter()
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    if ids.is_empty() || ids.len() > MAX_RESOURCES {
        return Err(GatewayError::bad_request(format!(
            "`resources` must list 1 to {MAX_RESOURCES} ids"
        )));
    }
    let actor = super::actor(a.actor, headers);
    state
        .ledger
        .assign(&ids, &a.tenant, &a.kind, &actor)
        .await
        .map_err(GatewayError::ledger("assign"))?;
    tracing::info!(audit = true, actor = %actor, action = "assign", tenant = %a.tenant, count = ids.len(), "Admin assigned resources.");
    Ok(json_response(
        StatusCode::OK,
        json!({"data": {"tenant": a.tenant, "assigned": ids.len(), "kind": a.kind, "actor": actor}}),
    ))
}

pub(super) async fn list(
    state: &AppState,
    tenant: Option<String>,
    kind: Option<String>,
    limit: u32,
) -> Result<http::Response<Body>, GatewayError> {
    let Some(tenant) = tenant else {
        return Err(GatewayError::bad_request("`tenant` is required"));
    };
    if state.snapshot().config.tenant(&tenant).is_none() {
        return Err(GatewayError::UnknownTenant { id: tenant });
    }
    let rows = state
        .ledger
        .list_resources(&tenant, kind.as_deref(), limit)
        .await
        .map_err(GatewayError::ledger("list_resources"))?;
    let data: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({"resource_id": r.resource_id, "kind": r.kind, "tenant": r.tenant,
                "created_at": r.created_at.to_rfc3339(), "hold_id": r.hold_id, "source": r.source})
        })
        .collect();
    Ok(json_response(StatusCode::OK, json!({ "data": data })))
}
