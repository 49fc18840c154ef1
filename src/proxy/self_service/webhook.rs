//! `POST /gateway/v1/webhooks/heygen`: HeyGen's signed callbacks. The
//! signature is checked over the raw body before anything else is read from
//! it; the event is queued for the owning tenant's endpoints (`fanout`), or
//! parked until its job's owner is known, before the 2xx, and the
//! settlement runs in the background (HeyGen wants a 2xx within seconds)
//! and is idempotent. A `batch.finished` names its batch's job, so it
//! settles the batch like any job's `.success`.

use std::sync::Arc;

use crate::conn::ReqBody;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::json;

use crate::error::GatewayError;
use crate::http::{collect_limited, json_response, Body};
use crate::pricing::{self, WebhookOutcome};
use crate::state::AppState;

pub(crate) use crate::signature::verify as verify_signature;

const MAX_WEBHOOK_BODY: usize = 1 << 20;

pub(super) async fn receive(
    state: &Arc<AppState>,
    req: Request<ReqBody>,
) -> Result<Response<Body>, GatewayError> {
    // Unauthenticated until the signature checks out: refuse a declared
    // oversize body before reading a byte of it.
    crate::proxy::hygiene::declared_length_within(req.headers(), MAX_WEBHOOK_BODY as u64)?;
    let (parts, incoming) = req.into_parts();
    let body: Bytes = collect_limited(incoming, MAX_WEBHOOK_BODY).await?;
    // Without the secret no signature can be checked: HeyGen's retries
    // (a 5xx) keep the event until ops set it, and the answer says so.
    let Some(secret) = &state.secrets.webhook_secret else {
        return Err(GatewayError::NotConfigured {
            message: "the gateway holds no webhook secret (webhooks.secret_env / secret_file \
                      is unset or did not resolve at start): it cannot verify HeyGen's webhooks"
                .into(),
        });
    };
    let rt = state.snapshot();
    let now = state.clock.now();
    if !verify_signature(
        secret.expose(),
        &parts.headers,
        &body,
        now.timestamp(),
        rt.config.webhooks.tolerance.as_secs(),
    ) {
        return Err(GatewayError::WebhookSignature);
    }
    let Some(event) = pricing::parse_webhook(&body) else {
        // Signed, but naming no job id the gateway reads (an event type it
        // does not know): nothing settles on it and no owner can be found,
        // so no tenant gets it. Acknowledged (HeyGen would only resend
        // it), and counted and logged, so a new event type is noticed.
        state.metrics.webhook_unowned("unparsed");
        tracing::info!(event = %unparsed_type(&body), "Signed HeyGen webhook names no job id the gateway reads; not passed on.");
        return Ok(json_response(
            StatusCode::OK,
            json!({"data": {"handled": false}}),
        ));
    };
    // A contact's video is bound to its add_contact hold first, so the
    // fan-out below knows its owner.
    crate::settlement::contacts::bind(state, &event)
        .await
        .map_err(GatewayError::ledger("bind_contact"))?;
    // Queue the tenant's copy before acknowledging: once HeyGen has its 2xx
    // it never sends the event again, so a crash must not lose it. The
    // outbox write is one short transaction, idempotent per (event,
    // endpoint); if it fails, HeyGen's retry (after our 5xx) queues it.
    crate::fanout::enqueue(state, &rt.config, &event, &body)
        .await
        .map_err(GatewayError::ledger("fanout_enqueue"))?;
    crate::faultpoint::hit(crate::faultpoint::FANOUT_AFTER_ENQUEUE);
    // Answer fast (HeyGen wants 2xx within seconds); the status re-read and
    // the settlement happen in the background and are idempotent.
    let state = state.clone();
    state.clone().tasks.spawn(async move {
        let job = match state.ledger.get_job(&event.job_id).await {
            Ok(Some(job)) => job,
            Ok(None) => {
                tracing::info!(job_id = %event.job_id, event = %event.event_type, "Webhook for a job the gateway did not create; ignored.");
                return;
            }
            Err(e) => {
                state.note_ledger_error("get_job", &e);
                return;
            }
        };
        // The event only says "look now": HeyGen's status read decides. A
        // `.fail` event may be about a by-product (caption, gif) of a video
        // that rendered fine, and success events carry no duration.
        let result = match event.outcome {
            WebhookOutcome::Failed | WebhookOutcome::Success => {
                crate::settlement::refresh(&state, &job.job_id, &job.status_path, "webhook").await
            }
            WebhookOutcome::Other => Ok(false),
        };
        if let Err(e) = result {
            state.note_ledger_error("settle", &e);
        }
    });
    Ok(json_response(
        StatusCode::OK,
        json!({"data": {"handled": true}}),
    ))
}

/// The `event_type` of an event `parse_webhook` could not read, for the
/// log: at most 64 printable characters, `-` when there is none.
fn unparsed_type(body: &[u8]) -> String {
    let v: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let t = v.as_ref().and_then(|v| v.get("event_type")?.as_str());
    t.map_or_else(
        || "-".to_owned(),
        |t| t.chars().filter(char::is_ascii_graphic).take(64).collect(),
    )
}
