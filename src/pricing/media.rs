//! Lengths of the media a request points at (narration `audio_url`s,
//! translation source `video_url`s, v3 `{type: "url", url}` inputs), read
//! by the proxy before pricing (the `probe` module, through the egress guard)
//! and handed in here, so pricing stays pure: a URL with a known length is
//! priced at it (`probed`), any other at the configured default. Media named
//! by asset id (`audio_asset_id`, `{type: "asset_id", asset_id}`) is priced
//! at the length the gateway recorded when the file was uploaded through it
//! (`recorded`), else at the default too.

use std::collections::HashMap;

use serde_json::Value;

use super::json::JsonRead;

/// Most URLs one request is probed for (the rest use defaults).
pub const MAX_PROBED_URLS: usize = 8;

/// Most asset ids one request looks up (one ledger query; the rest use
/// defaults). More than URLs: a look-up fetches nothing, and a v2 video
/// may narrate each of its 50 scenes with an uploaded file.
pub const MAX_RECORDED_ASSETS: usize = 64;

/// Where a request's media is: what its length is found by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKey<'a> {
    Url(&'a str),
    Asset(&'a str),
}

/// Media lengths in milliseconds: probed by URL, recorded by asset id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaLengths {
    urls: HashMap<String, u64>,
    assets: HashMap<String, u64>,
}

impl MediaLengths {
    pub fn new() -> Self {
        Self::default()
    }

    /// A URL's probed length.
    pub fn insert(&mut self, url: String, ms: u64) {
        self.urls.insert(url, ms);
    }

    /// An uploaded asset's recorded length.
    pub fn insert_recorded(&mut self, asset_id: String, ms: u64) {
        self.assets.insert(asset_id, ms);
    }

    /// A URL's probed length.
    pub fn get(&self, url: &str) -> Option<u64> {
        self.urls.get(url).copied()
    }

    /// The length of the media at `key` and its quote basis.
    pub fn length(&self, key: MediaKey<'_>) -> Option<(u64, &'static str)> {
        match key {
            MediaKey::Url(u) => self.urls.get(u).map(|ms| (*ms, "probed")),
            MediaKey::Asset(a) => self.assets.get(a).map(|ms| (*ms, "recorded")),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.urls.is_empty() && self.assets.is_empty()
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

/// The media of an input: a plain string (a URL), `{"type": "url", "url"}`
/// or `{"type": "asset_id", "asset_id"}`.
pub(super) fn url_of<V: JsonRead>(v: Option<&V>) -> Option<MediaKey<'_>> {
    let v = v?;
    if let Some(s) = v.as_str() {
        return Some(MediaKey::Url(s));
    }
    match v.member("type")?.as_str()? {
        "url" => v.member("url")?.as_str().map(MediaKey::Url),
        "asset_id" => v.member("asset_id")?.as_str().map(MediaKey::Asset),
        _ => None,
    }
}

/// An asset id given as a plain string (`audio_asset_id`).
pub(super) fn asset_of<V: JsonRead>(v: Option<&V>) -> Option<MediaKey<'_>> {
    v?.as_str().map(MediaKey::Asset)
}

/// The asset ids in a request body whose recorded length may decide its
/// price, at most [`MAX_RECORDED_ASSETS`], sorted: strings at
/// `audio_asset_id`, and `asset_id` of `{"type": "asset_id"}` objects at
/// `audio`, `video` or `source`. (A v2 background's `video_asset_id` loops
/// or freezes to the scene: its length decides nothing.)
pub fn asset_ids(body: &[u8]) -> Vec<String> {
    // Most bodies name no asset: a byte scan spares them a parse.
    if memchr::memmem::find(body, b"asset_id\"").is_none() {
        return Vec::new();
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk_assets(&v, 0, &mut out);
    out.sort();
    out.dedup();
    out.truncate(MAX_RECORDED_ASSETS);
    out
}

fn walk_assets(v: &Value, depth: usize, out: &mut Vec<String>) {
    // Bounded like `walk`; collecting past the cap is wasted work (a body
    // naming that many is priced at the defaults for the rest anyway).
    if depth > 6 || out.len() >= MAX_RECORDED_ASSETS {
        return;
    }
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                match (k.as_str(), child) {
                    ("audio_asset_id", Value::String(s)) if !s.is_empty() => out.push(s.clone()),
                    ("audio" | "video" | "source", Value::Object(_)) => match url_of(Some(child)) {
                        Some(MediaKey::Asset(a)) if !a.is_empty() => out.push(a.to_string()),
                        _ => walk_assets(child, depth + 1, out),
                    },
                    _ => walk_assets(child, depth + 1, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk_assets(x, depth + 1, out)),
        _ => {}
    }
}

#[cfg(test)]
#[path = "media_tests.rs"]
mod tests;
