//! Isolation rules that cut across versions and families, and the checks
//! on bodies that name resources.

use http::Method;

use super::body_ids_checked;
use super::rules::{access, Access};
use crate::error::GatewayError;

#[test]
fn every_version_of_a_voice_or_avatar_read_checks_its_owner() {
    // The v2 and v3 spellings of one id are checked alike: stock when
    // nobody recorded it, its owner's alone when somebody did.
    for (m, path, id) in [
        (Method::GET, "/v3/voices/vc1", "vc1"),
        (Method::POST, "/v2/voices/vc1/preview", "vc1"),
        (Method::GET, "/v3/avatars/a1", "a1"),
        (Method::GET, "/v2/avatar/a1/details", "a1"),
    ] {
        match access(&m, path, None) {
            Access::Named(n) => {
                assert_eq!(n.ids, [id], "{m} {path}");
                assert!(n.stock_if_unrecorded, "{m} {path}");
            }
            other => panic!("{m} {path}: {other:?}"),
        }
    }
    // A template is stock unless ops assigned it, on both versions.
    for (m, path) in [
        (Method::GET, "/v2/template/t1"),
        (Method::POST, "/v2/template/t1/generate"),
        (Method::GET, "/v3/templates/t1"),
        (Method::POST, "/v3/templates/t1"),
    ] {
        match access(&m, path, None) {
            Access::Named(n) => assert!(n.ids == ["t1"] && n.stock_if_unrecorded, "{path}"),
            other => panic!("{m} {path}: {other:?}"),
        }
    }
    // Lists that mix stock content with tenants' clones are filtered on
    // every version.
    for path in [
        "/v1/voice.list",
        "/v1/avatar.list",
        "/v2/voices",
        "/v2/avatars",
        "/v3/voices",
        "/v3/avatars",
    ] {
        assert!(
            matches!(access(&Method::GET, path, None), Access::StockList(_)),
            "{path}"
        );
    }
}

#[test]
fn a_body_naming_resources_must_be_one_the_gateway_reads_as_heygen_would() {
    let fields = &["session_id"];
    let ids = |body: &str| body_ids_checked(body.as_bytes(), fields);
    assert_eq!(
        ids(r#"{"session_id":"s1"}"#).ok(),
        Some(vec!["s1".to_string()])
    );
    assert_eq!(ids("").ok(), Some(vec![]));
    // Bodies another parser might read (and find an id in) but this one
    // cannot, or would read differently: refused, never passed unchecked.
    for refused in [
        "\u{feff}{\"session_id\":\"s1\"}",
        r#"{"session_id":"s1","x":NaN}"#,
        r#"{"session_id":"mine","session_id":"theirs"}"#,
        r#"{"Session_Id":"theirs"}"#,
        r#"{"data":{"SESSION_ID":"theirs"}}"#,
        r#"["session_id"]"#,
        "{\"session_id\":\"s1\"",
    ] {
        match body_ids_checked(refused.as_bytes(), fields) {
            Err(GatewayError::Pricing(_) | GatewayError::BadRequest { .. }) => {}
            other => panic!("{refused}: {other:?}"),
        }
    }
}

#[test]
fn a_jobs_inputs_are_found_wherever_its_body_names_them() {
    let body = br#"{"video_inputs":[
        {"character":{"type":"talking_photo","talking_photo_id":"tp1"},
         "voice":{"type":"audio","audio_asset_id":"au1"},
         "background":{"type":"video","video_asset_id":"bg1"}},
        {"character":{"type":"avatar","avatar_id":"av1"},
         "voice":{"type":"text","voice_id":"vc1","input_text":"asset_id"}}],
        "video":{"type":"asset","asset_id":"as1"},
        "title":"talking_photo_id"}"#;
    let inputs = super::job_inputs(body);
    assert_eq!(inputs.ids, ["as1", "au1", "av1", "bg1", "tp1", "vc1"]);
    // Stock avatars and voices, and uploads nobody recorded, stay usable.
    assert!(inputs.stock_if_unrecorded);
    assert!(super::job_inputs(b"not json").ids.is_empty());
}

/// Brand kits, brand glossaries (made in HeyGen's web app) and the stock
/// audio catalog belong to no tenant: named in the catalog, they still
/// pass unfiltered, as they did as unknown reads.
#[test]
fn workspace_brand_lists_and_stock_audio_are_public() {
    for (path, query) in [
        ("/v3/brand-glossaries", None),
        ("/v3/brand-kits", Some("limit=10&token=t")),
        ("/v3/audio/sounds", Some("query=lofi&type=music")),
        ("/v3/Brand-Kits/", None),
    ] {
        for m in [Method::GET, Method::HEAD] {
            assert_eq!(access(&m, path, query), Access::Public, "{m} {path}");
        }
    }
}
