use http::{HeaderValue, Method};

use super::Lane;
use crate::proxy::tests::{state, TOKEN};

/// Whether the lane takes `method target` with `fields`.
fn takes(lane: &Lane, method: Method, target: &str, fields: &[(&str, &str)]) -> bool {
    let f: Vec<_> = fields
        .iter()
        .map(|(name, value)| httparse::Header {
            name,
            value: value.as_bytes(),
        })
        .collect();
    let ip = HeaderValue::from_static("127.0.0.1");
    lane.take(&method, target, &f, &ip).is_some()
}

#[tokio::test]
async fn a_free_read_with_a_good_key_is_taken() {
    let dir = tempfile::tempdir().expect("dir");
    let lane = Lane::new(state(&dir).await);
    let key = [("X-Api-Key", TOKEN)];
    let read = "/v2/video_translate/target_languages";
    assert!(takes(&lane, Method::GET, read, &key));
    assert!(takes(&lane, Method::HEAD, &format!("{read}?x=%20&y"), &key));
    let bearer = format!("Bearer {TOKEN}");
    assert!(takes(
        &lane,
        Method::GET,
        read,
        &[("authorization", &bearer)]
    ));
}

#[tokio::test]
async fn what_any_stage_would_do_more_with_is_declined() {
    let dir = tempfile::tempdir().expect("dir");
    let lane = Lane::new(state(&dir).await);
    let key = [("X-Api-Key", TOKEN)];
    let read = "/v2/video_translate/target_languages";
    // The tenant's key: missing or unknown (the stack answers 401).
    assert!(!takes(&lane, Method::GET, read, &[]));
    assert!(!takes(&lane, Method::GET, read, &[("X-Api-Key", "nope")]));
    // Methods other than reads.
    assert!(!takes(&lane, Method::POST, read, &key));
    assert!(!takes(&lane, Method::DELETE, read, &key));
    for target in [
        // Paths the stack normalises, refuses or serves itself.
        "/v2//video_translate/target_languages",
        "/v2/./video_translate/target_languages",
        "/v2/%76ideo_translate/target_languages",
        "/gateway/v1/usage",
        "/v4/video_translate/target_languages",
        "/",
        "http://heygen/v2/video_translate/target_languages",
        "/v2/video_translate/target_languages?a=\"b\"",
        // Lists filtered to the tenant's own (and stock items), a named
        // resource, a status read that settles holds.
        "/v2/avatars",
        "/v2/voices",
        "/v2/videos/abc",
        "/v1/video_status.get?video_id=abc",
    ] {
        assert!(!takes(&lane, Method::GET, target, &key), "{target}");
    }
    // A target `http::Uri` refuses for its length: hyper's 414.
    let long = format!("{read}?pad={}", "a".repeat(usize::from(u16::MAX)));
    assert!(!takes(&lane, Method::GET, &long, &key));
    // Fields only the stack handles.
    let scoped = [("X-Api-Key", TOKEN), ("Idempotency-Key", "k")];
    assert!(!takes(&lane, Method::GET, read, &scoped));
}
