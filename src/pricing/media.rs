//! Lengths of the media a request points at (narration `audio_url`s,
//! translation source `video_url`s, v3 `{type: "url", url}` inputs), read
//! by the proxy before pricing (the `probe` module, through the egress guard)
//! and handed in here, so pricing stays pure: a URL with a known length is
//! priced at it (`probed`), any other at the configured default.

use std::collections::HashMap;

use serde_json::Value;

/// Most URLs one request is probed for (the rest use defaults).
pub const MAX_PROBED_URLS: usize = 8;

/// Media lengths by URL, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaLengths(HashMap<String, u64>);

impl MediaLengths {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, url: String, ms: u64) {
        self.0.insert(url, ms);
    }

    pub fn get(&self, url: &str) -> Option<u64> {
        self.0.get(url).copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The media URLs in a request body whose length decides its price, at
/// most [`MAX_PROBED_URLS`], sorted: strings at `audio_url` /
/// `video_url`, and `url` of `{"type": "url"}` objects at `audio`, `video`
/// or `source`.
pub fn urls(body: &[u8]) -> Vec<String> {
    // Most bodies name no media: a byte scan spares them a second parse.
    if !body.windows(4).any(|w| w == b"url\"") {
        return Vec::new();
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(&v, 0, &mut out);
    out.sort();
    out.dedup();
    out.truncate(MAX_PROBED_URLS);
    out
}

fn web(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

fn walk(v: &Value, depth: usize, out: &mut Vec<String>) {
    // Request bodies nest a few levels (scenes → voice); deeper is not media.
    if depth > 6 || out.len() >= MAX_PROBED_URLS {
        return;
    }
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                match (k.as_str(), child) {
                    ("audio_url" | "video_url", Value::String(s)) if web(s) => out.push(s.clone()),
                    ("audio" | "video" | "source", Value::Object(m))
                        if m.get("type").and_then(Value::as_str) == Some("url") =>
                    {
                        if let Some(s) = m.get("url").and_then(Value::as_str).filter(|s| web(s)) {
                            out.push(s.to_string());
                        }
                    }
                    _ => walk(child, depth + 1, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, depth + 1, out)),
        _ => {}
    }
}

/// The URL of a `{"type": "url", "url": …}` input object, or a plain string.
pub(super) fn url_of(v: Option<&Value>) -> Option<&str> {
    match v? {
        Value::String(s) => Some(s.as_str()),
        Value::Object(m) if m.get("type").and_then(Value::as_str) == Some("url") => {
            m.get("url").and_then(Value::as_str)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_urls_that_decide_a_price() {
        let body = serde_json::json!({
            "video_inputs": [
                {"voice": {"type": "audio", "audio_url": "https://x/a.mp3"}},
                {"voice": {"type": "text", "input_text": "hi"}},
            ],
            "video": {"type": "url", "url": "https://x/src.mp4"},
            "audio": {"type": "asset_id", "asset_id": "a1"},
            "callback_url": "https://x/hook",
            "video_url": "ftp://nope",
        });
        assert_eq!(
            urls(body.to_string().as_bytes()),
            ["https://x/a.mp3", "https://x/src.mp4"]
        );
        assert!(urls(b"not json").is_empty());
        let many: Vec<Value> = (0..20)
            .map(|i| serde_json::json!({"audio_url": format!("https://x/{i}.mp3")}))
            .collect();
        assert_eq!(
            urls(Value::Array(many).to_string().as_bytes()).len(),
            MAX_PROBED_URLS
        );
    }
}

#[cfg(test)]
mod quote_tests {
    use super::*;
    use crate::catalog::Billable;
    use crate::pricing::{quote, quote_with_media, PlanPolicy, PriceBook, TestMode, Tier};

    #[test]
    fn a_probed_length_replaces_the_default_and_says_so() {
        let plan = PlanPolicy {
            tier: Tier::PayAsYouGo,
            max_video_seconds: 1800,
            test_mode: TestMode::Billed,
        };
        let book = PriceBook::builtin();
        let body = serde_json::json!({"video_inputs": [
            {"voice": {"type": "audio", "audio_url": "https://x/a.mp3"}},
            {"voice": {"type": "silence", "duration": 2.0}},
        ]})
        .to_string();
        let plain = quote(&book, &plan, &Billable::StudioVideo, body.as_bytes()).unwrap();
        assert_eq!(plain.scenes[0].basis, "audio_default");
        let mut media = MediaLengths::new();
        media.insert("https://x/a.mp3".into(), 7_300);
        let q = quote_with_media(
            &book,
            &plan,
            &Billable::StudioVideo,
            body.as_bytes(),
            &media,
        )
        .unwrap();
        assert_eq!(
            (q.scenes[0].basis, q.scenes[0].projected_ms),
            ("probed", 7_300)
        );
        assert!(q.credits < plain.credits);
        // A script longer than its audio still wins (the longer of the two).
        let both = serde_json::json!({"type": "avatar", "avatar_id": "a", "voice_id": "v",
            "audio_url": "https://x/a.mp3", "script": "word ".repeat(200)})
        .to_string();
        let q =
            quote_with_media(&book, &plan, &Billable::V3Video, both.as_bytes(), &media).unwrap();
        assert_eq!(q.scenes[0].basis, "text");
    }
}
