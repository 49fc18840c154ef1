//! A v3 realtime `tts` or `audio` stream plays its text or audio and ends,
//! and HeyGen says nowhere when: the gateway ends it at what it plays plus
//! a 30 s grace after its last call, projected from the start request as
//! pricing projects speech and media. A short tts stream is charged that,
//! not the configured 120 s idle limit; an audio stream of probed length
//! plays out past 120 s. Realtime: 3 credits/min, per second.

use serde_json::json;

use super::sessions::{at, live_ids, metered, start_stream};
use crate::common::*;
use crate::{manual_clock, Rig, SETTLE_WAIT};

const T0: &str = super::sessions::T0;

/// A gateway metering every second on a manual clock at [`T0`], alpha
/// with `daily = 100`, the ledger on `store` (SQLite when `None`), the
/// mock's media on loopback probed.
async fn rig(store: Option<String>) -> (Rig, std::sync::Arc<heygen_gateway::clock::ManualClock>) {
    let clock = manual_clock(T0);
    let rig = Rig::start_with_clock(
        |c| {
            let c = metered(c).tenant_budgets("alpha", "daily = 100").set(
                "egress",
                "allow_cidrs",
                "[\"127.0.0.0/8\"]",
            );
            match &store {
                Some(url) => c.set("store", "url", &format!("{url:?}")),
                None => c,
            }
        },
        clock.clone(),
    )
    .await;
    (rig, clock)
}

/// Once alpha has no live session and nothing held, what its day spent
/// (credits): every minute of its streams, captured.
async fn spent_once_ended(rig: &Rig) -> f64 {
    eventually_async(
        || async { live_ids(rig).await.is_empty() && rig.credits("alpha", "daily").await.0 == "0" },
        SETTLE_WAIT,
    )
    .await;
    let (_, spent, _) = rig.credits("alpha", "daily").await;
    spent.parse().unwrap_or_else(|_| panic!("spent: {spent}"))
}

/// Whether `stream` is still metered.
async fn live(rig: &Rig, stream: &str) -> bool {
    live_ids(rig).await.iter().any(|id| id == stream)
}

/// The gateway's own stops of `stream` (with the org key) HeyGen received.
fn gateway_stops(rig: &Rig, stream: &str) -> usize {
    let path = format!("/v3/avatar-realtime/{stream}");
    rig.mock
        .requests_to(&path)
        .iter()
        .filter(|r| r.headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(ORG_KEY))
        .count()
}

/// Waits for two whole passes of the gateway's meter at the current
/// (manual) time.
async fn let_the_meter_tick(rig: &Rig) {
    await_meter_passes(&[rig.gw.admin_addr], 2).await;
}

/// 20 words is 8.8 s of speech at the built-in 150 words a minute × 1.1:
/// the stream ends 9 + 30 = 39 s after its start, 1.95 credits, and the
/// gateway stops it at HeyGen.
async fn short_tts_stream(store: Option<String>) {
    let (rig, clock) = rig(store).await;
    let text = vec!["word"; 20].join(" ");
    let body = json!({"type": "tts", "avatar_id": "a", "voice_id": "v", "text": text});
    let stream = start_stream(&rig, body).await;
    at(&clock, 38);
    let_the_meter_tick(&rig).await;
    assert!(live(&rig, &stream).await, "playing at 38 s");
    at(&clock, 45);
    let charged = spent_once_ended(&rig).await;
    assert!(
        (charged - 1.95).abs() < 1e-9,
        "39 s at 3/min, not 120 s: {charged}"
    );
    eventually(|| gateway_stops(&rig, &stream) == 1, SETTLE_WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_tts_stream_is_charged_its_speech_plus_grace() {
    short_tts_stream(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_short_tts_stream_is_charged_its_speech_plus_grace() {
    let url = crate::pg::database().await;
    short_tts_stream(Some(url)).await;
}

/// The stream's 200 s audio, probed through the egress guard before
/// pricing, plays out: still live past the configured 120 s, ended at
/// 230 s (11.5 credits). An audio the gateway cannot read keeps 120 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_realtime_audio_stream_plays_out_its_probed_length() {
    let (rig, clock) = rig(None).await;
    let audio = format!("{}/media/clip-200000.mp4", rig.mock.url());
    let body = json!({"type": "audio", "avatar_id": "a", "audio_url": audio});
    let stream = start_stream(&rig, body).await;
    at(&clock, 125);
    let_the_meter_tick(&rig).await;
    assert!(live(&rig, &stream).await, "playing at 125 s");
    assert_eq!(gateway_stops(&rig, &stream), 0, "not stopped at 120 s");
    at(&clock, 240);
    let charged = spent_once_ended(&rig).await;
    assert!((charged - 11.5).abs() < 1e-9, "230 s at 3/min: {charged}");
    eventually(|| gateway_stops(&rig, &stream) == 1, SETTLE_WAIT).await;

    let missing = format!("{}/media/missing.mp4", rig.mock.url());
    let body = json!({"type": "audio", "avatar_id": "a", "audio_url": missing});
    let unknown = start_stream(&rig, body).await;
    at(&clock, 240 + 119);
    let_the_meter_tick(&rig).await;
    assert!(live(&rig, &unknown).await, "live at 119 s");
    at(&clock, 240 + 125);
    let charged = spent_once_ended(&rig).await;
    assert!((charged - 11.5 - 6.0).abs() < 1e-9, "plus 120 s: {charged}");
}
