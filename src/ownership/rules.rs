//! Which resource a HeyGen route names, lists or creates, and which routes
//! act on the whole account. Pure: from method, normalised path and query
//! only (body-named ids are read by the caller from [`Access::BodyIds`]).
//!
//! Every tenant shares the org key, so HeyGen cannot tell tenants apart;
//! this table is how the gateway does. A route missing here is treated as
//! public (stock avatars, voices, templates): the catalog tests walk every
//! catalog route through [`access`] so a new route is a deliberate choice.
//!
//! This file holds the types, the query helpers and [`access`]; the route
//! tables per API generation are in `tables`.

mod tables;

use http::Method;

use crate::catalog::segments::with_segments;
use tables::{v1, v2, v3};

/// What isolation must do with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Access {
    /// Not owned by anyone: stock catalog content, languages, event types.
    Public,
    /// Reads or changes the whole account (webhook endpoints, user, wallet):
    /// refused unless the tenant may use family `org_admin`.
    OrgAdmin,
    /// Names these resources (path or query); only their owner may proceed.
    Named(Named),
    /// Names resources in JSON body `fields` (read before forwarding); the
    /// answer may create more, at `created`.
    BodyIds {
        named: Named,
        fields: &'static [&'static str],
        created: &'static [&'static str],
    },
    /// Lists resources: the answer is filtered to the tenant's own.
    List(ListShape),
    /// Lists stock content mixed with tenants' own (avatars, looks,
    /// voices): items another tenant owns are removed, unrecorded ones kept.
    StockList(ListShape),
    /// Creates resources whose ids are in the answer at these fields.
    Create(&'static [&'static str]),
}

/// Ids a route names, and whether ids nobody recorded are stock content
/// anyone may read (avatars, voices, looks) rather than unowned resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Named {
    pub ids: Vec<String>,
    pub stock_if_unrecorded: bool,
}

/// Where a list answer keeps its items and its page token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListShape {
    /// v1: `{"code":100,"data":{"<items>":[…],"token":…}}`.
    V1(&'static str),
    /// v2 list: `{"data":{"<items>":[…]}}` (no token).
    V2(&'static str),
    /// v2 list with two item arrays in `data`, each filtered alike (an
    /// absent one is nothing to filter): `/v2/avatars`' `avatars` and
    /// `talking_photos`.
    V2Pair(&'static str, &'static str),
    /// v3: `{"data":[…],"has_more":bool,"next_token":…}`.
    V3,
}

/// Item fields that carry a resource's id, in the order they are tried.
pub(crate) const ID_FIELDS: [&str; 11] = [
    "id",
    "video_id",
    "session_id",
    "video_translate_id",
    "proofread_id",
    "lipsync_id",
    "asset_id",
    "talking_photo_id",
    "group_id",
    "voice_id",
    "avatar_id",
];

fn named(ids: Vec<String>) -> Access {
    Access::Named(Named {
        ids,
        stock_if_unrecorded: false,
    })
}

fn stock(ids: Vec<String>) -> Access {
    Access::Named(Named {
        ids,
        stock_if_unrecorded: true,
    })
}

/// A query parameter's value(s), comma lists split (`ids=a,b`).
fn query_ids(query: Option<&str>, name: &str) -> Vec<String> {
    query_ids_where(query, |k| k == name)
}

/// The values of every query parameter whose (decoded) name passes `keep`:
/// a key spelled `video%5Fids` must not slip an id past the check.
fn query_ids_where(query: Option<&str>, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let decode = |s: &str| crate::http::percent_decode(s).unwrap_or_else(|| s.to_string());
    query
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| keep(&decode(k)))
        .flat_map(|(_, v)| v.split([',', ' ']).map(str::to_string))
        .map(|v| decode(&v))
        .flat_map(|v| v.split(',').map(str::to_string).collect::<Vec<_>>())
        .filter(|v| !v.is_empty())
        .collect()
}

/// Bulk status reads name ids in `ids`, `video_ids`, `batch_ids`,
/// `lipsync_ids`, `video_translation_ids`, `asset_ids` (heygen-cli): every
/// such parameter is checked.
fn status_ids(query: Option<&str>) -> Vec<String> {
    query_ids_where(query, |k| k == "ids" || k.ends_with("_ids"))
}

/// Ids in a JSON body's `fields` that name stock content when unrecorded.
const fn stock_body(fields: &'static [&'static str]) -> Access {
    Access::BodyIds {
        named: Named {
            ids: Vec::new(),
            stock_if_unrecorded: true,
        },
        fields,
        created: &[],
    }
}

fn one(id: &str) -> Vec<String> {
    vec![id.to_string()]
}

/// Classifies a request for isolation. `path` is normalised.
pub(crate) fn access(method: &Method, path: &str, query: Option<&str>) -> Access {
    let get = method == Method::GET || method == Method::HEAD;
    let post = method == Method::POST;
    with_segments(path.trim_matches('/'), |s, raw| {
        // The version segment as sent, the rest lower-cased beside it.
        let (Some((version, raw)), Some((_, s))) = (raw.split_first(), s.split_first()) else {
            return Access::Public;
        };
        match *version {
            "v1" => v1(s, raw, query, get, post),
            "v2" => v2(s, raw, query, get, post),
            "v3" => v3(s, raw, query, get, post),
            _ => Access::Public,
        }
    })
}
