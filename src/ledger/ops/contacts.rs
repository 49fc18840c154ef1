//! Personalized videos: `add_contact` answers no video ids, so the accepted
//! request's hold gets one placeholder job per contact, named by project;
//! each contact's `personalized_video` webhook then binds the oldest open
//! placeholder of its project to the real video id, which from then on
//! settles like any video and belongs to the hold's tenant.
//!
//! The webhook names the project and the video, nothing of the contact or
//! its request, so binding by project is only right while the project's
//! open contacts are one tenant's. A project is stock (any tenant may use
//! one nobody was assigned), so that is enforced here: an `add_contact`
//! hold is refused while another tenant has contacts of its project open
//! (a request held but not answered, or placeholders not yet bound), and
//! its project is recorded in the hold's own transaction, after the counter
//! locks every hold takes, so two tenants cannot both pass. A bind that
//! still finds placeholders of several tenants (taken before this rule)
//! binds nothing rather than guess.

use std::collections::HashMap;

use super::placeholders::{self, like_prefix};
use super::Tx;
use crate::ledger::agent_videos::PlaceholderBind;
use crate::ledger::types::{HoldDecision, HoldRequest};

/// Placeholder job ids start with this; they have no status path, so the
/// poller leaves them alone until bound.
pub const CONTACT_PREFIX: &str = "contact:";

/// The placeholder id of contact `index` of `hold_id` in `project_id`.
pub fn placeholder_id(project_id: &str, hold_id: &str, index: usize) -> String {
    placeholders::placeholder_id(CONTACT_PREFIX, project_id, hold_id, index)
}

/// The refusal of `req` when it is an `add_contact` whose project another
/// tenant has open contacts of. `batch`: project → tenant of the holds
/// accepted earlier in the same transaction (not written yet). Called
/// after the counter locks, so every earlier hold is visible.
pub(crate) async fn project_refusal<T: Tx>(
    tx: &T,
    req: &HoldRequest,
    batch: &HashMap<String, String>,
) -> Result<Option<HoldDecision>, T::Error> {
    let Some(project) = &req.contact_project else {
        return Ok(None);
    };
    let taken = match batch.get(project) {
        Some(tenant) => *tenant != req.tenant,
        None => open_elsewhere(tx, project, &req.tenant, req.now.timestamp_micros()).await?,
    };
    Ok(taken.then(|| HoldDecision::ProjectInUse {
        project_id: project.clone(),
    }))
}

/// Records the project of an accepted `add_contact` hold (nothing for
/// other holds), in the transaction that inserts it.
pub(crate) async fn link<T: Tx>(
    tx: &T,
    hold_id: &str,
    project: Option<&str>,
) -> Result<(), T::Error> {
    let Some(project) = project else {
        return Ok(());
    };
    tx.exec(
        "INSERT INTO contact_holds (hold_id, project_id) VALUES (?1, ?2)",
        &[hold_id.into(), project.into()],
    )
    .await?;
    Ok(())
}

/// How long a project stays another tenant's after an `add_contact` hold
/// of it expired (unanswered, or with contacts whose webhook never came):
/// HeyGen may still render those contacts, and their late webhooks must
/// find no other tenant's placeholder to bind to (the expiry already
/// charged the holder in full). As long again as the default hold TTL.
pub(crate) const EXPIRED_CONTACTS_KEEP_US: i64 = 48 * 3600 * 1_000_000;

/// Whether a tenant other than `tenant` has contacts of `project` open: an
/// `add_contact` held and not answered (its answer may yet be lost, while
/// HeyGen renders its contacts), a placeholder not yet bound (under any
/// hold, those taken before the project was recorded included), or an
/// `add_contact` hold that expired within [`EXPIRED_CONTACTS_KEEP_US`]
/// before `now_us`.
async fn open_elsewhere<T: Tx>(
    tx: &T,
    project: &str,
    tenant: &str,
    now_us: i64,
) -> Result<bool, T::Error> {
    let pattern = like_prefix(&format!("{CONTACT_PREFIX}{project}:"));
    let unbound = tx
        .query(
            "SELECT 1 FROM jobs j JOIN holds h ON h.hold_id = j.hold_id \
             WHERE j.state = 'pending' AND j.job_id LIKE ?1 ESCAPE '\\' AND h.tenant <> ?2 \
             LIMIT 1",
            &[pattern.as_str().into(), tenant.into()],
            |_| Ok(()),
        )
        .await?;
    if !unbound.is_empty() {
        return Ok(true);
    }
    // An add_contact held and not answered, or expired within the window.
    let held = tx
        .query(
            "SELECT 1 FROM contact_holds c JOIN holds h ON h.hold_id = c.hold_id \
             WHERE c.project_id = ?1 AND h.tenant <> ?2 \
             AND (h.state = 'held' OR (h.state = 'expired' AND h.settled_us >= ?3)) LIMIT 1",
            &[
                project.into(),
                tenant.into(),
                now_us.saturating_sub(EXPIRED_CONTACTS_KEEP_US).into(),
            ],
            |_| Ok(()),
        )
        .await?;
    Ok(!held.is_empty())
}

/// Binds `video_id` to the oldest open placeholder of `project_id` and
/// records it as the hold tenant's; returns that tenant. A video already
/// bound (HeyGen redelivers) returns its hold's tenant and changes nothing;
/// `None` when no placeholder is open (not created through the gateway,
/// or its hold already expired), or when open placeholders of the project
/// belong to more than one tenant: the webhook cannot say whose the video
/// is, so none is charged for it; each hold's contacts are captured at
/// their share when it expires.
pub(crate) async fn bind<T: Tx>(
    tx: &T,
    project_id: &str,
    video_id: &str,
    status_path: &str,
    now_us: i64,
) -> Result<Option<String>, T::Error> {
    let bound = placeholders::bind(
        tx,
        CONTACT_PREFIX,
        project_id,
        video_id,
        status_path,
        now_us,
    )
    .await?;
    Ok(match bound {
        PlaceholderBind::Bound { tenant, .. } => Some(tenant),
        PlaceholderBind::Known { tenant } => tenant,
        PlaceholderBind::NoneOpen | PlaceholderBind::SeveralTenants => None,
    })
}
