//! Realtime streams' idle limits as the meter applies them: a `tts` stream
//! ends at its projected speech plus the grace (charged so), one longer
//! than the configured limit plays on past it, and a call on it restarts
//! the clock; an `audio` stream of unknown length keeps the configured
//! 120 s; a `text_stream` HeyGen's 30 s. On SQLite and on PostgreSQL.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::clock::ManualClock;
use crate::ledger::{HoldState, Ledger};
use crate::pricing::MediaLengths;
use crate::sessions::test_rig::{
    at, hold, postgres, row, sqlite, start_with, state_with_upstream, t0, SECOND,
};
use crate::sessions::{before_call, meter};
use crate::state::AppState;

/// A state metering on `ledger`, HeyGen a mock (the gateway's stops are
/// read from its request log).
struct Rig {
    state: AppState,
    clock: Arc<ManualClock>,
    mock: heygen_mock::MockHeygen,
    _dir: tempfile::TempDir,
}

impl Rig {
    async fn new(ledger: Arc<dyn Ledger>, clock: Arc<ManualClock>) -> Rig {
        let dir = tempfile::tempdir().expect("dir");
        let mock = heygen_mock::MockHeygen::start(heygen_mock::MockConfig::new("sk_org"))
            .await
            .expect("mock");
        let state = state_with_upstream(&dir, ledger, clock.clone(), &mock.url());
        Rig {
            state,
            clock,
            mock,
            _dir: dir,
        }
    }

    /// Starts stream `id` with `body`; its first minute's hold id.
    async fn start(&self, id: &str, body: Value, media: &MediaLengths) -> String {
        start_with(&self.state, id, body.to_string().as_bytes(), media).await
    }

    /// Ticks the meter at `secs`.
    async fn tick_at(&self, secs: i64) {
        at(&self.clock, secs);
        meter::tick(&self.state).await;
    }

    async fn live(&self, id: &str) -> bool {
        row(&self.state, id).await.is_live()
    }

    /// The gateway's stops of `id` HeyGen received.
    fn stops(&self, id: &str) -> usize {
        let path = format!("/v3/avatar-realtime/{id}");
        self.mock.control().requests_to(&path).len()
    }

    /// `id` was stopped as idle at `secs` and charged to then, once.
    async fn assert_idle_stop_at(&self, id: &str, secs: i64) {
        let s = row(&self.state, id).await;
        let end = (t0() + chrono::Duration::seconds(secs)).timestamp_micros();
        assert_eq!(
            (s.state.as_str(), s.stop_reason.as_deref(), s.stopped_us),
            ("stopped", Some("idle"), Some(end)),
            "{id}"
        );
        assert_eq!(s.captured, secs * SECOND, "{id} charged to {secs} s");
        assert_eq!(self.stops(id), 1, "{id} stopped at HeyGen once");
    }
}

fn words(n: usize) -> String {
    vec!["word"; n].join(" ")
}

/// 20 words at 150 a minute × 1.1 (the built-in projection) is 8.8 s of
/// speech: 9 s + 30 s grace = 39 s, not the configured 120 s.
async fn a_short_tts_stream_ends_at_its_speech_plus_grace(rig: Rig) {
    let body = json!({"type": "tts", "avatar_id": "a", "voice_id": "v", "text": words(20)});
    let first = rig.start("short", body, &MediaLengths::new()).await;
    assert_eq!(row(&rig.state, "short").await.idle_s, 39);
    rig.tick_at(38).await;
    assert!(rig.live("short").await, "still playing at 38 s");
    rig.tick_at(39).await;
    rig.assert_idle_stop_at("short", 39).await;
    assert_eq!(
        hold(&rig.state, &first).await,
        (HoldState::Captured, 39 * SECOND)
    );
}

/// 400 words is 176 s of speech: the stream plays on past the configured
/// 120 s and ends at 206 s. Its twin, polled at 100 s (a call on the
/// session), ends 206 s after that call.
async fn a_long_tts_script_is_not_stopped_at_the_configured_limit(rig: Rig) {
    let body = json!({"type": "tts", "avatar_id": "a", "voice_id": "v", "text": words(400)});
    let none = MediaLengths::new();
    rig.start("long", body.clone(), &none).await;
    rig.start("polled", body, &none).await;
    assert_eq!(row(&rig.state, "long").await.idle_s, 206);
    rig.tick_at(58).await;
    at(&rig.clock, 100);
    let polled = ["polled".to_string()];
    before_call(&rig.state, &polled, false)
        .await
        .expect("a call on a live stream");
    for secs in [121, 180, 205] {
        rig.tick_at(secs).await;
        assert!(rig.live("long").await, "still playing at {secs} s");
    }
    assert_eq!(rig.stops("long"), 0, "not stopped mid-stream");
    rig.tick_at(206).await;
    rig.assert_idle_stop_at("long", 206).await;
    rig.tick_at(305).await;
    assert!(rig.live("polled").await, "its clock restarted at 100 s");
    rig.tick_at(306).await;
    rig.assert_idle_stop_at("polled", 306).await;
}

/// An audio stream whose length the gateway did not learn keeps the
/// configured limit (120 s); one whose length was read plays it out.
async fn an_audio_stream_of_unknown_length_keeps_the_configured_limit(rig: Rig) {
    let url = "https://cdn.example/speech.mp3";
    let body = json!({"type": "audio", "avatar_id": "a", "audio_url": url});
    rig.start("unknown", body.clone(), &MediaLengths::new())
        .await;
    let mut probed = MediaLengths::new();
    probed.insert(url.to_string(), 200_000);
    rig.start("known", body, &probed).await;
    assert_eq!(row(&rig.state, "unknown").await.idle_s, 120);
    assert_eq!(row(&rig.state, "known").await.idle_s, 230);
    rig.tick_at(119).await;
    assert!(rig.live("unknown").await, "live at 119 s");
    rig.tick_at(120).await;
    rig.assert_idle_stop_at("unknown", 120).await;
    assert!(rig.live("known").await, "a 200 s audio plays on");
}

/// A `text_stream` keeps HeyGen's own 30 s, text or not.
async fn a_text_stream_keeps_heygens_30_s(rig: Rig) {
    let body = json!({"type": "text_stream", "avatar_id": "a", "text": words(400)});
    rig.start("stream", body, &MediaLengths::new()).await;
    assert_eq!(row(&rig.state, "stream").await.idle_s, 30);
    rig.tick_at(29).await;
    assert!(rig.live("stream").await);
    rig.tick_at(30).await;
    rig.assert_idle_stop_at("stream", 30).await;
}

/// Each case as a test on SQLite and one on PostgreSQL.
macro_rules! on_both {
    ($case:ident, $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            let dir = tempfile::tempdir().expect("dir");
            let clock = Arc::new(ManualClock::new(t0()));
            let ledger = sqlite(&dir, clock.clone()).await;
            $case(Rig::new(ledger, clock).await).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            let clock = Arc::new(ManualClock::new(t0()));
            let (ledger, _) = postgres(clock.clone()).await;
            $case(Rig::new(ledger, clock).await).await;
        }
    };
}

on_both!(
    a_short_tts_stream_ends_at_its_speech_plus_grace,
    on_sqlite_a_short_tts_stream_ends_at_its_speech_plus_grace,
    on_postgres_a_short_tts_stream_ends_at_its_speech_plus_grace
);
on_both!(
    a_long_tts_script_is_not_stopped_at_the_configured_limit,
    on_sqlite_a_long_tts_script_is_not_stopped_at_the_configured_limit,
    on_postgres_a_long_tts_script_is_not_stopped_at_the_configured_limit
);
on_both!(
    an_audio_stream_of_unknown_length_keeps_the_configured_limit,
    on_sqlite_an_audio_stream_of_unknown_length_keeps_the_configured_limit,
    on_postgres_an_audio_stream_of_unknown_length_keeps_the_configured_limit
);
on_both!(
    a_text_stream_keeps_heygens_30_s,
    on_sqlite_a_text_stream_keeps_heygens_30_s,
    on_postgres_a_text_stream_keeps_heygens_30_s
);

/// The limit of a stream of a given play length: whole seconds plus the
/// grace, within HeyGen's 30 s to 1 h.
#[test]
fn play_limits_round_up_add_the_grace_and_stay_within_heygens_bounds() {
    use super::play_limit;
    assert_eq!(play_limit(1), 31);
    assert_eq!(play_limit(8_800), 39);
    assert_eq!(play_limit(176_000), 206);
    assert_eq!(play_limit(3_570_001), 3600);
    assert_eq!(play_limit(u64::MAX), 3600);
}
