//! Above 1080p (enterprise only): avatar videos are billed at their 4K
//! features, which cost what 1080p costs unless the book prices them
//! (v3 enterprise credits list no 4K rate; PAYG bills 4K 1.25–1.33×), and
//! settle under the same feature.

use super::*;

fn uhd_book() -> PriceBook {
    let file: heygen_gateway::pricing::FilePricing = toml::from_str(
        "[features.avatar_iv_4k]\ncredits_per_minute = 7.5\n\
         [features.standard_avatar_4k]\ncredits_per_minute = 1.25\n",
    )
    .expect("parses");
    PriceBook::from_file(&file).expect("valid")
}

fn ent(book: &PriceBook, path: &str, body: &Value) -> Quote {
    let bytes = serde_json::to_vec(body).expect("json");
    quote_request(book, &ENT, &Method::POST, path, &bytes).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn v3(resolution: &str) -> Value {
    json!({"type": "avatar", "avatar_id": "a", "voice_id": "v", "script": words150(),
           "engine": {"type": "avatar_iv"}, "resolution": resolution})
}

fn v2(w: u32, h: u32) -> Value {
    json!({"dimension": {"width": w, "height": h}, "video_inputs": [text_scene(&words150())]})
}

#[test]
fn four_k_videos_are_billed_at_their_4k_feature() {
    let builtin = PriceBook::builtin();
    // (path, body, feature, credits with the built-in book, with 4K priced)
    let table = [
        // v3 per second: 66 s at 6/min = 6.6; at 7.5/min = 8.25.
        ("/v3/videos", v3("1080p"), "avatar_iv", 6_600_000, 6_600_000),
        ("/v3/videos", v3("4k"), "avatar_iv_4k", 6_600_000, 8_250_000),
        // v2 in 30 s steps: 66 s → 90 s at 1/min = 1.5; at 1.25/min = 1.875.
        (
            "/v2/video/generate",
            v2(1920, 1080),
            "standard_avatar",
            1_500_000,
            1_500_000,
        ),
        (
            "/v2/video/generate",
            v2(3840, 2160),
            "standard_avatar_4k",
            1_500_000,
            1_875_000,
        ),
        (
            "/v2/video/generate",
            v2(2160, 3840),
            "standard_avatar_4k",
            1_500_000,
            1_875_000,
        ),
        (
            "/v1/video.webm",
            v2(3840, 2160),
            "standard_avatar_4k",
            1_500_000,
            1_875_000,
        ),
    ];
    for (path, body, feature, plain, priced) in &table {
        let a = ent(&builtin, path, body);
        assert_eq!(
            (a.feature.as_str(), a.credits),
            (*feature, *plain),
            "{path} {body}"
        );
        let b = ent(&uhd_book(), path, body);
        assert_eq!(
            (b.feature.as_str(), b.credits),
            (*feature, *priced),
            "{path} {body}"
        );
    }
    // A batch bills each item at its own resolution.
    let batch = json!({"videos": [v3("4k"), v3("720p")]});
    let q = ent(&uhd_book(), "/v3/videos/batches", &batch);
    let features: Vec<&str> = q.jobs.iter().map(|j| j.feature.as_str()).collect();
    assert_eq!(features, ["avatar_iv_4k", "avatar_iv"]);
    // Below enterprise 4K is still refused outright.
    assert_eq!(
        refused(&PAYG, "/v3/videos", v3("4k")),
        (400, "resolution_not_allowed")
    );
}

#[test]
fn a_4k_hold_settles_at_the_4k_price() {
    // A 4K v3 video that really ran 100 s costs 100 s at 7.5/min.
    let cost = settle_cost_in(&uhd_book(), "avatar_iv_4k", Generation::V3, 100_000);
    assert_eq!(cost, Some(12_500_000));
    let plain = settle_cost_in(&uhd_book(), "avatar_iv", Generation::V3, 100_000);
    assert_eq!(plain, Some(10_000_000));
}
