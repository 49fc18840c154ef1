//! Template renders (`POST /v2/template/{id}/generate`, `POST
//! /v3/templates/{id}`) priced from the template itself when it was read:
//! each rendered scene (the request's `scene_ids`, repeats counted, or all
//! scenes in template order) is projected from its script with the
//! request's text variables (else the template's defaults) put in for the
//! `{{name}}` placeholders. A scene without a script is held at the
//! configured template default shared across the template's scenes (at
//! least 10 s). A template that could not be read is held at the plan's
//! longest job: the most HeyGen could render from it, so the hold errs
//! high (by at most that length) and never below the bill.

use std::collections::HashMap;

use super::draft::{Ctx, DraftJob, DraftScene};
use super::facts::Template;
use super::features::TEMPLATE;
use super::json::{arr_opt, obj_opt, Obj, Value};
use super::text::script_ms;
use super::PricingError;

/// The shortest hold of a scene whose length the template does not say.
const MIN_UNSCRIPTED_SCENE_MS: u64 = 10_000;
/// Speed 1.0 in thousandths (templates set no speed in the request).
const SPEED_ONE: u64 = 1000;

/// The job of a template render.
pub(super) fn job(ctx: &Ctx<'_>, template_id: &str, o: &Obj<'_>) -> Result<DraftJob, PricingError> {
    let default_ms = ctx.proj().default_template_ms;
    let Some(t) = ctx.facts.templates.get(template_id) else {
        let longest = u64::from(ctx.plan.max_video_seconds) * 1000;
        return Ok(DraftJob::single(TEMPLATE, longest, "template_unread", true));
    };
    let order: Vec<String> = match arr_opt(o, "scene_ids", "")? {
        Some(ids) => ids
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    PricingError::invalid(&format!("scene_ids[{i}]"), "must be a string")
                })
            })
            .collect::<Result<_, _>>()?,
        None => t.scenes.iter().map(|s| s.id.clone()).collect(),
    };
    let vars = variables(o, t)?;
    let unscripted = (default_ms / t.scenes.len().max(1) as u64).max(MIN_UNSCRIPTED_SCENE_MS);
    let mut scenes = Vec::with_capacity(order.len());
    for (i, id) in order.iter().enumerate() {
        let Some(scene) = t.scenes.iter().find(|s| &s.id == id) else {
            return Err(PricingError::invalid(
                &format!("scene_ids[{i}]"),
                format!("scene {id:?} is not in template {template_id:?}"),
            ));
        };
        scenes.push(match &scene.script {
            Some(script) => DraftScene {
                feature: TEMPLATE,
                ms: script_ms(&fill(script, &vars), ctx.proj(), SPEED_ONE),
                basis: "template_script",
            },
            None => DraftScene {
                feature: TEMPLATE,
                ms: unscripted,
                basis: "template_scene_default",
            },
        });
    }
    if scenes.is_empty() {
        return Err(PricingError::invalid(
            "scene_ids",
            "must name at least one scene",
        ));
    }
    Ok(DraftJob {
        feature: TEMPLATE,
        scenes,
        video: true,
    })
}

/// The text variables in force: the request's over the template's defaults.
fn variables(o: &Obj<'_>, t: &Template) -> Result<HashMap<String, String>, PricingError> {
    let mut vars = t.defaults.clone();
    if let Some(given) = obj_opt(o, "variables", "")? {
        for (name, v) in given.iter() {
            if let Some(text) = text_value(v) {
                vars.insert(name.to_owned(), text);
            }
        }
    }
    Ok(vars)
}

/// A variable's text: a string, or a text variable object's
/// `properties.content` (as [`super::facts::text_value`] reads a
/// template's defaults).
fn text_value(v: &Value<'_>) -> Option<String> {
    match v {
        Value::String(s) => Some(s.to_string()),
        Value::Object(o) => o
            .get("properties")
            .and_then(|p| p.get("content"))
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    }
}

/// The script with each `{{name}}` replaced by its value; unknown
/// placeholders stay (read as the words they are).
fn fill(script: &str, vars: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(script.len());
    let mut rest = script;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                match vars.get(name) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_take_values_and_unknown_ones_stay() {
        let vars = HashMap::from([("name".to_string(), "Ada Lovelace".to_string())]);
        assert_eq!(
            fill("Hi {{ name }}, {{other}}!", &vars),
            "Hi Ada Lovelace, {{other}}!"
        );
        assert_eq!(fill("open {{name", &vars), "open {{name");
    }
}
