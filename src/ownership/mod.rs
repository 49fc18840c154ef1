//! Tenant isolation over the shared org key. HeyGen sees one account, so
//! the gateway keeps who created what (in the ledger's registry, recorded
//! with the job ids) and, for each request, decides from [`rules::access`]:
//! account-wide routes need family `org_admin`; a route naming a resource
//! proceeds only for its owner (anyone else gets 404 `not_owner`, so ids
//! cannot be probed); lists are filtered to the tenant's own; creations are
//! recorded. The proxy calls this module; it never calls the proxy.

#[cfg(test)]
mod creations;
mod json_parts;
pub(crate) mod list;
pub(crate) mod list_pair;
mod list_scan;
pub(crate) mod rules;

use serde_json::Value;

pub(crate) use crate::config::{Isolation, Unowned};
use crate::error::GatewayError;
use crate::ledger::{Ledger, ResourceRecord};
pub(crate) use rules::{access, Access, ListShape, Named};

/// How isolation applies to one tenant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    /// Org-wide tenants (an internal admin app) see and change everything.
    pub org_wide: bool,
    /// What tenants may do with resources nobody recorded.
    pub unowned: Unowned,
    pub org_admin: bool,
}

// === impl Policy ===

impl Policy {
    /// `allows_org_admin`: the tenant names family `org_admin` in its allow
    /// list (an empty list, "everything", does not include it).
    pub(crate) fn new(isolation: Isolation, allows_org_admin: bool, unowned: Unowned) -> Policy {
        Policy {
            org_wide: isolation == Isolation::Org,
            unowned,
            org_admin: isolation == Isolation::Org || allows_org_admin,
        }
    }
}

/// Refuses ids holding a control character (a query's `%00`, a body's
/// `"\u0000"`) with 400 before anything looks them up: no HeyGen id has
/// one, and PostgreSQL refuses NUL in text, which would read as the ledger
/// failing (503, counted, alerted) rather than as the client's bad input.
pub(crate) fn check_ids(ids: &[String]) -> Result<(), GatewayError> {
    if ids.iter().any(|id| id.chars().any(char::is_control)) {
        return Err(GatewayError::bad_request(
            "a resource id in the request contains a control character",
        ));
    }
    Ok(())
}

/// Refuses a request that names resources the tenant does not own. `read`
/// is whether the request only reads (for `unowned = "read"`).
pub(crate) async fn check_named(
    ledger: &dyn Ledger,
    policy: Policy,
    tenant: &str,
    named: &Named,
    read: bool,
) -> Result<(), GatewayError> {
    check_ids(&named.ids)?;
    if policy.org_wide || named.ids.is_empty() {
        return Ok(());
    }
    let owners = ledger
        .owners_of(&named.ids)
        .await
        .map_err(GatewayError::ledger("owners_of"))?;
    for id in &named.ids {
        match owners.get(id) {
            Some(owner) if owner == tenant => {}
            Some(_) => return Err(GatewayError::NotOwner),
            None if named.stock_if_unrecorded => {}
            None if read && policy.unowned == Unowned::Read => {}
            None => return Err(GatewayError::NotOwner),
        }
    }
    Ok(())
}

/// The ids at `fields` of a body that names resources, or why the body is
/// refused: it must be a JSON object the strict rules accept, and no key
/// may spell one of `fields` in other letter case (a case-insensitive
/// decoder upstream would read `Session_Id` as `session_id`, unchecked).
pub(crate) fn body_ids_checked(body: &[u8], fields: &[&str]) -> Result<Vec<String>, GatewayError> {
    crate::pricing::check_json_object(body).map_err(GatewayError::Pricing)?;
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    for obj in levels(&v) {
        let keys = obj.as_object().into_iter().flat_map(|m| m.keys());
        for key in keys {
            // A field's first step: `session_id`, `avatar_group` of
            // `avatar_group.id`, `voices` of `voices[].voice_id`.
            let mut heads = fields
                .iter()
                .map(|f| f.split(['.', '[']).next().unwrap_or(f));
            if let Some(field) = heads.find(|f| key != f && key.eq_ignore_ascii_case(f)) {
                return Err(GatewayError::BadRequest {
                    message: format!("`{key}`: name the field `{field}`"),
                });
            }
        }
    }
    let ids = ids_in(&v, fields);
    check_ids(&ids)?;
    Ok(ids)
}

/// Keys that name an input a job is made from, wherever they appear in
/// its body: uploads, talking photos, avatars, voices.
const INPUT_REFS: [&str; 10] = [
    "asset_id",
    "audio_asset_id",
    "video_asset_id",
    "image_asset_id",
    "talking_photo_id",
    "photo_avatar_id",
    "avatar_id",
    "voice_id",
    "look_id",
    "template_id",
];

/// The inputs a job's body names. A job made from another tenant's upload
/// or clone would hand that tenant's content to this one, so those are
/// refused; ids nobody recorded (stock avatars and voices, uploads made
/// outside the gateway) stay usable, as they were before the gateway.
pub(crate) fn job_inputs(body: &[u8]) -> Named {
    let mut ids = crate::pricing::string_values_of(body, &INPUT_REFS);
    ids.sort();
    ids.dedup();
    Named {
        ids,
        stock_if_unrecorded: true,
    }
}

/// The string values at `fields` in a JSON body's top level (or `data`).
/// A field is a path: `avatar_group.id` reads a nested object's field and
/// `voices[].voice_id` every item's field of an array.
pub(crate) fn body_ids(body: &[u8], fields: &[&str]) -> Vec<String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => ids_in(&v, fields),
        Err(_) => Vec::new(),
    }
}

/// Where a body's fields are read: its top level and its `data`.
fn levels(v: &Value) -> impl Iterator<Item = &Value> {
    [Some(v), v.get("data")].into_iter().flatten()
}

/// [`body_ids`] of a parsed body.
fn ids_in(v: &Value, fields: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for obj in levels(v) {
        for f in fields {
            collect(obj, f, &mut ids);
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

/// Pushes the string(s) at `path` under `v` (see [`body_ids`]).
fn collect(v: &Value, path: &str, out: &mut Vec<String>) {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let (key, each) = match head.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (head, false),
    };
    let Some(found) = v.get(key) else {
        return;
    };
    let items: Vec<&Value> = match (each, found) {
        (true, Value::Array(a)) => a.iter().collect(),
        (true, _) => return,
        (false, x) => vec![x],
    };
    for item in items {
        match (rest, item) {
            (Some(r), _) => collect(item, r, out),
            (None, Value::String(s)) if !s.is_empty() => out.push(s.clone()),
            (None, Value::Array(a)) => out.extend(
                a.iter()
                    .filter_map(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            ),
            _ => {}
        }
    }
}

/// The resource kind of what a creation answer names (unless the creation
/// says more, like a proofread's mode).
pub(crate) const CREATED: &str = "created";

/// Records what a successful creation answer names as the tenant's, as
/// `kind`. A failure is logged, not returned: the resource exists upstream
/// either way, and ops can `assign` it.
pub(crate) async fn record_created(
    ledger: &dyn Ledger,
    tenant: &str,
    fields: &[&str],
    kind: &str,
    answer: &[u8],
) -> Vec<String> {
    let ids = body_ids(answer, fields);
    if ids.is_empty() {
        return ids;
    }
    let records: Vec<ResourceRecord> = ids
        .iter()
        .map(|id| ResourceRecord::new(id.clone(), kind))
        .collect();
    match ledger.record_resources(tenant, &records).await {
        Ok(conflicts) => {
            for c in conflicts {
                tracing::warn!(tenant, resource = %c.resource_id, owner = %c.owner, "Created resource already owned by another tenant; left with its owner.");
            }
        }
        Err(e) => {
            tracing::error!(tenant, error = %e, "Recording created resources failed; assign them with `heygen-gateway assign`.")
        }
    }
    ids
}

#[cfg(test)]
mod tests;
