//! Avatar kind and engine: v2 `character.type` and `use_avatar_iv_model`,
//! v3 looks (`avatar_type`, `supported_api_engines`) and `engine`, and
//! which looks are read at all.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::super::facts::{look_ids, Facts, Look};
use super::super::*;
use crate::catalog::{classify, Billable, RouteKind};

mod look_reads;

const PLAN: PlanPolicy = PlanPolicy {
    tier: Tier::Enterprise,
    max_video_seconds: 1800,
    test_mode: TestMode::Billed,
};

/// The 2025-11 limits table (photo 1/min, video avatar 2/min) with a v3
/// wallet's photo IV rate: every avatar feature priced apart.
fn table_book() -> PriceBook {
    let file: FilePricing = toml::from_str(
        "[features.standard_avatar]\ncredits_per_minute = 2.0\n\
         [features.photo_avatar_iv]\ncredits_per_minute = 4.5\n",
    )
    .expect("parses");
    PriceBook::from_file(&file).expect("valid")
}

fn look(avatar_type: &str, engines: &[&str]) -> Look {
    Look {
        avatar_type: avatar_type.into(),
        engines: engines.iter().map(|e| e.to_string()).collect(),
    }
}

/// Looks HeyGen knows: a twin and photo avatars with and without IV.
fn looks() -> HashMap<String, Look> {
    let all = ["avatar_v", "avatar_iv", "avatar_iii"];
    HashMap::from([
        ("twin".into(), look("digital_twin", &all)),
        ("studio".into(), look("studio_avatar", &all)),
        ("photo".into(), look("photo_avatar", &all)),
        ("photo_iii".into(), look("photo_avatar", &["avatar_iii"])),
        ("twin_iii".into(), look("digital_twin", &["avatar_iii"])),
        ("odd".into(), look("hologram", &all)),
    ])
}

fn billable(path: &str) -> Billable {
    match classify(&http::Method::POST, path).kind {
        RouteKind::Billable(b) => b,
        other => panic!("{path}: {other:?}"),
    }
}

/// Quotes with `looks` known; asserts the look-ups the request would make
/// are enough: reading only `look_ids` prices exactly as reading them all.
fn quote_of(book: &PriceBook, path: &str, body: &Value) -> Result<Quote, PricingError> {
    let b = billable(path);
    let bytes = serde_json::to_vec(body).expect("json");
    let all = Facts {
        looks: looks(),
        ..Facts::default()
    };
    let full = quote_with_facts(book, &PLAN, &b, &bytes, &all);
    let wanted = look_ids(book, &b, &bytes);
    let read = Facts {
        looks: looks()
            .into_iter()
            .filter(|(id, _)| wanted.contains(id))
            .collect(),
        ..Facts::default()
    };
    let only = quote_with_facts(book, &PLAN, &b, &bytes, &read);
    assert_eq!(
        full.as_ref().map(|q| q.credits).ok(),
        only.as_ref().map(|q| q.credits).ok(),
        "{path} {body}: reading {wanted:?} is not enough"
    );
    full
}

fn v2(characters: &[Value]) -> Value {
    let scenes: Vec<Value> = characters
        .iter()
        .map(|c| {
            let mut s = json!({"voice": {"type": "silence", "duration": 60.0}});
            if !c.is_null() {
                s["character"] = c.clone();
            }
            s
        })
        .collect();
    json!({ "video_inputs": scenes })
}

fn avatar(id: &str, iv: bool) -> Value {
    json!({"type": "avatar", "avatar_id": id, "use_avatar_iv_model": iv})
}

fn photo(iv: bool) -> Value {
    json!({"type": "talking_photo", "talking_photo_id": "tp", "use_avatar_iv_model": iv})
}

#[test]
fn v2_scenes_are_priced_by_character_type_look_and_engine() {
    let t = table_book();
    // (case, characters, feature, credits with the 2025-11 table, 60 s per scene)
    let table: &[(&str, Vec<Value>, &str, i64)] = &[
        (
            "twin",
            vec![avatar("twin", false)],
            "standard_avatar",
            2_000_000,
        ),
        (
            "photo look",
            vec![avatar("photo", false)],
            "talking_photo",
            1_000_000,
        ),
        (
            "unknown look",
            vec![avatar("nope", false)],
            "standard_avatar",
            2_000_000,
        ),
        (
            "new avatar type",
            vec![avatar("odd", false)],
            "standard_avatar",
            2_000_000,
        ),
        (
            "talking_photo",
            vec![photo(false)],
            "talking_photo",
            1_000_000,
        ),
        (
            "talking_photo IV",
            vec![photo(true)],
            "photo_avatar_iv",
            4_500_000,
        ),
        (
            "photo look IV",
            vec![avatar("photo", true)],
            "photo_avatar_iv",
            4_500_000,
        ),
        (
            "twin IV",
            vec![avatar("twin", true)],
            "avatar_iv",
            6_000_000,
        ),
        (
            "unknown look IV",
            vec![avatar("nope", true)],
            "avatar_iv",
            6_000_000,
        ),
        (
            "no character",
            vec![Value::Null],
            "standard_avatar",
            2_000_000,
        ),
        (
            "no type",
            vec![json!({"avatar_id": "photo"})],
            "talking_photo",
            1_000_000,
        ),
        (
            "photo + twin",
            vec![photo(false), avatar("twin", false)],
            "standard_avatar",
            4_000_000,
        ),
        (
            "photo + photo IV",
            vec![photo(false), photo(true)],
            "photo_avatar_iv",
            9_000_000,
        ),
        (
            "twin + photo IV",
            vec![avatar("twin", false), photo(true)],
            "photo_avatar_iv",
            9_000_000,
        ),
    ];
    for (case, chars, feature, credits) in table {
        let body = v2(chars);
        let q = quote_of(&t, "/v2/video/generate", &body).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(
            (q.feature.as_str(), q.credits),
            (*feature, *credits),
            "{case}"
        );
        let webm = quote_of(&t, "/v1/video.webm", &body).expect("webm");
        assert_eq!(webm.feature, *feature, "{case} (webm)");
    }
}

#[test]
fn v2_default_prices_are_unchanged_by_the_kind() {
    // The seed's 1/min for every avatar video, 6/min for any IV render.
    let b = PriceBook::builtin();
    for (chars, credits) in [
        (vec![avatar("photo", false)], 1_000_000),
        (vec![photo(false)], 1_000_000),
        (vec![photo(true)], 6_000_000),
        (vec![avatar("twin", true), photo(false)], 12_000_000),
    ] {
        let q = quote_of(&b, "/v2/video/generate", &v2(&chars)).expect("priced");
        assert_eq!(q.credits, credits, "{chars:?}");
    }
}

#[test]
fn an_unknown_character_type_is_refused_naming_the_field() {
    let body = v2(&[photo(false), json!({"type": "hologram", "avatar_id": "x"})]);
    let e = quote_of(&table_book(), "/v2/video/generate", &body).expect_err("refused");
    assert_eq!((e.status(), e.code()), (400, "invalid_parameter"));
    assert!(
        e.message().starts_with("video_inputs[1].character.type:"),
        "{}",
        e.message()
    );
}

fn v3(id: &str, engine: Option<&str>) -> Value {
    let mut b = json!({"type": "avatar", "avatar_id": id, "script": "word ".repeat(100)});
    if let Some(e) = engine {
        b["engine"] = json!({ "type": e });
    }
    b
}

#[test]
fn v3_looks_decide_kind_and_default_engine() {
    let t = table_book();
    // (look, engine, feature)
    let table: &[(&str, Option<&str>, &str)] = &[
        ("photo", None, "photo_avatar_iv"),
        ("photo_iii", None, "talking_photo"),
        ("photo", Some("avatar_iii"), "talking_photo"),
        ("photo", Some("avatar_v"), "photo_avatar_iv"),
        ("twin", None, "avatar_iv"),
        ("twin_iii", None, "standard_avatar"),
        ("studio", Some("avatar_iii"), "standard_avatar"),
        ("odd", None, "avatar_iv"),
        ("odd", Some("avatar_iii"), "standard_avatar"),
        // Failed or unknown look: the highest rate.
        ("nope", None, "avatar_iv"),
        ("nope", Some("avatar_iv"), "avatar_iv"),
        ("nope", Some("avatar_iii"), "standard_avatar"),
    ];
    for &(id, engine, feature) in table {
        let q = quote_of(&t, "/v3/videos", &v3(id, engine)).expect("priced");
        assert_eq!(q.feature, feature, "{id} {engine:?}");
    }
    let e = quote_of(&t, "/v3/videos", &v3("photo", Some("avatar_vi"))).expect_err("no price");
    assert_eq!((e.status(), e.code()), (400, "unpriceable"));
}

#[test]
fn v3_studio_scenes_and_batch_items_read_their_looks() {
    let t = table_book();
    let scene = |id: &str| json!({"type": "avatar_video", "input": {"avatar_id": id, "script": "hello there"}});
    let studio = |scenes: Vec<Value>| json!({"type": "studio", "scenes": scenes});
    let q = quote_of(&t, "/v3/videos", &studio(vec![scene("photo")])).expect("priced");
    assert_eq!(q.feature, "photo_avatar_iv");
    let q = quote_of(&t, "/v3/videos", &studio(vec![scene("photo_iii")])).expect("priced");
    assert_eq!(q.feature, "talking_photo");
    // A silent image scene renders at Avatar IV: the video's dearest scene.
    let image =
        json!({"type": "image", "image": {"type": "url", "url": "https://x/i.png"}, "duration": 3});
    let q = quote_of(&t, "/v3/videos", &studio(vec![scene("photo_iii"), image])).expect("priced");
    assert_eq!(q.feature, "avatar_iv");
    let batch = json!({"videos": [v3("photo", None), v3("twin_iii", None), v3("nope", None)]});
    let q = quote_of(&t, "/v3/videos/batches", &batch).expect("priced");
    let features: Vec<&str> = q.jobs.iter().map(|j| j.feature.as_str()).collect();
    assert_eq!(
        features,
        ["photo_avatar_iv", "standard_avatar", "avatar_iv"]
    );
}
