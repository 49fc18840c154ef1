//! A v2 list answer with two item arrays in `data` (`ListShape::V2Pair`:
//! `/v2/avatars`' `avatars` and `talking_photos`), taken apart when the
//! borrowing scan could not clear it: each array is filtered in place, by
//! the same rule as a one-array list ([`super::list::keep`]). An absent
//! array holds nothing to filter; a present one that is not an array makes
//! the answer unexpected (refused, never passed on unfiltered).

use std::collections::HashMap;

use serde_json::Value;

use super::list::{item_id, keep};
use super::Policy;

/// The answer and the ids of both arrays' items; `None` when it is not a
/// JSON object whose `data` is an object holding arrays (or nothing) at
/// `keys`.
pub(crate) fn parse(body: &[u8], keys: [&str; 2]) -> Option<(Value, Vec<String>)> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let data = v.get("data")?.as_object()?;
    let mut ids = Vec::new();
    for key in keys {
        match data.get(key) {
            None => {}
            Some(Value::Array(items)) => {
                ids.extend(items.iter().filter_map(item_id).map(str::to_string));
            }
            Some(_) => return None,
        }
    }
    Some((v, ids))
}

/// Keeps, in each array, the items `tenant` may see.
pub(crate) fn keep_both(
    v: &mut Value,
    keys: [&str; 2],
    owners: &HashMap<String, String>,
    tenant: &str,
    policy: Policy,
) {
    let Some(Value::Object(data)) = v.get_mut("data") else {
        return;
    };
    for key in keys {
        if let Some(Value::Array(items)) = data.get_mut(key) {
            let kept = keep(std::mem::take(items), owners, tenant, policy);
            *items = kept;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Isolation, Unowned};

    fn policy(unowned: Unowned) -> Policy {
        Policy::new(Isolation::Tenant, false, unowned)
    }

    #[test]
    fn both_arrays_lose_other_tenants_items() {
        let body = br#"{"error":null,"data":{"avatars":[{"avatar_id":"stock"},{"avatar_id":"twin_b"},{"avatar_id":"twin_a"}],"talking_photos":[{"talking_photo_id":"tp_b"}],"other":1}}"#;
        let (mut v, ids) = parse(body, ["avatars", "talking_photos"]).unwrap();
        assert_eq!(ids, ["stock", "twin_b", "twin_a", "tp_b"]);
        let owners: HashMap<String, String> = [("twin_b", "b"), ("twin_a", "a"), ("tp_b", "b")]
            .into_iter()
            .map(|(k, t)| (k.to_string(), t.to_string()))
            .collect();
        keep_both(
            &mut v,
            ["avatars", "talking_photos"],
            &owners,
            "a",
            policy(Unowned::Read),
        );
        assert_eq!(
            v,
            serde_json::json!({"error": null, "data": {"avatars": [{"avatar_id": "stock"}, {"avatar_id": "twin_a"}], "talking_photos": [], "other": 1}})
        );
    }

    #[test]
    fn an_absent_array_is_nothing_and_a_wrong_one_is_refused() {
        let (_, ids) = parse(
            br#"{"data":{"avatars":[{"avatar_id":"x"}]}}"#,
            ["avatars", "talking_photos"],
        )
        .unwrap();
        assert_eq!(ids, ["x"]);
        assert!(parse(br#"{"data":{"avatars":{}}}"#, ["avatars", "talking_photos"]).is_none());
        assert!(parse(br#"{"data":[]}"#, ["avatars", "talking_photos"]).is_none());
    }
}
