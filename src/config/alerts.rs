//! `[alerts]` and `[[alerts.webhooks]]`: where ops alerts go, the raw TOML
//! and its validated form. A webhook URL is a secret (Slack's carries its
//! token), so the file names where it comes from (`url_env` or `url_file`),
//! never the URL; it is resolved at start and on every reload.
//!
//! This file holds the raw and validated types and the section-wide checks;
//! each webhook entry is validated in `webhook`.

mod webhook;

use std::time::Duration;

use serde::Deserialize;

use super::defaults::{
    DEFAULT_ALERT_DRIFT_CREDITS, DEFAULT_ALERT_INTERVAL_MS, DEFAULT_ALERT_RETRY_BASE_MS,
};
use super::{ConfigError, SecretSource};
use crate::money::{credits_to_micros, Micros};
use webhook::webhook;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileAlerts {
    /// |ledger drift| (credits) above which `drift` is raised.
    pub drift_credits: f64,
    /// How often the alert worker looks for due alerts (milliseconds).
    pub interval_ms: u64,
    /// Base of the exponential retry delay of a failed alert (milliseconds).
    pub retry_base_ms: u64,
    pub webhooks: Vec<FileAlertWebhook>,
}

impl Default for FileAlerts {
    fn default() -> Self {
        Self {
            drift_credits: DEFAULT_ALERT_DRIFT_CREDITS,
            interval_ms: DEFAULT_ALERT_INTERVAL_MS,
            retry_base_ms: DEFAULT_ALERT_RETRY_BASE_MS,
            webhooks: Vec::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAlertWebhook {
    pub name: String,
    pub url_env: Option<String>,
    pub url_file: Option<String>,
    /// `slack` or `json`.
    pub format: Option<String>,
    /// Absent: every event.
    pub events: Option<Vec<String>>,
}

/// What happened, as alert payloads and the `event` label spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertEvent {
    Threshold,
    Exhausted,
    LedgerError,
    Drift,
    SessionStopped,
    LedgerSchemaBehind,
}

impl AlertEvent {
    pub const ALL: [AlertEvent; 6] = [
        AlertEvent::Threshold,
        AlertEvent::Exhausted,
        AlertEvent::LedgerError,
        AlertEvent::Drift,
        AlertEvent::SessionStopped,
        AlertEvent::LedgerSchemaBehind,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertEvent::Threshold => "threshold",
            AlertEvent::Exhausted => "exhausted",
            AlertEvent::LedgerError => "ledger_error",
            AlertEvent::Drift => "drift",
            AlertEvent::SessionStopped => "session_stopped",
            AlertEvent::LedgerSchemaBehind => "ledger_schema_behind",
        }
    }

    pub fn parse(s: &str) -> Option<AlertEvent> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// The body an alert webhook receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertFormat {
    /// A Slack incoming webhook: `{"text": "…"}`.
    Slack,
    /// The documented JSON object (event, scope, window, … message).
    Json,
}

/// One validated `[[alerts.webhooks]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertWebhook {
    pub name: String,
    /// Where the URL comes from (resolved at start and on reload).
    pub url: SecretSource,
    pub format: AlertFormat,
    pub events: Vec<AlertEvent>,
}

impl AlertWebhook {
    pub fn wants(&self, event: AlertEvent) -> bool {
        self.events.contains(&event)
    }
}

/// Validated `[alerts]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertsConfig {
    pub drift: Micros,
    pub interval: Duration,
    pub retry_base: Duration,
    pub webhooks: Vec<AlertWebhook>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self::from_file(&FileAlerts::default(), &mut Vec::new())
    }
}

impl AlertsConfig {
    /// Validates the section, appending every problem to `errors` and
    /// returning a usable value either way.
    pub fn from_file(raw: &FileAlerts, errors: &mut Vec<ConfigError>) -> AlertsConfig {
        let drift = match credits_to_micros(raw.drift_credits) {
            Some(m) if m > 0 => m,
            _ => {
                errors.push(ConfigError::new(
                    "alerts.drift_credits",
                    format!(
                        "is {}; must be a positive number of credits",
                        raw.drift_credits
                    ),
                ));
                credits_to_micros(DEFAULT_ALERT_DRIFT_CREDITS).unwrap_or(1)
            }
        };
        for (key, v) in [
            ("alerts.interval_ms", raw.interval_ms),
            ("alerts.retry_base_ms", raw.retry_base_ms),
        ] {
            if v == 0 {
                errors.push(ConfigError::new(
                    key,
                    "must be greater than 0 (milliseconds)",
                ));
            }
        }
        let mut webhooks: Vec<AlertWebhook> = Vec::new();
        for (i, w) in raw.webhooks.iter().enumerate() {
            if let Some(hook) = webhook(&format!("alerts.webhooks[{i}]"), w, errors) {
                if webhooks.iter().any(|o| o.name == hook.name) {
                    errors.push(ConfigError::new(
                        format!("alerts.webhooks[{i}].name"),
                        format!("{:?} is used by another webhook; names must be unique (they key what was sent)", hook.name),
                    ));
                }
                webhooks.push(hook);
            }
        }
        AlertsConfig {
            drift,
            interval: Duration::from_millis(raw.interval_ms.max(1)),
            retry_base: Duration::from_millis(raw.retry_base_ms.max(1)),
            webhooks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(name: &str, env: Option<&str>, format: Option<&str>) -> FileAlertWebhook {
        FileAlertWebhook {
            name: name.into(),
            url_env: env.map(Into::into),
            url_file: None,
            format: format.map(Into::into),
            events: None,
        }
    }

    #[test]
    fn every_problem_names_its_key() {
        let mut bad_events = hook("b", Some("B"), Some("json"));
        bad_events.events = Some(vec!["threshold".into(), "nope".into()]);
        let raw = FileAlerts {
            drift_credits: -1.0,
            webhooks: vec![
                hook("ops-slack", Some("A"), Some("slack")),
                hook("ops-slack", Some("A2"), Some("slack")),
                hook("Bad Name", None, Some("xml")),
                bad_events,
            ],
            ..FileAlerts::default()
        };
        let mut errors = Vec::new();
        let cfg = AlertsConfig::from_file(&raw, &mut errors);
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "alerts.drift_credits",
                "alerts.webhooks[1].name",
                "alerts.webhooks[2].name",
                "alerts.webhooks[2].url_env",
                "alerts.webhooks[2].format",
                "alerts.webhooks[3].events[1]",
            ],
            "{errors:?}"
        );
        assert!(
            errors[5].message.contains("session_stopped"),
            "{}",
            errors[5]
        );
        assert_eq!(cfg.webhooks.len(), 2);
    }

    /// The `event` label values the metrics create at 0 are these events,
    /// so a new event's alerts are counted from start like the others.
    #[test]
    fn the_metrics_know_every_event() {
        let events: Vec<&str> = AlertEvent::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(events, crate::metrics::ALERT_EVENTS);
    }

    #[test]
    fn events_default_to_all() {
        let raw = FileAlerts {
            webhooks: vec![hook("a", Some("A"), Some("json"))],
            ..FileAlerts::default()
        };
        let mut errors = Vec::new();
        let cfg = AlertsConfig::from_file(&raw, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(cfg.webhooks[0].events, AlertEvent::ALL);
        assert_eq!(cfg.drift, 50_000_000);
    }
}
