//! Which looks a request reads (only those that can change its price) and
//! what a look answer says.

use serde_json::{json, Value};

use super::super::super::facts::{look_ids, Look, MAX_LOOKS};
use super::super::super::{FilePricing, PriceBook};
use super::{avatar, billable, photo, quote_of, table_book, v2, v3};

fn ids(book: &PriceBook, path: &str, body: &Value) -> Vec<String> {
    look_ids(book, &billable(path), body.to_string().as_bytes())
}

#[test]
fn looks_are_read_only_where_they_can_change_the_price() {
    let (d, t) = (PriceBook::builtin(), table_book());
    let gen = "/v2/video/generate";
    // Built-in prices: photo and video avatars cost the same per engine, so
    // v2 reads nothing and v3 only where the engine is not named.
    assert!(ids(&d, gen, &v2(&[avatar("a", false), avatar("b", true)])).is_empty());
    assert_eq!(ids(&d, "/v3/videos", &v3("a", None)), ["a"]);
    assert!(ids(&d, "/v3/videos", &v3("a", Some("avatar_iv"))).is_empty());
    // Priced apart: every avatar id matters…
    assert_eq!(
        ids(&t, gen, &v2(&[avatar("b", false), avatar("a", false)])),
        ["a", "b"]
    );
    assert_eq!(ids(&t, "/v3/videos", &v3("a", Some("avatar_iii"))), ["a"]);
    // …unless a dearer scene decides the video anyway.
    assert!(ids(&t, gen, &v2(&[avatar("a", false), photo(true)])).is_empty());
    assert_eq!(
        ids(&t, gen, &v2(&[avatar("a", false), avatar("b", true)])),
        ["b"]
    );
    assert!(ids(&t, gen, &v2(&[photo(false)])).is_empty());
    // Other routes never read a look, and a batch reads at most MAX_LOOKS.
    assert!(ids(&t, "/v2/video/av4/generate", &v3("a", None)).is_empty());
    let many: Vec<Value> = (0..12).map(|i| v3(&format!("l{i:02}"), None)).collect();
    let read = ids(&t, "/v3/videos/batches", &json!({ "videos": many }));
    assert_eq!(read.len(), MAX_LOOKS);
}

#[test]
fn looks_read_kind_and_engines_from_either_shape() {
    let l = Look::from_data(&json!({"avatar_type": "photo_avatar",
        "supported_api_engines": ["avatar_iii"]}))
    .expect("look");
    assert!(l.only_avatar_iii());
    assert_eq!(l.photo(), Some(true));
    let nested = Look::from_data(&json!({"avatar_item": {"avatar_type": "digital_twin",
        "supported_api_engines": ["avatar_v", "avatar_iv", "avatar_iii"]}}))
    .expect("look");
    assert!(!nested.only_avatar_iii());
    assert_eq!(nested.photo(), Some(false));
    // Nothing known about engines: never assume the cheaper one.
    let bare = Look::from_data(&json!({"avatar_type": "x"})).expect("look");
    assert!(!bare.only_avatar_iii());
    assert_eq!(bare.photo(), None);
    assert!(Look::from_data(&json!({"name": "x"})).is_none());
}

#[test]
fn an_unknown_look_is_never_priced_below_either_kind() {
    // Photo avatars dearer than twins (an odd book): an unread look is
    // held at the photo rate.
    let file: FilePricing =
        toml::from_str("[features.talking_photo]\ncredits_per_minute = 3.0\n").expect("parses");
    let b = PriceBook::from_file(&file).expect("valid");
    let q = quote_of(&b, "/v2/video/generate", &v2(&[avatar("nope", false)])).expect("priced");
    assert_eq!(q.feature, "talking_photo");
    let known = quote_of(&b, "/v2/video/generate", &v2(&[avatar("twin", false)])).expect("ok");
    assert_eq!(known.feature, "standard_avatar");
}
