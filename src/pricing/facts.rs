//! Facts about what a request names by id, read before pricing by the
//! proxy (with the org key, cached) and handed in, so pricing stays pure:
//! the media lengths of [`MediaLengths`], the kind and engines of an avatar
//! look ([`looks`]), and a template's scenes with their scripts. A missing fact is
//! priced as before: at the highest rate the request could incur (looks)
//! or at the configured default (templates, media).

use std::collections::HashMap;

use serde_json::Value;

use super::media::MediaLengths;
use crate::catalog::Billable;
use crate::pricing::PriceBook;

mod looks;

pub use looks::{avatar_feature, look_ids, Engine, Look, MAX_LOOKS};

/// Everything read about a request before pricing.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub media: MediaLengths,
    pub looks: HashMap<String, Look>,
    pub templates: HashMap<String, Template>,
    /// Proofreads by id: the translation feature of the mode they were
    /// created with (remembered in the ledger as their resource kind).
    pub proofreads: HashMap<String, &'static str>,
    /// The tenant's learned corrections by feature, ×1000 (empty unless
    /// `pricing.projection.learn`; see `pricing::learn`).
    pub corrections: HashMap<String, u64>,
}

impl Facts {
    pub fn with_media(media: MediaLengths) -> Self {
        Facts {
            media,
            ..Facts::default()
        }
    }
}

/// One scene of a template: its id and script (placeholders unreplaced).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateScene {
    pub id: String,
    pub script: Option<String>,
}

/// A template's scenes in template order and its text variables' defaults
/// (`GET /v3/templates/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Template {
    pub scenes: Vec<TemplateScene>,
    pub defaults: HashMap<String, String>,
}

impl Template {
    /// The template in a `data` object; `None` without scenes.
    pub fn from_data(data: &Value) -> Option<Template> {
        let scenes: Vec<TemplateScene> = data
            .get("scenes")?
            .as_array()?
            .iter()
            .filter_map(|s| {
                Some(TemplateScene {
                    id: s.get("scene_id")?.as_str()?.to_string(),
                    script: s.get("script").and_then(Value::as_str).map(str::to_string),
                })
            })
            .collect();
        if scenes.is_empty() {
            return None;
        }
        let defaults = data
            .get("variables")
            .and_then(Value::as_object)
            .map(|vars| {
                vars.iter()
                    .filter_map(|(k, v)| text_value(v).map(|t| (k.clone(), t)))
                    .collect()
            })
            .unwrap_or_default();
        Some(Template { scenes, defaults })
    }
}

/// A text variable's value: a string, or `properties.content` of a
/// `{"type": "text", …}` variable (the shape templates accept).
pub(crate) fn text_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o
            .get("properties")
            .and_then(|p| p.get("content"))
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    }
}

/// Resource-kind prefix of a proofread; the rest names its mode's feature.
const PROOFREAD_KIND: &str = "proofread:";

/// The resource kind a proofread creation records: its mode as the
/// translation feature it will generate at (`None` for other requests or
/// a body whose mode cannot be read — then pricing refuses it anyway).
pub fn proofread_kind(billable: &Billable, body: &[u8]) -> Option<String> {
    if !matches!(
        billable,
        Billable::V2ProofreadCreate | Billable::V3ProofreadCreate
    ) {
        return None;
    }
    let v: Value = serde_json::from_slice(body).ok()?;
    let feature = match v.get("mode").and_then(Value::as_str) {
        None | Some("fast" | "speed") => super::features::TRANSLATION_FAST,
        Some("quality" | "precision") => super::features::TRANSLATION_QUALITY,
        Some(_) => return None,
    };
    Some(format!("{PROOFREAD_KIND}{feature}"))
}

/// The feature a proofread of resource kind `kind` generates at.
pub fn proofread_feature(kind: &str) -> Option<&'static str> {
    match kind.strip_prefix(PROOFREAD_KIND)? {
        f if f == super::features::TRANSLATION_FAST => Some(super::features::TRANSLATION_FAST),
        f if f == super::features::TRANSLATION_QUALITY => {
            Some(super::features::TRANSLATION_QUALITY)
        }
        _ => None,
    }
}

/// The proofread a generate request names, if any.
pub fn proofread_id(billable: &Billable) -> Option<&str> {
    match billable {
        Billable::V2ProofreadGenerate { proofread_id }
        | Billable::V3ProofreadGenerate { proofread_id } => Some(proofread_id),
        _ => None,
    }
}

/// Whether pricing this request with `book` would use a look or a
/// template read from HeyGen.
pub fn needs_lookup(book: &PriceBook, billable: &Billable, body: &[u8]) -> bool {
    template_id(billable).is_some() || !look_ids(book, billable, body).is_empty()
}

/// The template a request renders, if any.
pub fn template_id(billable: &Billable) -> Option<&str> {
    match billable {
        Billable::V2Template { template_id } | Billable::V3Template { template_id } => {
            Some(template_id)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates_keep_scene_order_scripts_and_text_defaults() {
        let t = Template::from_data(&json!({"scenes": [
            {"scene_id": "s1", "script": "Hi {{name}}"}, {"scene_id": "s2"}],
            "variables": {"name": {"type": "text", "properties": {"content": "there"}},
                          "logo": {"type": "image", "properties": {"url": "https://x"}}}}))
        .unwrap();
        assert_eq!(t.scenes.len(), 2);
        assert_eq!(t.scenes[1].script, None);
        assert_eq!(t.defaults.get("name").map(String::as_str), Some("there"));
        assert!(!t.defaults.contains_key("logo"));
        assert!(Template::from_data(&json!({"scenes": []})).is_none());
    }

    #[test]
    fn proofread_modes_round_trip_through_the_resource_kind() {
        let create = Billable::V3ProofreadCreate;
        let kind = proofread_kind(&create, br#"{"mode": "precision"}"#).unwrap();
        assert_eq!(
            proofread_feature(&kind),
            Some(super::super::features::TRANSLATION_QUALITY)
        );
        let fast = proofread_kind(&create, b"{}").unwrap();
        assert_eq!(
            proofread_feature(&fast),
            Some(super::super::features::TRANSLATION_FAST)
        );
        assert_eq!(proofread_kind(&Billable::V3Video, b"{}"), None);
        assert_eq!(proofread_feature("created"), None);
    }
}
