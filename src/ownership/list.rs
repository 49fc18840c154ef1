//! Filtering list answers to the tenant's own items, in HeyGen's envelope.
//! A filtered page may come out short; the gateway then reads further
//! upstream pages (with the org key) until the page is as full as the
//! client asked or [`MAX_UPSTREAM_PAGES`] pages were read, and hands back
//! HeyGen's token of the last page read, so paging keeps working.

use std::collections::HashMap;

use serde_json::Value;

use super::rules::{ListShape, ID_FIELDS};
use super::Policy;
use crate::config::Unowned;

pub(crate) use super::list_scan::scan;

/// Upstream pages one list request may read (the first included).
pub(crate) const MAX_UPSTREAM_PAGES: usize = 5;
/// Page size HeyGen uses when the client names none.
const DEFAULT_LIMIT: usize = 10;

/// One page of a list answer, taken apart.
#[derive(Debug, Default)]
pub(crate) struct Page {
    pub items: Vec<Value>,
    /// The token for the next page, if HeyGen says there is one.
    pub next: Option<String>,
}

/// The item's id: the first of [`ID_FIELDS`] it carries.
pub(crate) fn item_id(item: &Value) -> Option<&str> {
    ID_FIELDS
        .iter()
        .find_map(|f| item.get(*f).and_then(Value::as_str))
}

/// Takes a list answer apart; `None` when it is not the expected shape
/// (then it is refused rather than passed unfiltered).
pub(crate) fn parse(shape: ListShape, body: &[u8]) -> Option<(Value, Page)> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let page = match shape {
        ListShape::V1(key) => Page {
            items: v.get("data")?.get(key)?.as_array()?.clone(),
            next: token(v.get("data")?.get("token")),
        },
        ListShape::V2(key) => Page {
            items: v.get("data")?.get(key)?.as_array()?.clone(),
            next: None,
        },
        // Two arrays go back to two places: `keep_pair` filters them.
        ListShape::V2Pair(..) => return None,
        ListShape::V3 => Page {
            items: v.get("data")?.as_array()?.clone(),
            next: if v.get("has_more").and_then(Value::as_bool) == Some(false) {
                None
            } else {
                token(v.get("next_token"))
            },
        },
    };
    Some((v, page))
}

fn token(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// Keeps the items the tenant owns (and unrecorded ones under
/// `unowned = "read"`).
pub(crate) fn keep(
    items: Vec<Value>,
    owners: &HashMap<String, String>,
    tenant: &str,
    policy: Policy,
) -> Vec<Value> {
    items
        .into_iter()
        .filter(|item| item_id(item).is_some_and(|id| visible(id, owners, tenant, policy)))
        .collect()
}

/// Whether [`keep`] would keep every item of these ids (a scanned page
/// that can go out as it came).
pub(crate) fn all_kept(
    ids: &[String],
    owners: &HashMap<String, String>,
    tenant: &str,
    policy: Policy,
) -> bool {
    ids.iter().all(|id| visible(id, owners, tenant, policy))
}

/// The one rule both apply: the tenant's own item, or an unrecorded one
/// under `unowned = "read"`.
fn visible(id: &str, owners: &HashMap<String, String>, tenant: &str, policy: Policy) -> bool {
    match owners.get(id) {
        Some(owner) => owner == tenant,
        None => policy.unowned == Unowned::Read,
    }
}

/// Puts filtered items and the token back into the first page's envelope.
pub(crate) fn assemble(
    shape: ListShape,
    mut first: Value,
    items: Vec<Value>,
    next: Option<String>,
) -> Value {
    match shape {
        ListShape::V1(key) | ListShape::V2(key) => {
            if let Some(Value::Object(data)) = first.get_mut("data") {
                data.insert(key.to_string(), Value::Array(items));
                if matches!(shape, ListShape::V1(_)) {
                    data.insert("token".into(), next.map_or(Value::Null, Value::String));
                }
            }
        }
        ListShape::V2Pair(..) => {}
        ListShape::V3 => {
            if let Value::Object(top) = &mut first {
                top.insert("data".into(), Value::Array(items));
                top.insert("has_more".into(), Value::Bool(next.is_some()));
                top.insert("next_token".into(), next.map_or(Value::Null, Value::String));
            }
        }
    }
    first
}

/// The page size the client asked for (`limit`), or HeyGen's default.
pub(crate) fn wanted(query: Option<&str>) -> usize {
    query
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "limit")
        .and_then(|(_, v)| v.parse().ok())
        .filter(|n: &usize| *n > 0)
        .unwrap_or(DEFAULT_LIMIT)
        .min(100)
}

/// The path and query for the next upstream page: `token` replaced.
pub(crate) fn next_page(path: &str, query: Option<&str>, token: &str) -> String {
    let mut params: Vec<String> = query
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("token="))
        .map(str::to_string)
        .collect();
    params.push(format!("token={}", crate::http::percent_encode(token)));
    format!("{path}?{}", params.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(unowned: Unowned) -> Policy {
        Policy {
            org_wide: false,
            unowned,
            org_admin: false,
        }
    }

    #[test]
    fn filters_v1_and_v3_pages_and_keeps_the_envelope() {
        let owners: HashMap<String, String> =
            [("a1".into(), "alpha".into()), ("b1".into(), "beta".into())].into();
        let body = json!({"code": 100, "data": {"videos": [{"video_id": "a1"}, {"video_id": "b1"}, {"video_id": "x"}], "token": "t2"}, "message": "Success"});
        let (first, page) = parse(ListShape::V1("videos"), body.to_string().as_bytes()).unwrap();
        assert_eq!(page.next.as_deref(), Some("t2"));
        let kept = keep(page.items, &owners, "alpha", policy(Unowned::Deny));
        let out = assemble(ListShape::V1("videos"), first, kept, None);
        assert_eq!(out["data"]["videos"], json!([{"video_id": "a1"}]));
        assert_eq!(out["code"], 100);
        assert!(out["data"]["token"].is_null());

        let body =
            json!({"data": [{"id": "a1"}, {"id": "x"}], "has_more": true, "next_token": "n"});
        let (first, page) = parse(ListShape::V3, body.to_string().as_bytes()).unwrap();
        let kept = keep(page.items, &owners, "alpha", policy(Unowned::Read));
        assert_eq!(
            kept.len(),
            2,
            "unrecorded items are readable under unowned = read"
        );
        let out = assemble(ListShape::V3, first, kept, Some("n".into()));
        assert_eq!(out["has_more"], true);
        assert_eq!(out["next_token"], "n");
    }

    #[test]
    fn next_page_replaces_the_token() {
        assert_eq!(
            next_page("/v3/videos", Some("limit=5&token=old"), "a b/c"),
            "/v3/videos?limit=5&token=a%20b%2Fc"
        );
        assert_eq!(
            next_page("/v1/video.list", None, "t"),
            "/v1/video.list?token=t"
        );
    }

    #[test]
    fn refuses_unexpected_shapes() {
        assert!(parse(ListShape::V3, b"{\"data\": {}}").is_none());
        assert!(parse(ListShape::V1("videos"), b"not json").is_none());
    }
}
