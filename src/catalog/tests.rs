use http::Method;

use super::*;

fn kind(m: Method, p: &str) -> RouteKind {
    classify(&m, p).kind
}

#[test]
fn billable_paths_classify_with_params() {
    assert_eq!(
        kind(Method::POST, "/v2/video/generate"),
        RouteKind::Billable(Billable::StudioVideo)
    );
    assert_eq!(
        kind(Method::POST, "/v2/template/TpL_1/generate"),
        RouteKind::Billable(Billable::V2Template {
            template_id: "TpL_1".into()
        })
    );
    assert_eq!(
        kind(Method::POST, "/v3/video-agents/Sess1"),
        RouteKind::Billable(Billable::V3VideoAgentMessage {
            session_id: "Sess1".into()
        })
    );
    assert_eq!(
        kind(Method::POST, "/v3/video-agents/Sess1/stop"),
        RouteKind::Free
    );
    assert_eq!(
        kind(Method::POST, "/v3/HyperFrames/renders/"),
        RouteKind::Billable(Billable::V3HyperframesRender)
    );
    assert_eq!(
        kind(Method::DELETE, "/v3/hyperframes/renders/r1"),
        RouteKind::Free
    );
}

#[test]
fn spelling_variants_of_paid_paths_stay_paid() {
    for p in [
        "/v2/video/generate/",
        "/V2/Video/Generate",
        "/v2/VIDEO/generate//",
    ] {
        assert_eq!(
            kind(Method::POST, p),
            RouteKind::Billable(Billable::StudioVideo),
            "{p}"
        );
    }
}

#[test]
fn fixed_names_are_not_taken_for_ids() {
    assert_eq!(kind(Method::GET, "/v3/videos/statuses"), RouteKind::Free);
    assert_eq!(
        kind(Method::GET, "/v3/videos/abc"),
        RouteKind::Status(StatusRead::V3Video)
    );
    assert_eq!(
        kind(Method::GET, "/v3/videos/batches/b1"),
        RouteKind::Status(StatusRead::V3VideoBatch)
    );
    assert_eq!(
        kind(Method::GET, "/v2/video_translate/target_languages"),
        RouteKind::Free
    );
    assert_eq!(
        kind(Method::GET, "/v2/video_translate/t1"),
        RouteKind::Status(StatusRead::V2VideoTranslate)
    );
}

#[test]
fn unknown_routes_split_by_method() {
    assert_eq!(kind(Method::GET, "/v9/whatever"), RouteKind::UnknownRead);
    assert_eq!(kind(Method::HEAD, "/v2/nope"), RouteKind::UnknownRead);
    assert_eq!(kind(Method::POST, "/v2/nope"), RouteKind::UnknownWrite);
    assert_eq!(
        kind(Method::OPTIONS, "/v2/video/generate"),
        RouteKind::UnknownWrite
    );
    assert_eq!(kind(Method::POST, "relative"), RouteKind::UnknownWrite);
    assert_eq!(kind(Method::POST, ""), RouteKind::UnknownWrite);
    assert_eq!(kind(Method::POST, "/"), RouteKind::UnknownWrite);
    assert_eq!(classify(&Method::POST, "/x").template, "unknown_write");
}

#[test]
fn free_writes_are_explicit() {
    for (m, p) in [
        (Method::POST, "/v1/asset"),
        (Method::POST, "/v3/assets"),
        (Method::POST, "/v1/streaming.stop"),
        (Method::POST, "/v2/voices/v1/preview"),
        (Method::POST, "/v3/webhooks/endpoints"),
        (Method::DELETE, "/v3/webhooks/endpoints/e1"),
        (Method::POST, "/v1/webhook/endpoint.add"),
        (Method::DELETE, "/v1/video.delete"),
        (Method::POST, "/v3/folders"),
    ] {
        assert_eq!(kind(m.clone(), p), RouteKind::Free, "{m} {p}");
    }
}

#[test]
fn status_paths_of_jobs_classify_as_their_status_reads() {
    for (p, s) in [
        ("/v1/video_status.get", StatusRead::V1VideoStatus),
        ("/v2/videos/x", StatusRead::V2Video),
        ("/v3/video-translations/x", StatusRead::V3VideoTranslation),
        ("/v3/lipsyncs/x", StatusRead::V3Lipsync),
        ("/v3/video-agents/x", StatusRead::V3VideoAgent),
        (
            "/v3/video-translations/batches/x",
            StatusRead::V3TranslationBatch,
        ),
        ("/v3/lipsyncs/batches/x", StatusRead::V3LipsyncBatch),
        ("/v3/hyperframes/renders/x", StatusRead::V3HyperframesRender),
    ] {
        assert_eq!(kind(Method::GET, p), RouteKind::Status(s), "{p}");
    }
}

#[test]
fn families_round_trip() {
    for f in Family::ALL {
        assert_eq!(f.as_str().parse::<Family>(), Ok(*f));
    }
}

/// Every route the table prices (`bill(` / `per_call(` with a template)
/// has a row in the README's per-route price table, so the table says what
/// each route holds and a new route cannot ship undocumented.
#[test]
fn every_billable_route_is_in_the_readme_price_table() {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("#### What each billable route holds")
        .expect("README per-route price table");
    let section = &readme[start..];
    let section = &section[..section.find("\nNot modelled").unwrap_or(section.len())];
    let sources = [include_str!("table.rs"), include_str!("table_v3.rs")];
    let mut missing = Vec::new();
    let mut seen = 0;
    for src in sources {
        for (i, _) in src
            .match_indices("bill(")
            .chain(src.match_indices("per_call("))
        {
            // The definitions themselves (`fn bill(`) name no route.
            if src[..i].ends_with("fn ") {
                continue;
            }
            let rest = &src[i..];
            let Some(open) = rest.find('"') else { continue };
            let lit = &rest[open + 1..];
            let Some(close) = lit.find('"') else { continue };
            let template = &lit[..close];
            if !template.starts_with("POST ") {
                continue;
            }
            seen += 1;
            if !section.contains(&format!("`{template}`")) {
                missing.push(template.to_string());
            }
        }
    }
    assert!(
        seen >= 30,
        "found only {seen} billable routes in the table sources"
    );
    assert!(
        missing.is_empty(),
        "billable routes without a README price row: {missing:?}"
    );
}

/// Read-only v3 lists heygen-cli calls (gen/brand.go, gen/audio.go) are
/// named free routes in the family of the job that uses what they list,
/// not `unknown_read` and not `account`; writes to them stay unknown.
#[test]
fn brand_and_audio_lists_are_named_free_reads() {
    for (p, family, template) in [
        (
            "/v3/brand-glossaries",
            Family::Translation,
            "GET /v3/brand-glossaries",
        ),
        ("/v3/brand-kits", Family::Agent, "GET /v3/brand-kits"),
        ("/v3/audio/sounds", Family::Other, "GET /v3/audio/sounds"),
    ] {
        let upper = p.to_uppercase().replace("/V3/", "/v3/") + "/";
        for (m, path) in [(Method::GET, p), (Method::HEAD, p), (Method::GET, &upper)] {
            let route = classify(&m, path);
            assert_eq!(route.kind, RouteKind::Free, "{m} {path}");
            assert_eq!(
                (route.family, route.template),
                (family, template),
                "{m} {path}"
            );
        }
        assert_eq!(kind(Method::POST, p), RouteKind::UnknownWrite, "{p}");
        assert_eq!(kind(Method::DELETE, p), RouteKind::UnknownWrite, "{p}");
    }
    assert_eq!(kind(Method::GET, "/v3/audio"), RouteKind::UnknownRead);
}
