//! Personalized videos, one job per contact. `add_contact` answers no video
//! ids, so the accepted request's hold gets one placeholder job per contact
//! (no status path: the poller skips it). Each contact's
//! `personalized_video` webhook names its project and video, nothing that
//! tells one request's contacts from another's; so the ledger lets only one
//! tenant at a time have open contacts of a project (another's
//! `add_contact` is refused with 409 meanwhile), binds the video to the
//! project's oldest open placeholder, records it as the tenant's, and the
//! video then settles from its status like any other. Contacts whose
//! webhook never comes are captured at their share when the hold expires
//! (never lower).

use serde_json::Value;

use crate::ledger::{placeholder_id, JobRecord};
use crate::pricing::{Quote, WebhookEvent};
use crate::state::AppState;

/// The event HeyGen sends once per rendered contact (heygen-api.md §5).
pub(crate) const EVENT: &str = "personalized_video";

/// The project an `add_contact` `request` adds contacts to, when it names
/// one the ledger can key placeholders by. Its hold records it, so another
/// tenant's `add_contact` on the project is refused while these contacts
/// are open (`ledger::ops::contacts`).
pub(crate) fn project_of(request: &[u8]) -> Option<String> {
    serde_json::from_slice::<Value>(request)
        .ok()
        .and_then(|v| v.get("project_id")?.as_str().map(str::to_owned))
        .filter(|p| crate::pricing::jobs::safe_id(p))
}

/// One placeholder job per quoted contact of an accepted `add_contact`
/// `request`; empty when the request names no project (then the caller
/// captures the projection).
pub(crate) fn placeholders(quote: &Quote, request: &[u8], hold_id: &str) -> Vec<JobRecord> {
    let Some(project) = project_of(request) else {
        return Vec::new();
    };
    quote
        .jobs
        .iter()
        .enumerate()
        .map(|(i, j)| JobRecord {
            job_id: placeholder_id(&project, hold_id, i),
            feature: j.feature.clone(),
            status_path: String::new(),
            held: j.credits,
            items: Vec::new(),
        })
        .collect()
}

/// Binds a contact's video before the event is fanned out (so its owner
/// is known); `Ok(false)` when the event is not a contact's or no
/// placeholder of its project is open.
pub(crate) async fn bind(
    state: &AppState,
    event: &WebhookEvent,
) -> Result<bool, crate::ledger::LedgerError> {
    let Some(project) = event
        .project_id
        .as_deref()
        .filter(|_| event.event_type == EVENT)
    else {
        return Ok(false);
    };
    let status = format!("/v1/video_status.get?video_id={}", event.job_id);
    let tenant = state
        .ledger
        .bind_contact_video(project, &event.job_id, &status)
        .await?;
    match &tenant {
        Some(t) => {
            tracing::info!(tenant = %t, project, video_id = %event.job_id, "Contact video bound to its add_contact hold.")
        }
        None => {
            tracing::info!(project, video_id = %event.job_id, "Contact video with no open add_contact hold of one tenant (made outside the gateway, expired, or placeholders of several tenants open); nobody is charged for it.")
        }
    }
    Ok(tenant.is_some())
}
