//! How each [`GatewayError`] variant maps to its HTTP status, envelope code,
//! bounded reason label and `Retry-After`. One table per question, kept apart
//! from the enum so a new variant's mapping is reviewed in one place.

use std::time::Duration;

use chrono::{DateTime, Utc};
use http::StatusCode;

use super::{unavailable, GatewayError};

impl GatewayError {
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
            NotFound | NoSuch { .. } | UnknownTenant { .. } => StatusCode::NOT_FOUND,
            InvalidConfig { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            InsufficientCredit(_) | SessionStopped => StatusCode::PAYMENT_REQUIRED,
            RateLimited { .. } | RenderCap { .. } | SessionCap { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            IdempotencyInProgress
            | ProjectInUse { .. }
            | SessionEnded { .. }
            | NotRedeliverable { .. } => StatusCode::CONFLICT,
            IdempotencyMismatch | SessionNotMetered => StatusCode::UNPROCESSABLE_ENTITY,
            Ledger { source, .. } if unavailable(source) => StatusCode::SERVICE_UNAVAILABLE,
            LiveAvatarNotConfigured | NotConfigured { .. } => StatusCode::SERVICE_UNAVAILABLE,
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
            NotFound | NoSuch { .. } | UnknownTenant { .. } => "not_found",
            InvalidConfig { .. } => "invalid_config",
            MethodNotAllowed { .. } => "method_not_allowed",
            RequestTimeout => "request_timeout",
            PayloadTooLarge { .. } => "payload_too_large",
            InsufficientCredit(_) | SessionStopped => "insufficient_credit",
            RateLimited { .. } => "rate_limit_exceeded",
            RenderCap { .. } | SessionCap { .. } => "concurrency_limit_exceeded",
            IdempotencyInProgress => "request_in_progress",
            ProjectInUse { .. } => "project_in_use",
            SessionEnded { .. } => "session_stopped",
            NotRedeliverable { .. } => "not_redeliverable",
            IdempotencyMismatch | SessionNotMetered => "idempotency_key_reused",
            Ledger { source, .. } if unavailable(source) => "service_unavailable",
            LiveAvatarNotConfigured | NotConfigured { .. } => "service_unavailable",
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
            NotFound | NoSuch { .. } => "not_found",
            UnknownTenant { .. } => "unknown_tenant",
            InvalidConfig { .. } => "invalid_config",
            MethodNotAllowed { .. } => "method_not_allowed",
            RequestTimeout => "body_timeout",
            PayloadTooLarge { .. } => "payload_too_large",
            InsufficientCredit(_) => "insufficient_credit",
            SessionStopped => "session_stopped",
            SessionEnded { .. } => "session_ended",
            RateLimited { .. } => "rate_limited",
            RenderCap { .. } => "renders_in_flight",
            SessionCap { .. } => "sessions_in_flight",
            IdempotencyInProgress => "request_in_progress",
            ProjectInUse { .. } => "project_in_use",
            NotRedeliverable { .. } => "not_redeliverable",
            IdempotencyMismatch => "idempotency_mismatch",
            SessionNotMetered => "session_not_metered",
            Ledger { source, .. } if unavailable(source) => "ledger_unavailable",
            LiveAvatarNotConfigured => "liveavatar_not_configured",
            NotConfigured { .. } => "not_configured",
            Ledger { .. } => "internal",
            UpstreamUnreachable => "upstream_unreachable",
            UpstreamFailed => "upstream_failed",
            UpstreamTimeout => "upstream_timeout",
            Internal => "internal",
        }
    }

    /// Legacy numeric code for v1 envelopes (HeyGen's own where one exists).
    pub(super) fn v1_code(&self) -> i64 {
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
            GatewayError::InsufficientCredit(s) if s.never_fits => None,
            GatewayError::InsufficientCredit(s) => s
                .resets_at
                .map(|at| (at - now).to_std().unwrap_or_default()),
            GatewayError::Ledger { source, .. } if unavailable(source) => {
                Some(Duration::from_secs(1))
            }
            _ => None,
        }
    }
}
