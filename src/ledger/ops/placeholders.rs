//! Placeholder jobs: an accepted request whose answer names no job of its
//! own (a personalized video's `add_contact`, a Video Agent session's
//! create or revision) is submitted with placeholder jobs keyed by what
//! HeyGen will later name (the project, the session). Once HeyGen names a
//! video of that key (a contact's webhook, the session's video list), it is
//! bound to the key's oldest open placeholder: the job is renamed to the
//! video, given the video's status path, and the video is recorded as the
//! hold tenant's, in one transaction. From then on it settles like any job.
//!
//! A placeholder has no status path (nothing can read its status), so the
//! poller and status reads leave it alone until it is bound; one never
//! bound is captured at its share when its hold expires, never lower.

use std::collections::{BTreeSet, HashMap};

use super::{registry, Tx};
use crate::ledger::agent_videos::PlaceholderBind;
use crate::ledger::resources::ResourceRecord;

/// Video Agent placeholders (`agent:{session}:{hold}:{index}`): one per
/// accepted create that named no video and per revision of a session.
pub const AGENT_PREFIX: &str = "agent:";

/// Candidates a bind tries before giving up for this call: each failed
/// try is a placeholder a concurrent bind (another replica) just took.
const MAX_TRIES: usize = 8;

/// The placeholder id of job `index` of `hold_id`, keyed by `key` under
/// `prefix`.
pub(crate) fn placeholder_id(prefix: &str, key: &str, hold_id: &str, index: usize) -> String {
    format!("{prefix}{key}:{hold_id}:{index}")
}

/// The placeholder id of Video Agent request job `index` of `hold_id` in
/// `session_id`.
pub fn agent_placeholder_id(session_id: &str, hold_id: &str, index: usize) -> String {
    placeholder_id(AGENT_PREFIX, session_id, hold_id, index)
}

/// The key of a placeholder id under `prefix`; `None` for any other id.
/// Hold ids hold no `:` (`hold_<hex>`), so the key is everything between
/// the prefix and the last two fields, whatever `:` it holds itself.
pub fn placeholder_key<'a>(prefix: &str, job_id: &'a str) -> Option<&'a str> {
    let mut fields = job_id.strip_prefix(prefix)?.rsplitn(3, ':');
    fields.next()?.parse::<usize>().ok()?;
    fields.next().filter(|hold| !hold.is_empty())?;
    fields.next().filter(|key| !key.is_empty())
}

/// `LIKE` pattern for a literal prefix (`_` and `%` are wildcards).
pub(crate) fn like_prefix(prefix: &str) -> String {
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

/// Binds `video_id` to the oldest open placeholder of `key` under
/// `prefix` (by submission time, then id) and records it as the hold
/// tenant's. A video that already is a job (bound before, or named by its
/// create's answer) changes nothing; nor does a key whose open
/// placeholders belong to several tenants: nothing could say whose the
/// video is, so each is left to be captured at its share when its hold
/// expires.
pub(crate) async fn bind<T: Tx>(
    tx: &T,
    prefix: &str,
    key: &str,
    video_id: &str,
    status_path: &str,
    now_us: i64,
) -> Result<PlaceholderBind, T::Error> {
    if let Some(known) = known(tx, video_id).await? {
        return Ok(known);
    }
    let pattern = like_prefix(&format!("{prefix}{key}:"));
    let found = tx
        .query(
            "SELECT j.job_id, j.hold_id, h.tenant FROM jobs j JOIN holds h ON h.hold_id = j.hold_id \
             WHERE j.state = 'pending' AND j.job_id LIKE ?1 ESCAPE '\\' \
             ORDER BY j.submitted_us, j.job_id",
            &[pattern.as_str().into()],
            |r| Ok((r.text(0)?, r.text(1)?, r.text(2)?)),
        )
        .await?;
    // `LIKE` also matches a longer key that starts with this one and a `:`.
    let open: Vec<(String, String, String)> = found
        .into_iter()
        .filter(|(id, _, _)| placeholder_key(prefix, id) == Some(key))
        .collect();
    let tenants: BTreeSet<&str> = open.iter().map(|(_, _, t)| t.as_str()).collect();
    if tenants.len() > 1 {
        return Ok(PlaceholderBind::SeveralTenants);
    }
    for (placeholder, hold_id, _) in open.iter().take(MAX_TRIES) {
        // Lock order: the hold before its jobs, as settlement and expiry do.
        let Some(hold) = tx.hold_for_update(hold_id).await? else {
            continue;
        };
        // On PostgreSQL the lock may have waited for a concurrent bind of
        // this very video; it is committed now, and a bind is once.
        if let Some(known) = known(tx, video_id).await? {
            return Ok(known);
        }
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
            registry::record(tx, &hold.tenant, Some(hold_id), &video, now_us).await?;
            return Ok(PlaceholderBind::Bound {
                tenant: hold.tenant,
                hold_id: hold_id.clone(),
            });
        }
        // A concurrent bind took this placeholder first: try the next.
    }
    Ok(PlaceholderBind::NoneOpen)
}

/// A video that already is a job, in any state, with its hold's tenant.
async fn known<T: Tx>(tx: &T, video_id: &str) -> Result<Option<PlaceholderBind>, T::Error> {
    let rows = tx
        .query(
            "SELECT h.tenant FROM jobs j JOIN holds h ON h.hold_id = j.hold_id WHERE j.job_id = ?1",
            &[video_id.into()],
            |r| r.text(0),
        )
        .await?;
    Ok(rows
        .into_iter()
        .next()
        .map(|tenant| PlaceholderBind::Known {
            tenant: Some(tenant),
        }))
}

/// The keys with open placeholders under `prefix` and how many each has,
/// the key with the oldest placeholder first, from at most `scan`
/// placeholders.
pub(crate) async fn open_keys<T: Tx>(
    tx: &T,
    prefix: &str,
    scan: u32,
) -> Result<Vec<(String, u32)>, T::Error> {
    let ids = tx
        .query(
            "SELECT job_id FROM jobs WHERE state = 'pending' AND job_id LIKE ?1 ESCAPE '\\' \
             ORDER BY submitted_us, job_id LIMIT ?2",
            &[like_prefix(prefix).into(), i64::from(scan).into()],
            |r| r.text(0),
        )
        .await?;
    let mut keys: Vec<(String, u32)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for key in ids.iter().filter_map(|id| placeholder_key(prefix, id)) {
        match index.get(key) {
            Some(&i) => keys[i].1 += 1,
            None => {
                index.insert(key, keys.len());
                keys.push((key.to_owned(), 1));
            }
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placeholder_id_gives_back_its_key_whatever_colons_the_key_holds() {
        let id = placeholder_id(AGENT_PREFIX, "s:1", "hold_ab", 0);
        assert_eq!(id, "agent:s:1:hold_ab:0");
        assert_eq!(placeholder_key(AGENT_PREFIX, &id), Some("s:1"));
        assert_eq!(placeholder_key("contact:", &id), None);
        for other in [
            "agent:s1",
            "agent:s1:hold_ab",
            "agent::hold_ab:0",
            "agent:s:h:x",
            "v1",
        ] {
            assert_eq!(placeholder_key(AGENT_PREFIX, other), None, "{other}");
        }
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_prefix("contact:p_1%:"), "contact:p\\_1\\%:%");
    }
}
