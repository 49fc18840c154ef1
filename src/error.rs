//! The one error type at the edge. Every refusal the gateway makes maps to a
//! status, a HeyGen-style code in the envelope of the path's API generation,
//! a bounded reason (metric label and `X-Gateway-Rejected` header) and, where
//! waiting helps, `Retry-After`.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderValue, Response, StatusCode};
use serde_json::{json, Map, Value};

use crate::http::BodyError;
use crate::ledger::LedgerError;
use crate::money::{format_credits, Micros};
use crate::pricing::PricingError;

/// Header naming the reason of a gateway refusal, so clients can tell the
/// gateway's answers from HeyGen's.
pub const HEADER_REJECTED: &str = "x-gateway-rejected";

/// API generation of a path; decides the error envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    V1,
    V2,
    V3,
}

impl Generation {
    /// v1 and v2 paths get their own envelopes; everything else (v3, the
    /// gateway's own endpoints, unknown prefixes) gets v3's.
    pub fn of_path(path: &str) -> Generation {
        // LiveAvatar answers `{"code", "data", "message"}`: v1's shape.
        if path.starts_with("/v1/") || path == "/v1" || path.starts_with("/liveavatar/") {
            Generation::V1
        } else if path.starts_with("/v2/") || path == "/v2" {
            Generation::V2
        } else {
            Generation::V3
        }
    }
}

/// Budget shortfall detail carried by a 402.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    pub scope: String,
    pub window: String,
    pub required: Micros,
    pub remaining: Micros,
    pub resets_at: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("missing or unknown API key")]
    Unauthenticated,
    #[error("this tenant is disabled")]
    TenantDisabled,
    #[error("{message}")]
    BadRequest { message: String },
    /// The client sent its request body too slowly (issue 12); nothing was
    /// held or forwarded.
    #[error("the request body arrived too slowly; send it without pauses")]
    RequestTimeout,
    #[error("{}", .0.message())]
    Pricing(PricingError),
    #[error("route family `{family}` is not allowed for this tenant")]
    RouteForbidden { family: &'static str },
    #[error("writes to unknown HeyGen routes are refused so no paid endpoint bypasses budgets")]
    UnknownWrite,
    #[error("no such gateway endpoint")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("request body exceeds the limit of {limit} bytes")]
    PayloadTooLarge { limit: u64 },
    #[error(
        "insufficient credit in the {} {} budget: required {}, remaining {}",
        .0.scope, .0.window, format_credits(.0.required), format_credits(.0.remaining)
    )]
    InsufficientCredit(Shortfall),
    /// A live session the gateway stopped because its next minute did not
    /// fit the budget.
    #[error("this session was stopped because the budget ran out")]
    SessionStopped,
    #[error("rate limit exceeded; retry later")]
    RateLimited { retry_after: Duration },
    #[error("{scope} already has {cap} renders in flight; retry when one finishes")]
    RenderCap { scope: String, cap: u32 },
    #[error("{scope} already has {cap} live sessions; retry when one ends")]
    SessionCap { scope: String, cap: u32 },
    #[error("a request with this Idempotency-Key is still in progress")]
    IdempotencyInProgress,
    #[error("this Idempotency-Key was used with a different request body")]
    IdempotencyMismatch,
    #[error("invalid Idempotency-Key: use 1-255 characters of A-Z a-z 0-9 _ : . -")]
    IdempotencyKeyInvalid,
    #[error("invalid webhook signature")]
    WebhookSignature,
    /// A ledger operation failed: 503 when the store is unreachable (costed
    /// requests fail closed), 500 otherwise. `op` labels the metric and the
    /// log line the edge writes.
    #[error("{}", ledger_message(source))]
    Ledger {
        op: &'static str,
        source: LedgerError,
    },
    #[error("missing or wrong admin bearer token")]
    AdminUnauthorized,
    /// 404, not 403, so another tenant's ids cannot be probed.
    #[error("not found")]
    NotOwner,
    #[error(
        "this route acts on the whole HeyGen account; the tenant needs route family `org_admin`"
    )]
    OrgRoute,
    #[error("no tenant {id:?} in the configuration")]
    UnknownTenant { id: String },
    #[error("the new configuration is invalid; the previous one stays")]
    InvalidConfig { problems: Vec<String> },
    /// A `/liveavatar/` route while `upstream.liveavatar_key_env` / `_file`
    /// is unset (or does not resolve).
    #[error("LiveAvatar is not configured on this gateway (upstream.liveavatar_key_env)")]
    LiveAvatarNotConfigured,
    #[error("HeyGen could not be reached")]
    UpstreamUnreachable,
    #[error("the connection to HeyGen failed before it answered")]
    UpstreamFailed,
    #[error("HeyGen did not answer in time")]
    UpstreamTimeout,
    #[error("internal error")]
    Internal,
}

/// A ledger failure whose operation is not named (prefer
/// [`GatewayError::ledger`], which labels the metric and the log line).
impl From<LedgerError> for GatewayError {
    fn from(source: LedgerError) -> Self {
        GatewayError::Ledger {
            op: "ledger",
            source,
        }
    }
}

/// The client's answer for a request body that could not be read.
impl From<BodyError> for GatewayError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge(limit) => GatewayError::PayloadTooLarge {
                limit: limit as u64,
            },
            BodyError::TimedOut => GatewayError::RequestTimeout,
            BodyError::Read(m) => {
                GatewayError::bad_request(format!("could not read the request body: {m}"))
            }
        }
    }
}

fn unavailable(e: &LedgerError) -> bool {
    matches!(
        e,
        LedgerError::Unavailable(_) | LedgerError::SchemaTooNew { .. }
    )
}

fn ledger_message(e: &LedgerError) -> &'static str {
    if unavailable(e) {
        "the credit ledger is unavailable; costed requests are refused until it is back"
    } else {
        "internal error"
    }
}

impl GatewayError {
    /// A ledger failure of operation `op`, for `map_err`.
    pub fn ledger(op: &'static str) -> impl FnOnce(LedgerError) -> GatewayError {
        move |source| GatewayError::Ledger { op, source }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        GatewayError::BadRequest {
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        use GatewayError::*;
        match self {
            Unauthenticated | TenantDisabled | WebhookSignature | AdminUnauthorized => {
                StatusCode::UNAUTHORIZED
            }
            BadRequest { .. } | IdempotencyKeyInvalid => StatusCode::BAD_REQUEST,
            Pricing(e) => StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
            RouteForbidden { .. } | UnknownWrite | OrgRoute => StatusCode::FORBIDDEN,
            NotOwner => StatusCode::NOT_FOUND,
            NotFound | UnknownTenant { .. } => StatusCode::NOT_FOUND,
            InvalidConfig { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            InsufficientCredit(_) | SessionStopped => StatusCode::PAYMENT_REQUIRED,
            RateLimited { .. } | RenderCap { .. } | SessionCap { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            IdempotencyInProgress => StatusCode::CONFLICT,
            IdempotencyMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            Ledger { source, .. } if unavailable(source) => StatusCode::SERVICE_UNAVAILABLE,
            LiveAvatarNotConfigured => StatusCode::SERVICE_UNAVAILABLE,
            Ledger { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            UpstreamUnreachable | UpstreamFailed => StatusCode::BAD_GATEWAY,
            UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// HeyGen-style code for the envelope.
    pub fn code(&self) -> &'static str {
        use GatewayError::*;
        match self {
            Unauthenticated | TenantDisabled | WebhookSignature | AdminUnauthorized => {
                "unauthorized"
            }
            BadRequest { .. } | IdempotencyKeyInvalid => "invalid_parameter",
            Pricing(e) => e.code(),
            RouteForbidden { .. } | UnknownWrite | OrgRoute => "forbidden",
            NotOwner => "not_found",
            NotFound | UnknownTenant { .. } => "not_found",
            InvalidConfig { .. } => "invalid_config",
            MethodNotAllowed => "method_not_allowed",
            RequestTimeout => "request_timeout",
            PayloadTooLarge { .. } => "payload_too_large",
            InsufficientCredit(_) | SessionStopped => "insufficient_credit",
            RateLimited { .. } => "rate_limit_exceeded",
            RenderCap { .. } | SessionCap { .. } => "concurrency_limit_exceeded",
            IdempotencyInProgress => "request_in_progress",
            IdempotencyMismatch => "idempotency_key_reused",
            Ledger { source, .. } if unavailable(source) => "service_unavailable",
            LiveAvatarNotConfigured => "service_unavailable",
            Ledger { .. } => "internal_error",
            UpstreamUnreachable | UpstreamFailed => "bad_gateway",
            UpstreamTimeout => "gateway_timeout",
            Internal => "internal_error",
        }
    }

    /// Bounded reason: the `X-Gateway-Rejected` value and the metric label.
    pub fn reason(&self) -> &'static str {
        use GatewayError::*;
        match self {
            Unauthenticated => "unauthenticated",
            TenantDisabled => "tenant_disabled",
            WebhookSignature => "webhook_signature",
            AdminUnauthorized => "admin_unauthorized",
            BadRequest { .. } => "invalid_request",
            IdempotencyKeyInvalid => "idempotency_key_invalid",
            Pricing(e) => e.code(),
            RouteForbidden { .. } => "route_forbidden",
            UnknownWrite => "unknown_route",
            OrgRoute => "org_route",
            NotOwner => "not_owner",
            NotFound => "not_found",
            UnknownTenant { .. } => "unknown_tenant",
            InvalidConfig { .. } => "invalid_config",
            MethodNotAllowed => "method_not_allowed",
            RequestTimeout => "body_timeout",
            PayloadTooLarge { .. } => "payload_too_large",
            InsufficientCredit(_) => "insufficient_credit",
            SessionStopped => "session_stopped",
            RateLimited { .. } => "rate_limited",
            RenderCap { .. } => "renders_in_flight",
            SessionCap { .. } => "sessions_in_flight",
            IdempotencyInProgress => "request_in_progress",
            IdempotencyMismatch => "idempotency_mismatch",
            Ledger { source, .. } if unavailable(source) => "ledger_unavailable",
            LiveAvatarNotConfigured => "liveavatar_not_configured",
            Ledger { .. } => "internal",
            UpstreamUnreachable => "upstream_unreachable",
            UpstreamFailed => "upstream_failed",
            UpstreamTimeout => "upstream_timeout",
            Internal => "internal",
        }
    }

    /// Legacy numeric code for v1 envelopes (HeyGen's own where one exists).
    fn v1_code(&self) -> i64 {
        match self.status().as_u16() {
            401 => 400112,
            400 => 400175,
            403 => 400599,
            other => i64::from(other) * 1000,
        }
    }

    pub fn retry_after(&self, now: DateTime<Utc>) -> Option<Duration> {
        match self {
            GatewayError::RateLimited { retry_after } => Some(*retry_after),
            GatewayError::RenderCap { .. }
            | GatewayError::SessionCap { .. }
            | GatewayError::IdempotencyInProgress => Some(Duration::from_secs(5)),
            GatewayError::InsufficientCredit(s) => s
                .resets_at
                .map(|at| (at - now).to_std().unwrap_or_default()),
            GatewayError::Ledger { source, .. } if unavailable(source) => {
                Some(Duration::from_secs(1))
            }
            _ => None,
        }
    }

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
            }
            GatewayError::RenderCap { scope, cap } => {
                m.insert("scope".into(), json!(scope));
                m.insert("renders_in_flight_cap".into(), json!(cap));
            }
            GatewayError::SessionCap { scope, cap } => {
                m.insert("scope".into(), json!(scope));
                m.insert("sessions_in_flight_cap".into(), json!(cap));
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
        if let Some(wait) = self.retry_after(now) {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            h.insert(http::header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// Every variant: status, code, reason label and Retry-After, in one table,
    /// so a new variant or a changed mapping is a deliberate edit here.
    #[test]
    fn every_variant_maps_to_status_code_reason_and_retry_after() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 23, 0, 0).unwrap();
        let shortfall = Shortfall {
            scope: "alpha".into(),
            window: "daily".into(),
            required: 1_500_000,
            remaining: 500_000,
            resets_at: Some(Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap()),
        };
        use GatewayError as E;
        let table: Vec<(E, u16, &str, &str, Option<u64>)> = vec![
            (
                E::Unauthenticated,
                401,
                "unauthorized",
                "unauthenticated",
                None,
            ),
            (
                E::SessionCap {
                    scope: "org".into(),
                    cap: 3,
                },
                429,
                "concurrency_limit_exceeded",
                "sessions_in_flight",
                Some(5),
            ),
            (
                E::SessionStopped,
                402,
                "insufficient_credit",
                "session_stopped",
                None,
            ),
            (
                E::TenantDisabled,
                401,
                "unauthorized",
                "tenant_disabled",
                None,
            ),
            (
                E::WebhookSignature,
                401,
                "unauthorized",
                "webhook_signature",
                None,
            ),
            (
                E::bad_request("x"),
                400,
                "invalid_parameter",
                "invalid_request",
                None,
            ),
            (
                E::IdempotencyKeyInvalid,
                400,
                "invalid_parameter",
                "idempotency_key_invalid",
                None,
            ),
            (
                E::Pricing(PricingError::invalid("script", "missing")),
                400,
                "invalid_parameter",
                "invalid_parameter",
                None,
            ),
            (
                E::RouteForbidden { family: "video" },
                403,
                "forbidden",
                "route_forbidden",
                None,
            ),
            (E::UnknownWrite, 403, "forbidden", "unknown_route", None),
            (E::NotFound, 404, "not_found", "not_found", None),
            (
                E::MethodNotAllowed,
                405,
                "method_not_allowed",
                "method_not_allowed",
                None,
            ),
            (
                E::PayloadTooLarge { limit: 10 },
                413,
                "payload_too_large",
                "payload_too_large",
                None,
            ),
            (
                E::InsufficientCredit(shortfall),
                402,
                "insufficient_credit",
                "insufficient_credit",
                Some(3600),
            ),
            (
                E::RateLimited {
                    retry_after: Duration::from_millis(1500),
                },
                429,
                "rate_limit_exceeded",
                "rate_limited",
                Some(2),
            ),
            (
                E::RenderCap {
                    scope: "alpha".into(),
                    cap: 2,
                },
                429,
                "concurrency_limit_exceeded",
                "renders_in_flight",
                Some(5),
            ),
            (
                E::IdempotencyInProgress,
                409,
                "request_in_progress",
                "request_in_progress",
                Some(5),
            ),
            (
                E::IdempotencyMismatch,
                422,
                "idempotency_key_reused",
                "idempotency_mismatch",
                None,
            ),
            (
                E::Ledger {
                    op: "hold",
                    source: LedgerError::Unavailable("down".into()),
                },
                503,
                "service_unavailable",
                "ledger_unavailable",
                Some(1),
            ),
            (
                E::Ledger {
                    op: "hold",
                    source: LedgerError::Conflict("dup".into()),
                },
                500,
                "internal_error",
                "internal",
                None,
            ),
            (
                E::AdminUnauthorized,
                401,
                "unauthorized",
                "admin_unauthorized",
                None,
            ),
            (
                E::UpstreamUnreachable,
                502,
                "bad_gateway",
                "upstream_unreachable",
                None,
            ),
            (
                E::UpstreamFailed,
                502,
                "bad_gateway",
                "upstream_failed",
                None,
            ),
            (
                E::UpstreamTimeout,
                504,
                "gateway_timeout",
                "upstream_timeout",
                None,
            ),
            (
                E::UnknownTenant { id: "x".into() },
                404,
                "not_found",
                "unknown_tenant",
                None,
            ),
            (
                E::InvalidConfig {
                    problems: vec!["p".into()],
                },
                422,
                "invalid_config",
                "invalid_config",
                None,
            ),
            (
                E::RequestTimeout,
                408,
                "request_timeout",
                "body_timeout",
                None,
            ),
            (E::NotOwner, 404, "not_found", "not_owner", None),
            (E::OrgRoute, 403, "forbidden", "org_route", None),
            (E::Internal, 500, "internal_error", "internal", None),
        ];
        for (err, status, code, reason, retry) in table {
            let resp = err.to_response(Generation::V3, now);
            assert_eq!(resp.status().as_u16(), status, "{err:?}");
            assert_eq!(err.code(), code, "{err:?}");
            assert_eq!(resp.headers()[HEADER_REJECTED], reason, "{err:?}");
            let got = resp
                .headers()
                .get(http::header::RETRY_AFTER)
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            assert_eq!(got, retry, "{err:?}");
        }
    }

    #[test]
    fn envelopes_follow_the_path_generation() {
        assert_eq!(Generation::of_path("/v1/video_status.get"), Generation::V1);
        assert_eq!(Generation::of_path("/v2/video/generate"), Generation::V2);
        assert_eq!(Generation::of_path("/v3/videos"), Generation::V3);
        assert_eq!(Generation::of_path("/gateway/v1/usage"), Generation::V3);
        let e = GatewayError::Unauthenticated;
        let v1 = e.envelope(Generation::V1);
        assert_eq!(v1["code"], 400112);
        assert_eq!(v1["error_code"], "unauthorized");
        let v2 = e.envelope(Generation::V2);
        assert!(v2["data"].is_null());
        assert_eq!(v2["error"]["code"], "unauthorized");
        let v3 = e.envelope(Generation::V3);
        assert_eq!(v3["error"]["code"], "unauthorized");
        assert_eq!(v3["error"]["gateway_reason"], "unauthenticated");
    }
}
