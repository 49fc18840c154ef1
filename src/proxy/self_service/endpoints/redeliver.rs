//! `POST webhooks/deliveries/{id}/redeliver`: the tenant sends one of its
//! `dead` deliveries again. The ledger puts the row back to `pending`
//! (fresh attempt budget, due now) in one conditional update, so the
//! fan-out worker sends the stored payload, signed as a first delivery,
//! and two concurrent calls re-queue it once. Not the tenant's (or unknown)
//! is a 404, as `DELETE webhooks/endpoints/{id}` answers a foreign id, so
//! another tenant's ids cannot be probed; a row that cannot be sent again
//! is a 409 naming why. Counted against the tenant's request rate.

use http::{Response, StatusCode};
use serde_json::json;

use super::log_json;
use crate::config::TenantConfig;
use crate::error::GatewayError;
use crate::fanout::barred;
use crate::http::{json_response, Body};
use crate::ledger::Redelivery;
use crate::state::{AppState, Runtime};

pub(super) async fn redeliver(
    state: &AppState,
    rt: &Runtime,
    tenant: &TenantConfig,
    id: &str,
) -> Result<Response<Body>, GatewayError> {
    // Each call can make the gateway send up to ten attempts to the
    // tenant's URL: it counts against the tenant's request rate, as an
    // endpoint's creation does, so redelivery cannot amplify traffic.
    super::super::rate_limit(state, tenant).await?;
    // Ids are the log's integers; anything else names no delivery.
    let missing = || GatewayError::NoSuch {
        what: format!("delivery {id:?}"),
    };
    let id: i64 = id.parse().map_err(|_| missing())?;
    // Authentication refuses a disabled tenant already; checked again
    // against the config in force, as the worker would give the row up
    // unsent (`dead` again) rather than send it.
    if let Some(reason) = barred(&rt.config, &tenant.id) {
        return Err(GatewayError::NotRedeliverable {
            message: format!("delivery {id} cannot be redelivered: {reason}"),
        });
    }
    let outcome = state
        .ledger
        .redeliver(&tenant.id, id)
        .await
        .map_err(GatewayError::ledger("redeliver"))?;
    match outcome {
        Redelivery::Requeued(row) => {
            state.metrics.webhook_redeliveries(&tenant.id, "tenant", 1);
            tracing::info!(tenant = %tenant.id, delivery_id = id, endpoint_id = %row.endpoint_id,
                event_id = %row.event_id, "Dead webhook delivery re-queued by its tenant.");
            Ok(json_response(
                StatusCode::ACCEPTED,
                json!({ "data": log_json(&row) }),
            ))
        }
        Redelivery::NotFound => Err(missing()),
        Redelivery::NotDead(s) => Err(GatewayError::NotRedeliverable {
            message: format!(
                "delivery {id} is {}; only a dead delivery can be redelivered",
                s.as_str()
            ),
        }),
        Redelivery::EndpointDeleted => Err(GatewayError::NotRedeliverable {
            message: format!(
                "delivery {id} cannot be redelivered: its endpoint was deleted, so there is nothing to deliver it to"
            ),
        }),
    }
}
