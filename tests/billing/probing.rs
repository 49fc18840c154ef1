//! Pricing by probed length (issue 11): a narration `audio_url` or a
//! translation's source video is read through the egress guard before
//! pricing, so the hold is its real length, not the configured default; a
//! file that cannot be read is held at the default.

use serde_json::json;

use crate::common::*;
use crate::Rig;

fn projected(r: &TestResponse) -> f64 {
    r.header("x-gateway-credits-projected")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no projection: {}", r.text()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn narration_and_source_videos_are_held_at_their_probed_length() {
    // The mock serves its files on loopback, which ops must allow.
    let rig = Rig::start(|c| c.set("egress", "allow_cidrs", "[\"127.0.0.0/8\"]")).await;
    let clip = |ms: u64| format!("{}/media/clip-{ms}.mp4", rig.mock.url());
    let v3 = |url: String| json!({"type": "avatar", "avatar_id": "a", "voice_id": "v", "audio_url": url});

    // v3 Avatar IV bills per second: 7.3 s of narration is 8 s, against
    // the 180 s default for audio of unknown length.
    let probed = rig.post("/v3/videos", &v3(clip(7_300))).await;
    assert_eq!(probed.status, 200, "{}", probed.text());
    let unreadable = rig
        .post(
            "/v3/videos",
            &v3(format!("{}/media/missing.mp4", rig.mock.url())),
        )
        .await;
    assert_eq!(unreadable.status, 200, "{}", unreadable.text());
    let (p, d) = (projected(&probed), projected(&unreadable));
    assert!(
        (p * 180.0 - d * 8.0).abs() < 1e-6,
        "probed {p} vs default {d}"
    );
    // The quote endpoint reads the same facts: it shows the probed price.
    let quote = rig.quote("POST", "/v3/videos", &v3(clip(7_300))).await;
    assert_eq!(
        quote["credits"].as_str(),
        probed.header("x-gateway-credits-projected")
    );
    assert_eq!(quote["quote"]["scenes"][0]["basis"], "probed", "{quote}");

    // A v2 translation of a 60 s source: 60 s per language, not 300 s.
    let tr = |url: String| json!({"video_url": url, "output_languages": ["French", "German"]});
    let short = rig.post("/v2/video_translate", &tr(clip(60_000))).await;
    let unknown = rig
        .post(
            "/v2/video_translate",
            &tr(format!("{}/media/none.mp4", rig.mock.url())),
        )
        .await;
    let (s, u) = (projected(&short), projected(&unknown));
    assert!((s * 5.0 - u).abs() < 1e-6, "60 s vs 300 s: {s} vs {u}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_on_a_private_address_is_not_fetched_and_priced_at_the_default() {
    // Without an allow list the egress guard refuses loopback: no fetch.
    let rig = Rig::start(|c| c).await;
    let url = format!("{}/media/clip-7300.mp4", rig.mock.url());
    let body = json!({"type": "avatar", "avatar_id": "a", "voice_id": "v", "audio_url": url});
    let r = rig.post("/v3/videos", &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(rig.mock.requests_to("/media/clip-7300.mp4").is_empty());
    let quote = rig.quote("POST", "/v3/videos", &body).await;
    assert_eq!(
        r.header("x-gateway-credits-projected"),
        quote["credits"].as_str(),
        "the default, as an unprobed quote: {quote}"
    );
}
