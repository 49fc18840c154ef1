//! Tests of the error mapping and envelopes (apart from `error.rs`).

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
        never_fits: false,
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
            E::SessionEnded {
                reason: "idle".into(),
            },
            409,
            "session_stopped",
            "session_ended",
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
            E::NoSuch { what: "d".into() },
            404,
            "not_found",
            "not_found",
            None,
        ),
        (
            E::not_allowed("GET"),
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
            E::InsufficientCredit(shortfall.clone()),
            402,
            "insufficient_credit",
            "insufficient_credit",
            Some(3600),
        ),
        // Over the window's whole limit: no Retry-After to wait for.
        (
            E::InsufficientCredit(Shortfall {
                never_fits: true,
                ..shortfall
            }),
            402,
            "insufficient_credit",
            "insufficient_credit",
            None,
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
            E::ProjectInUse {
                project_id: "p1".into(),
            },
            409,
            "project_in_use",
            "project_in_use",
            None,
        ),
        (
            E::NotRedeliverable {
                message: "m".into(),
            },
            409,
            "not_redeliverable",
            "not_redeliverable",
            None,
        ),
        (
            E::NotConfigured {
                message: "m".into(),
            },
            503,
            "service_unavailable",
            "not_configured",
            None,
        ),
        (
            E::IdempotencyMismatch,
            422,
            "idempotency_key_reused",
            "idempotency_mismatch",
            None,
        ),
        (
            E::SessionNotMetered,
            422,
            "idempotency_key_reused",
            "session_not_metered",
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
                source: LedgerError::Refused("check_violation".into()),
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
