//! Personalized videos: `add_contact` answers no video ids, so the accepted
//! request's hold gets one placeholder job per contact, named by project;
//! each contact's `personalized_video` webhook then binds the oldest open
//! placeholder of its project to the real video id, which from then on
//! settles like any video and belongs to the hold's tenant.

use super::{registry, Tx};
use crate::ledger::resources::ResourceRecord;

/// Placeholder job ids start with this; they have no status path, so the
/// poller leaves them alone until bound.
pub const CONTACT_PREFIX: &str = "contact:";

/// The placeholder id of contact `index` of `hold_id` in `project_id`.
pub fn placeholder_id(project_id: &str, hold_id: &str, index: usize) -> String {
    format!("{CONTACT_PREFIX}{project_id}:{hold_id}:{index}")
}

/// `LIKE` pattern for a literal prefix (`_` and `%` are wildcards).
fn like_prefix(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 2);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Binds `video_id` to the oldest open placeholder of `project_id` and
/// records it as the hold tenant's; returns that tenant. A video already
/// bound (HeyGen redelivers) returns its hold's tenant and changes nothing;
/// `None` when no placeholder is open (not created through the gateway,
/// or its hold already expired).
pub(crate) async fn bind<T: Tx>(
    tx: &T,
    project_id: &str,
    video_id: &str,
    status_path: &str,
    now_us: i64,
) -> Result<Option<String>, T::Error> {
    if let Some(hold_id) = tx.hold_id_of_job(video_id).await? {
        return Ok(tx.hold_for_update(&hold_id).await?.map(|h| h.tenant));
    }
    let pattern = like_prefix(&format!("{CONTACT_PREFIX}{project_id}:"));
    // A concurrent bind may take the candidate first: then try the next.
    for _ in 0..8 {
        let found = tx
            .query(
                "SELECT job_id, hold_id FROM jobs WHERE state = 'pending' \
                 AND job_id LIKE ?1 ESCAPE '\\' ORDER BY submitted_us, job_id LIMIT 1",
                &[pattern.as_str().into()],
                |r| Ok((r.text(0)?, r.text(1)?)),
            )
            .await?;
        let Some((placeholder, hold_id)) = found.into_iter().next() else {
            return Ok(None);
        };
        // Lock order: the hold before its jobs, as settlement and expiry do.
        let Some(hold) = tx.hold_for_update(&hold_id).await? else {
            return Ok(None);
        };
        let renamed = tx
            .exec(
                "UPDATE jobs SET job_id = ?1, status_path = ?2 \
                 WHERE job_id = ?3 AND state = 'pending'",
                &[
                    video_id.into(),
                    status_path.into(),
                    placeholder.as_str().into(),
                ],
            )
            .await?;
        if renamed == 1 {
            let video = [ResourceRecord::new(video_id, "video")];
            registry::record(tx, &hold.tenant, Some(&hold_id), &video, now_us).await?;
            return Ok(Some(hold.tenant));
        }
    }
    Ok(None)
}
