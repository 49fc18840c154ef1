//! What an alert says: the stable JSON object (the `json` format, also what
//! the outbox stores) and the Slack body rendered from it at send time, so a
//! reload that changes a webhook's format applies to alerts already queued.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::config::{AlertEvent, AlertFormat};
use crate::money::{format_credits, Micros};

/// One alert, before it is queued for each webhook that wants its event.
#[derive(Debug, Clone, Default)]
pub(crate) struct Alert {
    pub event: Option<AlertEvent>,
    /// Dedup key of the event and its period (see `super::keys`).
    pub key: String,
    /// `org` or a tenant id.
    pub scope: Option<String>,
    /// The scope's budgets are shadow (never enforced).
    pub shadow: bool,
    pub window: Option<String>,
    pub period: Option<String>,
    pub threshold: Option<u8>,
    pub used_ratio: Option<f64>,
    pub remaining: Option<Micros>,
    pub limit: Option<Micros>,
    pub session_id: Option<String>,
    /// The failed ledger operation (`ledger_error`).
    pub op: Option<String>,
    pub drift: Option<Micros>,
    /// Error text (`ledger_error`).
    pub error: Option<String>,
    /// The ledger's schema version and the newest this build knows
    /// (`ledger_schema_behind`).
    pub schema_version: Option<u32>,
    pub schema_known: Option<u32>,
    pub at: DateTime<Utc>,
}

// === impl Alert ===

impl Alert {
    pub(crate) fn event_str(&self) -> &'static str {
        self.event.map_or("unknown", AlertEvent::as_str)
    }

    /// The documented JSON object: every key always present (`null` where
    /// it does not apply), credits as exact decimal strings.
    pub(crate) fn to_json(&self) -> Value {
        let credits = |m: Option<Micros>| m.map(format_credits);
        json!({
            "event": self.event_str(),
            "key": self.key,
            "scope": self.scope,
            "shadow": self.shadow,
            "window": self.window,
            "period": self.period,
            "threshold": self.threshold,
            "used_ratio": self.used_ratio.map(|r| (r * 10_000.0).round() / 10_000.0),
            "remaining_credits": credits(self.remaining),
            "limit_credits": credits(self.limit),
            "session_id": self.session_id,
            "op": self.op,
            "drift_credits": credits(self.drift),
            "error": self.error,
            "ledger_schema_version": self.schema_version,
            "ledger_schema_known_version": self.schema_known,
            "at": self.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            "gateway_version": env!("CARGO_PKG_VERSION"),
            "message": self.message(),
        })
    }

    /// One human line, the Slack text.
    pub(crate) fn message(&self) -> String {
        let who = match self.scope.as_deref() {
            Some("org") => "Org".to_string(),
            Some(t) => format!("Tenant {t}"),
            None => "Gateway".to_string(),
        };
        let shadow = if self.shadow { " [shadow budget]" } else { "" };
        let window = self.window.as_deref().unwrap_or("?");
        let period = self.period.as_deref().unwrap_or("?");
        let left = match (self.remaining, self.limit) {
            (Some(r), Some(l)) => format!(
                "{} of {} credits left",
                format_credits(r),
                format_credits(l)
            ),
            _ => "no limit".to_string(),
        };
        let text = match self.event {
            Some(AlertEvent::Threshold) => format!(
                "{who}{shadow}: {window} budget passed {} % ({:.0} % used, {left}, period {period}).",
                self.threshold.unwrap_or(0),
                self.used_ratio.unwrap_or(0.0) * 100.0,
            ),
            Some(AlertEvent::Exhausted) => format!(
                "{who}: {window} budget exhausted ({left}, period {period}); \
                 billable requests are refused until it resets or ops grant credits."
            ),
            Some(AlertEvent::SessionStopped) => format!(
                "{who}: live session {} was stopped by the gateway because its budget ran out.",
                self.session_id.as_deref().unwrap_or("?")
            ),
            Some(AlertEvent::Drift) => format!(
                "Ledger drift is {} credits (HeyGen's consumption minus the ledger's captured spend), \
                 beyond the alert limit; check for usage outside the gateway.",
                self.drift.map_or_else(|| "?".into(), format_credits)
            ),
            Some(AlertEvent::LedgerError) => format!(
                "Ledger operation `{}` failed: {}. While the ledger is down, billable requests are refused.",
                self.op.as_deref().unwrap_or("?"),
                self.error.as_deref().unwrap_or("?")
            ),
            Some(AlertEvent::LedgerSchemaBehind) => {
                let v = |n: Option<u32>| n.map_or_else(|| "?".to_string(), |n| n.to_string());
                format!(
                    "The ledger's schema is version {} but this replica's build knows {}: a newer \
                     heygen-gateway migrated it while this one ran. The replica now reports not \
                     ready, refuses billable requests with 503 and leaves expiry, the settlement \
                     poller and the session meter to the newer replicas; replace it with the newer \
                     version (downgrading is not supported).",
                    v(self.schema_version),
                    v(self.schema_known)
                )
            }
            None => "Unknown alert.".to_string(),
        };
        format!("heygen-gateway: {text}")
    }
}

/// The request body for a webhook of `format`, from a stored JSON payload.
pub(crate) fn body(format: AlertFormat, payload: &str) -> Result<Vec<u8>, String> {
    match format {
        AlertFormat::Json => Ok(payload.as_bytes().to_vec()),
        AlertFormat::Slack => {
            let v: Value = serde_json::from_str(payload)
                .map_err(|e| format!("stored alert payload is not JSON: {e}"))?;
            let text = v
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("heygen-gateway alert");
            Ok(json!({ "text": text }).to_string().into_bytes())
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn threshold() -> Alert {
        Alert {
            event: Some(AlertEvent::Threshold),
            key: "threshold:alpha:daily:2026-12-04:80".into(),
            scope: Some("alpha".into()),
            window: Some("daily".into()),
            period: Some("2026-12-04".into()),
            threshold: Some(80),
            used_ratio: Some(0.85),
            remaining: Some(1_500_000),
            limit: Some(10_000_000),
            ..Alert::default()
        }
    }

    #[test]
    fn json_has_every_documented_key() {
        let v = threshold().to_json();
        for k in [
            "event",
            "key",
            "scope",
            "shadow",
            "window",
            "period",
            "threshold",
            "used_ratio",
            "remaining_credits",
            "limit_credits",
            "session_id",
            "op",
            "drift_credits",
            "error",
            "ledger_schema_version",
            "ledger_schema_known_version",
            "at",
            "gateway_version",
            "message",
        ] {
            assert!(v.get(k).is_some(), "{k} missing in {v}");
        }
        assert_eq!(v["remaining_credits"], "1.5");
        assert_eq!(v["threshold"], 80);
    }

    #[test]
    fn slack_text_names_scope_window_and_threshold() {
        let payload = threshold().to_json().to_string();
        let body = body(AlertFormat::Slack, &payload).unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        let text = v["text"].as_str().unwrap();
        assert!(
            text.contains("Tenant alpha") && text.contains("daily") && text.contains("80 %"),
            "{text}"
        );
        assert_eq!(v.as_object().unwrap().len(), 1);
        let mut shadow = threshold();
        shadow.shadow = true;
        assert!(shadow.message().contains("[shadow budget]"));
    }
}
