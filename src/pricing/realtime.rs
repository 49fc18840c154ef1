//! How long a v3 realtime stream of `type: "tts"` or `"audio"` plays
//! (`POST /v3/avatar-realtime`). HeyGen documents no way to read when such
//! a stream ended, and the client's HLS reads do not pass through the
//! gateway, so the sessions module ends it on its idle limit; that limit
//! follows what the stream plays, projected here as the rest of pricing
//! projects lengths (the first minute's hold itself is `rules_v3`'s).
//!
//! A `tts` stream speaks its text at the length TTS and avatar scripts are
//! priced at ([`script_ms`], with the voice speed as avatar scripts read
//! it). An `audio` stream plays its audio, whose length is known only when
//! the proxy read it before pricing (a probed `audio_url`, an upload's
//! recorded length): no default stands in for it, since a default that is
//! too short would cut the stream mid-play. Pure: no I/O, as all pricing.

use super::book::PriceBook;
use super::json::{self, str_opt};
use super::media::MediaLengths;
use super::rules::{audio_key, voice_speed, SPEECH_TEXT_KEYS};
use super::text::script_ms;

/// Projected play length (ms) of the realtime stream `body` starts: its
/// speech for `tts`, its audio's read length for `audio`. `None` when it
/// cannot be projected: another type (`text_stream` plays what is sent to
/// it later), no text or nothing spoken in it, an audio of unknown length,
/// or a body pricing cannot read (a speed out of range, a field of the
/// wrong type); the caller then keeps its usual limit.
pub fn play_ms(book: &PriceBook, body: &[u8], media: &MediaLengths) -> Option<u64> {
    let arena = bumpalo::Bump::new();
    let o = json::parse_object(body, &arena).ok()?;
    match str_opt(&o, "type", "").ok()?? {
        "tts" => {
            let text = SPEECH_TEXT_KEYS
                .iter()
                .find_map(|k| str_opt(&o, k, "").ok().flatten())?;
            let speed = voice_speed(&o, "").ok()?;
            let ms = script_ms(text, book.projection(), speed);
            // Text that speaks nothing (blank, punctuation) projects no
            // length: the stream's length is not known from it.
            (ms > 0).then_some(ms)
        }
        "audio" => media.length(audio_key(&o)?).map(|(ms, _)| ms),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::play_ms;
    use crate::pricing::text::script_ms;
    use crate::pricing::{MediaLengths, PriceBook};

    fn book() -> PriceBook {
        PriceBook::builtin()
    }

    fn play(body: Value, media: &MediaLengths) -> Option<u64> {
        play_ms(&book(), body.to_string().as_bytes(), media)
    }

    /// A `tts` stream plays its text at the length a script of it is
    /// priced at (150 words a minute × 1.1 by default), at its speed.
    #[test]
    fn a_tts_stream_plays_its_text_as_scripts_are_projected() {
        let none = MediaLengths::new();
        let text = vec!["word"; 20].join(" ");
        let expected = script_ms(&text, book().projection(), 1000);
        assert_eq!(expected, 8_800, "20 words at 150 wpm × 1.1");
        let body = json!({"type": "tts", "avatar_id": "a", "voice_id": "v", "text": text});
        assert_eq!(play(body, &none), Some(expected));
        let slow = json!({"type": "tts", "text": text, "voice_settings": {"speed": 0.5}});
        assert_eq!(play(slow, &none), Some(2 * expected));
        let ssml = json!({"type": "tts", "input_text": "Hi <break time=\"3s\"/> there"});
        assert!(play(ssml, &none).is_some_and(|ms| ms > 3_000));
    }

    /// Nothing to project: the caller keeps its usual idle limit.
    #[test]
    fn streams_with_nothing_projectable_have_no_play_length() {
        let none = MediaLengths::new();
        for body in [
            json!({"type": "tts", "avatar_id": "a", "voice_id": "v"}),
            json!({"type": "tts", "text": "   "}),
            json!({"type": "tts", "text": 42}),
            json!({"type": "tts", "text": "hello", "speed": 9}),
            json!({"type": "text_stream", "text": "hello"}),
            json!({"type": "audio", "audio_url": "https://cdn.example/a.mp3"}),
            json!({"type": "audio"}),
            json!({"text": "hello"}),
        ] {
            assert_eq!(play(body.clone(), &none), None, "{body}");
        }
        assert_eq!(play_ms(&book(), b"not json", &none), None);
    }

    /// An `audio` stream plays its audio for the length the proxy read:
    /// probed by URL or recorded at upload.
    #[test]
    fn an_audio_stream_plays_its_read_length() {
        let mut media = MediaLengths::new();
        media.insert("https://cdn.example/a.mp3".into(), 200_000);
        media.insert_recorded("asset1".into(), 45_000);
        let url = json!({"type": "audio", "audio_url": "https://cdn.example/a.mp3"});
        assert_eq!(play(url, &media), Some(200_000));
        let typed = json!({"type": "audio", "audio": {"type": "asset_id", "asset_id": "asset1"}});
        assert_eq!(play(typed, &media), Some(45_000));
        let id = json!({"type": "audio", "audio_asset_id": "asset1"});
        assert_eq!(play(id, &media), Some(45_000));
    }
}
