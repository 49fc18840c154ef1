//! The catalog walk: every route template in the catalog has an example
//! here, and every example that creates something carries HeyGen's
//! documented answer and the ids the gateway must record from it. A route
//! added to the catalog without an example, or a creation whose ids the
//! gateway cannot read, fails these tests rather than passing silently.
//!
//! Answer sources: `heygen-api.md` § numbers, `cli` = heygen-com/heygen-cli
//! `gen/*.go` response schemas; `assumed` marks shapes no source gives
//! (the README lists them).
//!
//! This file holds the checks; the examples themselves are in `cases`.

mod cases;

use http::Method;

use super::rules::{access, Access};
use crate::catalog::{classify, RouteKind};
use crate::pricing::jobs::created_job_ids;
use cases::Makes::{Ids, NoId, Nothing};
use cases::CASES;

fn method(m: &str) -> Method {
    Method::from_bytes(m.as_bytes()).expect("method")
}

fn split(target: &str) -> (&str, Option<&str>) {
    match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    }
}

/// The ids the gateway records from `answer`: the ownership rule's fields
/// and, for billable routes, the job ids settlement tracks.
fn recorded(m: &Method, target: &str, answer: &str) -> Vec<String> {
    let (path, query) = split(target);
    let mut ids = match access(m, path, query) {
        Access::Create(fields)
        | Access::BodyIds {
            created: fields, ..
        } => super::body_ids(answer.as_bytes(), fields),
        _ => Vec::new(),
    };
    if let RouteKind::Billable(b) = classify(m, path).kind {
        ids.extend(created_job_ids(&b, answer.as_bytes()));
    }
    ids.sort();
    ids.dedup();
    ids
}

/// Every `"METHOD /path"` template string in the catalog's source.
fn catalog_templates() -> Vec<String> {
    let src = [
        include_str!("../catalog/table.rs"),
        include_str!("../catalog/table_v3.rs"),
    ];
    let mut out = Vec::new();
    for s in src {
        for piece in s.split('"').skip(1).step_by(2) {
            let starts = ["GET /", "POST /", "PUT /", "PATCH /", "DELETE /", "* /"];
            if starts.iter().any(|p| piece.starts_with(p)) {
                out.push(piece.to_string());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn every_catalog_route_has_an_example() {
    let mut seen = Vec::new();
    for (m, target, _) in CASES {
        let route = classify(&method(m), split(target).0);
        assert!(
            !matches!(route.kind, RouteKind::UnknownRead | RouteKind::UnknownWrite),
            "{m} {target} is not in the catalog"
        );
        seen.push(route.template.to_string());
    }
    let missing: Vec<String> = catalog_templates()
        .into_iter()
        .filter(|t| !seen.contains(t))
        .collect();
    assert!(
        missing.is_empty(),
        "catalog routes without an example here: {missing:?}"
    );
}

#[test]
fn every_creation_records_the_ids_heygen_answers() {
    for (m, target, makes) in CASES {
        let m = method(m);
        match makes {
            Ids(answer, expected) => {
                assert_eq!(
                    recorded(&m, target, answer),
                    expected.to_vec(),
                    "{m} {target}: the gateway cannot read what this creation made"
                );
            }
            NoId(why) => assert!(!why.is_empty()),
            Nothing => assert!(
                !matches!(m, Method::POST | Method::PUT),
                "{m} {target}: a write must say what it creates (Ids) or why nothing (NoId)"
            ),
        }
    }
}

#[test]
fn what_a_creation_makes_is_then_owner_only() {
    // The read route of each family names the id the creation recorded.
    for (read, id) in [
        ("/v2/video_translate/proofread/pr1", "pr1"),
        ("/v3/video-translations/proofreads/p1", "p1"),
        ("/v3/hyperframes/renders/hr1", "hr1"),
        ("/v3/assets/batches/ab", "ab"),
        ("/v3/avatar-realtime/rt1", "rt1"),
        ("/v2/video_avatar/va1", "va1"),
        ("/v1/folders/f1", "f1"),
    ] {
        match access(&Method::GET, read, None) {
            Access::Named(n) => assert_eq!(n.ids, vec![id.to_string()], "{read}"),
            other => panic!("{read}: {other:?}"),
        }
    }
    // A photo avatar group's looks are its owner's; the group list mixes
    // public groups with tenants' and is filtered.
    match access(&Method::GET, "/v2/avatar_group/pg1/avatars", None) {
        Access::Named(n) => assert_eq!(n.ids, ["pg1"]),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        access(&Method::GET, "/v2/avatar_group.list", None),
        Access::StockList(_)
    ));
    // Writes to a look need its owner; reads of an unrecorded one are stock.
    let (get, patch) = (
        access(&Method::GET, "/v3/avatars/looks/l1", None),
        access(&Method::PATCH, "/v3/avatars/looks/l1", None),
    );
    assert!(matches!(get, Access::Named(n) if n.stock_if_unrecorded));
    assert!(matches!(patch, Access::Named(n) if !n.stock_if_unrecorded));
}

#[test]
fn bulk_status_reads_check_every_id_parameter_however_spelled() {
    for (path, q) in [
        ("/v3/videos/statuses", "video_ids=a,b&batch_ids=c"),
        ("/v3/videos/statuses", "video%5Fids=a&ids=b%2Cc"),
        ("/v3/lipsyncs/statuses", "lipsync_ids=a&batch_ids=b,c"),
        (
            "/v3/video-translations/statuses",
            "video_translation_ids=a,b,c",
        ),
        ("/v3/assets/statuses", "asset_ids=a&batch_ids=b&batch_ids=c"),
    ] {
        match access(&Method::GET, path, Some(q)) {
            Access::Named(mut n) => {
                n.ids.sort();
                assert_eq!(n.ids, ["a", "b", "c"], "{path}?{q}");
            }
            other => panic!("{path}: {other:?}"),
        }
    }
}
