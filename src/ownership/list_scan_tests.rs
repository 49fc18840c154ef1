use serde_json::{json, Value};

use super::*;
use crate::ownership::list;

const SHAPES: [ListShape; 3] = [
    ListShape::V1("videos"),
    ListShape::V2("talking_photos"),
    ListShape::V3,
];

/// The scan agrees with the tree path: same ids and token, and when it
/// says the envelope is as is, `assemble` of the unfiltered page gives the
/// answer back unchanged.
fn agrees(shape: ListShape, body: &str) -> Option<Scan> {
    let scanned = scan(shape, body.as_bytes());
    let Some(s) = &scanned else {
        return None;
    };
    let (first, page) = list::parse(shape, body.as_bytes()).expect("scan passed a bad shape");
    let ids: Vec<String> = page
        .items
        .iter()
        .filter_map(|i| list::item_id(i).map(str::to_string))
        .collect();
    assert_eq!(s.ids, ids, "{body}");
    assert_eq!(ids.len(), page.items.len(), "an item without an id passed");
    assert_eq!(s.next, page.next, "{body}");
    let original: Value = serde_json::from_str(body).unwrap();
    let rebuilt = list::assemble(shape, first, page.items, page.next);
    assert_eq!(s.envelope_as_is, rebuilt == original, "{body}");
    scanned
}

#[test]
fn reads_ids_and_tokens_of_every_shape() {
    let body = json!({"error": null, "data": {"avatars": [{"avatar_id": "a"}], "talking_photos": [{"talking_photo_id": "t1", "x": [1, {"id": 2}]}, {"id": "t2", "talking_photo_id": "ignored"}]}}).to_string();
    let s = agrees(ListShape::V2("talking_photos"), &body).unwrap();
    assert_eq!(s.ids, ["t1", "t2"]);
    assert!(s.envelope_as_is);

    let body = r#"{"code":100,"data":{"videos":[{"video_id":"v1"}],"token":"t"},"message":"ok"}"#;
    let s = agrees(ListShape::V1("videos"), body).unwrap();
    assert_eq!((s.next.as_deref(), s.envelope_as_is), (Some("t"), true));
    for (tok, as_is) in [("null", true), ("\"\"", false), ("3", false)] {
        let body = format!(r#"{{"code":100,"data":{{"videos":[],"token":{tok}}}}}"#);
        assert_eq!(
            agrees(ListShape::V1("videos"), &body)
                .unwrap()
                .envelope_as_is,
            as_is
        );
    }
    let missing = r#"{"code":100,"data":{"videos":[]}}"#;
    assert!(
        !agrees(ListShape::V1("videos"), missing)
            .unwrap()
            .envelope_as_is
    );

    for (tail, next, as_is) in [
        (r#""has_more":true,"next_token":"n""#, Some("n"), true),
        (r#""has_more":false,"next_token":null"#, None, true),
        (r#""has_more":false,"next_token":"n""#, None, false),
        (r#""has_more":true,"next_token":null"#, None, false),
        (r#""next_token":"n""#, Some("n"), false),
        (r#""has_more":"yes","next_token":"n""#, Some("n"), false),
    ] {
        let body = format!(r#"{{"data":[{{"id":"a\u0031"}}],{tail}}}"#);
        let s = agrees(ListShape::V3, &body).unwrap();
        assert_eq!(s.ids, ["a1"]);
        assert_eq!(
            (s.next.as_deref(), s.envelope_as_is),
            (next, as_is),
            "{tail}"
        );
    }
}

#[test]
fn anything_off_the_clean_shape_is_left_to_the_tree_path() {
    let v2 = ListShape::V2("talking_photos");
    for body in [
        // Repeated keys: a client may read the copy the filter did not.
        r#"{"data":{"talking_photos":[]},"data":{"talking_photos":[{"id":"x"}]}}"#,
        r#"{"data":{"talking_photos":[],"talking_photos":[{"id":"x"}]}}"#,
        r#"{"data":{"talking_photos":[{"id":"a","id":"b"}]}}"#,
        // Items the filter removes.
        r#"{"data":{"talking_photos":[{"name":"no id"}]}}"#,
        r#"{"data":{"talking_photos":[{"id":7}]}}"#,
        r#"{"data":{"talking_photos":["a"]}}"#,
        // Not the shape at all, or not JSON the tree parse accepts.
        r#"{"data":{"avatars":[]}}"#,
        r#"{"data":[]}"#,
        r#"[]"#,
        r#"{"data":{"talking_photos":[]}} x"#,
        r#"{"data":{"talking_photos":[]},"n":1e400}"#,
        "not json",
    ] {
        assert_eq!(scan(v2, body.as_bytes()), None, "{body}");
    }
    let deep = format!(
        r#"{{"data":{{"talking_photos":[]}},"x":{}{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    assert!(list::parse(v2, deep.as_bytes()).is_none());
    assert_eq!(
        scan(v2, deep.as_bytes()),
        None,
        "deeper than the tree parse allows"
    );
    assert_eq!(scan(ListShape::V3, br#"{"data":[],"data":[]}"#), None);
    assert_eq!(scan(ListShape::V3, br#"{"data":{}}"#), None);
}

#[test]
fn agrees_with_the_tree_path_on_mixed_answers() {
    let items = [
        r#"{"id":"a"}"#,
        r#"{"video_id":"b","id":null}"#,
        r#"{"avatar_id":"c","voice_id":"d","nested":{"id":"z"}}"#,
        r#"{"talking_photo_id":"e\"q","extra":[true,false,null,1.5,-2]}"#,
    ];
    for shape in SHAPES {
        for n in 0..=items.len() {
            let list = items[..n].join(",");
            let body = match shape {
                ListShape::V3 => {
                    format!(r#"{{"data":[{list}],"has_more":false,"next_token":null}}"#)
                }
                ListShape::V1(k) | ListShape::V2(k) | ListShape::V2Pair(k, _) => {
                    format!(
                        r#"{{"code":100,"data":{{"{k}":[{list}],"token":null}},"message":"m"}}"#
                    )
                }
            };
            assert_eq!(agrees(shape, &body).unwrap().ids.len(), n);
        }
    }
}

#[test]
fn utf8_is_checked_once_with_the_same_verdicts() {
    // Text beyond ASCII, in keys and values, and escapes: scanned as before.
    let body = r#"{"error":null,"data":{"avatars":[],"talking_photos":[{"talking_photo_id":"tp-Å\u00e9","n":"Ångström 東京"}]}}"#;
    let s = agrees(ListShape::V2("talking_photos"), body).expect("scanned");
    assert_eq!(s.ids, ["tp-Åé"]);
    // Bytes that are not UTF-8, inside a string or outside one: refused,
    // as `serde_json::from_slice` refuses them.
    let good = br#"{"error":null,"data":{"talking_photos":[{"talking_photo_id":"a"}]}}"#;
    let at = good.iter().position(|&b| b == b'a').expect("an id");
    for bad in [0xff_u8, 0xc3] {
        let mut body = good.to_vec();
        body[at] = bad;
        assert!(scan(ListShape::V2("talking_photos"), &body).is_none());
        assert!(serde_json::from_slice::<Value>(&body).is_err());
    }
    let mut outside = good.to_vec();
    outside.insert(1, 0xff);
    assert!(scan(ListShape::V2("talking_photos"), &outside).is_none());
}

/// `/v2/avatars`: the ids of both arrays, the first's then the second's; an
/// absent second array holds nothing; a repeated one fails the scan.
#[test]
fn a_pair_list_scans_both_arrays() {
    let pair = ListShape::V2Pair("avatars", "talking_photos");
    let body = br#"{"error":null,"data":{"talking_photos":[{"talking_photo_id":"t1"}],"avatars":[{"avatar_id":"a1"},{"avatar_id":"a2"}]}}"#;
    let s = scan(pair, body).expect("scanned");
    assert_eq!(
        (s.ids, s.next, s.envelope_as_is),
        (vec!["a1".into(), "a2".into(), "t1".into()], None, true)
    );
    let s = scan(pair, br#"{"data":{"avatars":[{"avatar_id":"a1"}]}}"#).expect("scanned");
    assert_eq!(s.ids, ["a1"]);
    assert_eq!(
        scan(
            pair,
            br#"{"data":{"avatars":[],"talking_photos":[],"talking_photos":[]}}"#
        ),
        None
    );
    assert_eq!(
        scan(pair, br#"{"data":{"talking_photos":[]}}"#),
        None,
        "no first array: the tree path decides"
    );
}
