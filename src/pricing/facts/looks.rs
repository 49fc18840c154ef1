//! Avatar kind and engine: which of the four avatar-video features a scene
//! is billed at — a video avatar (`standard_avatar` at Avatar III,
//! `avatar_iv` at IV/V) or a photo avatar (`talking_photo`,
//! `photo_avatar_iv`) — from the engine the request names and the look
//! HeyGen describes (`GET /v3/avatars/looks/{id}`), and which looks are
//! worth reading: only those whose answer could change the price. Whatever
//! is not known is priced at the dearest feature it could be.

use serde_json::Value;

use crate::catalog::Billable;
use crate::money::Micros;
use crate::pricing::features::{AVATAR_IV, PHOTO_AVATAR_IV, STANDARD_AVATAR, TALKING_PHOTO};
use crate::pricing::PriceBook;

/// Most looks one request is read for (batches name many; the rest are
/// priced at the dearest feature they could be).
pub const MAX_LOOKS: usize = 8;

/// A v3 avatar look (`GET /v3/avatars/looks/{id}`). v2 avatar ids are look
/// ids too, so v2 scenes are read the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Look {
    /// `studio_avatar`, `digital_twin` or `photo_avatar`.
    pub avatar_type: String,
    /// `supported_api_engines`: `avatar_v`, `avatar_iv`, `avatar_iii`.
    pub engines: Vec<String>,
}

impl Look {
    /// The look in a `data` object (the look itself, or under `avatar_item`).
    pub fn from_data(data: &Value) -> Option<Look> {
        let look = data.get("avatar_item").unwrap_or(data);
        let avatar_type = look.get("avatar_type")?.as_str()?.to_string();
        let engines = look
            .get("supported_api_engines")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        Some(Look {
            avatar_type,
            engines,
        })
    }

    /// Whether a video without `engine` can only render with Avatar III
    /// (the look supports neither IV nor V): then it is billed at III.
    pub fn only_avatar_iii(&self) -> bool {
        !self.engines.is_empty()
            && self
                .engines
                .iter()
                .all(|e| e != "avatar_iv" && e != "avatar_v")
    }

    /// Whether the look is a photo avatar; `None` for a type HeyGen has
    /// added since (priced at the dearer of the two kinds).
    pub fn photo(&self) -> Option<bool> {
        match self.avatar_type.as_str() {
            "photo_avatar" => Some(true),
            "digital_twin" | "studio_avatar" => Some(false),
            _ => None,
        }
    }
}

/// The engine a scene names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Avatar III: v3 `engine: avatar_iii`, v2 without `use_avatar_iv_model`.
    Iii,
    /// Avatar IV or V: v3 `avatar_iv` / `avatar_v`, v2 `use_avatar_iv_model`.
    Iv,
    /// None named (v3): the look's default — III when the look supports
    /// nothing newer, else IV.
    LookDefault,
}

impl Engine {
    /// A v3 `engine.type`; `None` for a value pricing refuses.
    pub fn of_v3(engine_type: Option<&str>) -> Option<Engine> {
        match engine_type {
            None => Some(Engine::LookDefault),
            Some("avatar_iii") => Some(Engine::Iii),
            Some("avatar_iv" | "avatar_v") => Some(Engine::Iv),
            Some(_) => None,
        }
    }
}

fn feature(photo: bool, iv: bool) -> &'static str {
    match (photo, iv) {
        (false, false) => STANDARD_AVATAR,
        (false, true) => AVATAR_IV,
        (true, false) => TALKING_PHOTO,
        (true, true) => PHOTO_AVATAR_IV,
    }
}

/// Every feature an avatar scene could be billed at, given what is known
/// of its look; video avatars and IV first, so that on equal prices the
/// name is the one the gateway used before photo avatars were priced.
fn possible(look: Option<&Look>, engine: Engine) -> Vec<&'static str> {
    let tiers: &[bool] = match (engine, look) {
        (Engine::Iii, _) => &[false],
        (Engine::Iv, _) => &[true],
        (Engine::LookDefault, Some(l)) if l.only_avatar_iii() => &[false],
        (Engine::LookDefault, Some(_)) => &[true],
        (Engine::LookDefault, None) => &[true, false],
    };
    let kinds: &[bool] = match look.and_then(Look::photo) {
        Some(true) => &[true],
        Some(false) => &[false],
        None => &[false, true],
    };
    tiers
        .iter()
        .flat_map(|&iv| kinds.iter().map(move |&photo| feature(photo, iv)))
        .collect()
}

fn rate(book: &PriceBook, feature: &str) -> Micros {
    book.price(feature).map(|p| p.micros).unwrap_or(0)
}

/// The feature an avatar scene is billed at: decided by the look when it
/// is known, else the dearest it could be (never below the video-avatar
/// rate of the engine).
pub fn avatar_feature(book: &PriceBook, look: Option<&Look>, engine: Engine) -> &'static str {
    possible(look, engine)
        .into_iter()
        .fold(None, |best: Option<&'static str>, f| match best {
            Some(b) if rate(book, b) >= rate(book, f) => Some(b),
            _ => Some(f),
        })
        .unwrap_or(AVATAR_IV)
}

/// What pricing will make of one scene of a video.
enum Scene<'a> {
    /// A feature no look changes.
    Fixed(&'static str),
    /// An avatar scene: its look id (when named) and engine.
    Avatar { id: Option<&'a str>, engine: Engine },
}

/// The look ids of an avatar-video request (v2 `video_inputs`, v3 videos,
/// studio scenes and batch items) whose look could change the price with
/// this price book, at most [`MAX_LOOKS`], sorted. A video is billed at its
/// dearest scene, so a look is only read when reading it could price the
/// video lower than the worst case — with the built-in prices (photo and
/// video avatars alike per engine) only v3 videos without `engine` qualify.
pub fn look_ids(book: &PriceBook, billable: &Billable, body: &[u8]) -> Vec<String> {
    let v2 = matches!(billable, Billable::StudioVideo | Billable::WebmVideo);
    let v3 = matches!(billable, Billable::V3Video | Billable::V3VideoBatch);
    if !(v2 || v3) || !body.windows(9).any(|w| w == b"avatar_id") {
        return Vec::new();
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let videos: Vec<Vec<Scene<'_>>> = if v2 {
        vec![v2_scenes(&v)]
    } else {
        match v.get("videos").or_else(|| v.get("items")) {
            Some(Value::Array(a)) => a.iter().map(v3_scenes).collect(),
            _ => vec![v3_scenes(&v)],
        }
    };
    let mut out = Vec::new();
    for scenes in &videos {
        worth_reading(book, scenes, &mut out);
    }
    out.sort();
    out.dedup();
    out.truncate(MAX_LOOKS);
    out
}

/// Pushes the ids of `scenes` whose look could change the video's price:
/// the scene's possible rates differ, and the highest is above the least
/// every other scene is sure to cost (the video is billed at its dearest).
fn worth_reading(book: &PriceBook, scenes: &[Scene<'_>], out: &mut Vec<String>) {
    let range = |s: &Scene<'_>| -> (Micros, Micros) {
        match s {
            Scene::Fixed(f) => (rate(book, f), rate(book, f)),
            Scene::Avatar { id: None, engine } => {
                let r = rate(book, avatar_feature(book, None, *engine));
                (r, r)
            }
            Scene::Avatar { engine, .. } => {
                let rates = possible(None, *engine).into_iter().map(|f| rate(book, f));
                rates.fold((Micros::MAX, 0), |(lo, hi), r| (lo.min(r), hi.max(r)))
            }
        }
    };
    let ranges: Vec<(Micros, Micros)> = scenes.iter().map(range).collect();
    for (i, s) in scenes.iter().enumerate() {
        let Scene::Avatar { id: Some(id), .. } = s else {
            continue;
        };
        let (lo, hi) = ranges[i];
        let sure = ranges
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, r)| r.0)
            .max()
            .unwrap_or(0);
        if lo < hi && sure < hi {
            out.push((*id).to_string());
        }
    }
}

/// v2 `video_inputs[]`: `talking_photo` is a photo avatar whatever its id;
/// `avatar` (or no type) names a look; no character is priced as an avatar
/// of unknown look.
fn v2_scenes(v: &Value) -> Vec<Scene<'_>> {
    let inputs = v.get("video_inputs").and_then(Value::as_array);
    inputs
        .into_iter()
        .flatten()
        .filter_map(|scene| {
            let Some(c) = scene.get("character") else {
                return Some(Scene::Avatar {
                    id: None,
                    engine: Engine::Iii,
                });
            };
            let iv = c.get("use_avatar_iv_model").and_then(Value::as_bool) == Some(true);
            let engine = if iv { Engine::Iv } else { Engine::Iii };
            match c.get("type").and_then(Value::as_str) {
                Some("talking_photo") => Some(Scene::Fixed(feature(true, iv))),
                None | Some("avatar") => Some(Scene::Avatar {
                    id: c.get("avatar_id").and_then(Value::as_str),
                    engine,
                }),
                // Refused by pricing: nothing to read.
                Some(_) => None,
            }
        })
        .collect()
}

/// One v3 video payload (or batch item): an `avatar` video, or the scenes
/// of a `studio` video. Other types are priced without a look.
fn v3_scenes(item: &Value) -> Vec<Scene<'_>> {
    let kind = match item.get("type").and_then(Value::as_str) {
        Some(t) => t,
        None if item.get("avatar_id").is_some() => "avatar",
        None => return Vec::new(),
    };
    match kind {
        "avatar" => v3_avatar(item).into_iter().collect(),
        "studio" => item
            .get("scenes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| {
                let input = s.get("input");
                let avatar_video = match s.get("type").and_then(Value::as_str) {
                    Some(t) => t == "avatar_video",
                    None => input.is_some(),
                };
                match input {
                    Some(i)
                        if avatar_video
                            && matches!(
                                i.get("type").and_then(Value::as_str),
                                None | Some("avatar")
                            ) =>
                    {
                        v3_avatar(i)
                    }
                    _ => Some(Scene::Fixed(AVATAR_IV)),
                }
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn v3_avatar(o: &Value) -> Option<Scene<'_>> {
    let engine_type = o.get("engine").and_then(|e| e.get("type"));
    let engine = match engine_type {
        None => Engine::LookDefault,
        Some(t) => Engine::of_v3(Some(t.as_str()?))?,
    };
    Some(Scene::Avatar {
        id: o.get("avatar_id").and_then(Value::as_str),
        engine,
    })
}
