//! Rendering a [`GatewayError`] for the client: the JSON envelope of the
//! path's API generation and the full response with its headers. Separate from
//! the mapping tables because it is about shape, not about which answer.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderValue, Response};
use serde_json::{json, Map, Value};

use super::{GatewayError, Generation, HEADER_REJECTED};
use crate::money::format_credits;

impl GatewayError {
    /// Extra machine-readable detail for the envelope.
    fn detail(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("gateway_reason".into(), json!(self.reason()));
        match self {
            GatewayError::InsufficientCredit(s) => {
                m.insert("scope".into(), json!(s.scope));
                m.insert("window".into(), json!(s.window));
                m.insert("required".into(), json!(format_credits(s.required)));
                m.insert("remaining".into(), json!(format_credits(s.remaining)));
                m.insert(
                    "resets_at".into(),
                    json!(s.resets_at.map(|t| t.to_rfc3339())),
                );
                m.insert("never_fits".into(), json!(s.never_fits));
            }
            GatewayError::RenderCap { scope, cap } => {
                m.insert("scope".into(), json!(scope));
                m.insert("renders_in_flight_cap".into(), json!(cap));
            }
            GatewayError::SessionCap { scope, cap } => {
                m.insert("scope".into(), json!(scope));
                m.insert("sessions_in_flight_cap".into(), json!(cap));
            }
            GatewayError::ProjectInUse { project_id } => {
                m.insert("project_id".into(), json!(project_id));
            }
            GatewayError::PayloadTooLarge { limit } => {
                m.insert("limit_bytes".into(), json!(limit));
            }
            GatewayError::InvalidConfig { problems } => {
                m.insert("problems".into(), json!(problems));
            }
            _ => {}
        }
        m
    }

    /// The JSON body in the envelope of `generation`.
    pub fn envelope(&self, generation: Generation) -> Value {
        let message = self.to_string();
        let mut detail = self.detail();
        match generation {
            Generation::V1 => {
                let mut top = Map::new();
                top.insert("code".into(), json!(self.v1_code()));
                top.insert("message".into(), json!(message));
                top.insert("error_code".into(), json!(self.code()));
                top.append(&mut detail);
                Value::Object(top)
            }
            Generation::V2 | Generation::V3 => {
                let mut err = Map::new();
                err.insert("code".into(), json!(self.code()));
                err.insert("message".into(), json!(message));
                err.append(&mut detail);
                if generation == Generation::V2 {
                    json!({"data": null, "error": err})
                } else {
                    json!({"error": err})
                }
            }
        }
    }

    /// Builds the full response: status, envelope, `X-Gateway-Rejected`,
    /// `Retry-After` (whole seconds, rounded up, at least 1).
    pub fn to_response(&self, generation: Generation, now: DateTime<Utc>) -> Response<Bytes> {
        let body = Bytes::from(self.envelope(generation).to_string());
        let mut resp = Response::new(body);
        *resp.status_mut() = self.status();
        let h = resp.headers_mut();
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        h.insert(HEADER_REJECTED, HeaderValue::from_static(self.reason()));
        if let GatewayError::MethodNotAllowed { allow } = self {
            if let Ok(v) = HeaderValue::from_str(allow) {
                h.insert(http::header::ALLOW, v);
            }
        }
        if let Some(wait) = self.retry_after(now) {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            h.insert(http::header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        resp
    }
}
