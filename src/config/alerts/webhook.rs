//! One `[[alerts.webhooks]]` entry validated into an [`AlertWebhook`]: its
//! name, where its URL comes from, its body format and its events. Its own
//! file because the per-webhook checks are most of the section's
//! validation; `alerts` keeps the types and the section-wide checks.

use std::path::PathBuf;

use super::{AlertEvent, AlertFormat, AlertWebhook, FileAlertWebhook};
use crate::config::{ConfigError, SecretSource};

pub(super) fn webhook(
    key: &str,
    w: &FileAlertWebhook,
    errors: &mut Vec<ConfigError>,
) -> Option<AlertWebhook> {
    let before = errors.len();
    let name_ok = !w.name.is_empty()
        && w.name.len() <= 64
        && w.name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_');
    if !name_ok {
        errors.push(ConfigError::new(
            format!("{key}.name"),
            format!(
                "{:?} must be 1-64 characters of a-z, 0-9, '-' or '_'",
                w.name
            ),
        ));
    }
    let url = match (&w.url_env, &w.url_file) {
        (Some(env), None) if !env.trim().is_empty() => Some(SecretSource::Env(env.clone())),
        (Some(_), None) => {
            errors.push(ConfigError::new(
                format!("{key}.url_env"),
                "the environment variable name is empty",
            ));
            None
        }
        (None, Some(path)) => Some(SecretSource::File(PathBuf::from(path))),
        (Some(_), Some(_)) => {
            errors.push(ConfigError::new(
                key,
                "set only one of url_env and url_file",
            ));
            None
        }
        (None, None) => {
            errors.push(ConfigError::new(
                format!("{key}.url_env"),
                "missing: name the environment variable holding the webhook URL (or set url_file)",
            ));
            None
        }
    };
    let format = match w.format.as_deref() {
        Some("slack") => Some(AlertFormat::Slack),
        Some("json") => Some(AlertFormat::Json),
        Some(other) => {
            errors.push(ConfigError::new(
                format!("{key}.format"),
                format!("is {other:?}; use \"slack\" (Slack incoming webhook) or \"json\""),
            ));
            None
        }
        None => {
            errors.push(ConfigError::new(
                format!("{key}.format"),
                "missing: use \"slack\" (Slack incoming webhook) or \"json\"",
            ));
            None
        }
    };
    let all: Vec<&str> = AlertEvent::ALL.iter().map(|e| e.as_str()).collect();
    let events = match &w.events {
        None => AlertEvent::ALL.to_vec(),
        Some(list) if list.is_empty() => {
            errors.push(ConfigError::new(
                format!("{key}.events"),
                "is empty, so nothing would be sent; omit the key for every event",
            ));
            Vec::new()
        }
        Some(list) => {
            let mut out = Vec::new();
            for (j, e) in list.iter().enumerate() {
                match AlertEvent::parse(e) {
                    Some(ev) if !out.contains(&ev) => out.push(ev),
                    Some(_) => {}
                    None => errors.push(ConfigError::new(
                        format!("{key}.events[{j}]"),
                        format!("{e:?} is not an alert event; use one of {}", all.join(", ")),
                    )),
                }
            }
            out
        }
    };
    if errors.len() > before {
        return None;
    }
    Some(AlertWebhook {
        name: w.name.clone(),
        url: url?,
        format: format?,
        events,
    })
}
