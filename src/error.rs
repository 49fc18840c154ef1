//! The one error type at the edge. Every refusal the gateway makes maps to a
//! status, a HeyGen-style code in the envelope of the path's API generation,
//! a bounded reason (metric label and `X-Gateway-Rejected` header) and, where
//! waiting helps, `Retry-After`.
//!
//! The enum and its constructors live here; `mapping` holds the tables from a
//! variant to status, code, reason and `Retry-After`, `envelope` renders the
//! body and response.

mod envelope;
mod mapping;

use std::time::Duration;

use chrono::{DateTime, Utc};

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
    /// Over the window's whole limit: waiting for the reset cannot help.
    pub never_fits: bool,
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
    /// A thing the tenant named on a gateway endpoint that is not there
    /// (or not theirs: the two are not told apart).
    #[error("{what} not found")]
    NoSuch { what: String },
    /// `allow`: the methods the path takes (the `Allow` header).
    #[error("method not allowed here; this path takes {allow}")]
    MethodNotAllowed {
        allow: std::borrow::Cow<'static, str>,
    },
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
    /// A call on a session that is no longer live for any other reason
    /// (the client's stop, idle, HeyGen ending it, …): nothing would meter
    /// what the call does.
    #[error("this session is no longer live (stopped: {reason}); start a new session")]
    SessionEnded { reason: String },
    #[error("rate limit exceeded; retry later")]
    RateLimited { retry_after: Duration },
    #[error("{scope} already has {cap} renders in flight; retry when one finishes")]
    RenderCap { scope: String, cap: u32 },
    #[error("{scope} already has {cap} live sessions; retry when one ends")]
    SessionCap { scope: String, cap: u32 },
    #[error("a request with this Idempotency-Key is still in progress")]
    IdempotencyInProgress,
    /// An `add_contact` on a personalized-video project another tenant has
    /// contacts of still open (HeyGen's webhook names only the project, so
    /// two tenants' contacts of one project could not be told apart).
    #[error(
        "personalized-video project {project_id} has contacts of another tenant still rendering; \
         retry when they are done, or ask ops to assign the project to one tenant"
    )]
    ProjectInUse { project_id: String },
    /// A webhook delivery that cannot be sent again: not `dead`, its
    /// endpoint deleted, or its tenant disabled (nothing to deliver to).
    #[error("{message}")]
    NotRedeliverable { message: String },
    #[error("this Idempotency-Key was used with a different request body")]
    IdempotencyMismatch,
    /// HeyGen answered a session start with the session an earlier attempt
    /// with this key started, which the gateway stopped because it could not
    /// meter it: retrying with the key can only name that stopped session.
    #[error(
        "the session this Idempotency-Key started was stopped because the gateway could not \
         meter it; start a new session with a new Idempotency-Key"
    )]
    SessionNotMetered,
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
    /// A surface whose secret the gateway does not hold (the webhook secret,
    /// the admin token): 503 naming it, not a 401 that blames the caller's
    /// signature or token for what ops have to set.
    #[error("{message}")]
    NotConfigured { message: String },
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
        GatewayError::ledger("ledger")(source)
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

/// Ledger failures a client sees as 503 `ledger_unavailable`: costed
/// requests fail closed whenever the ledger cannot record them, whether it
/// is down or refused this one statement (the spec's one answer for both;
/// on-call tells them apart by the `ledger_error` alert's message).
fn unavailable(e: &LedgerError) -> bool {
    matches!(
        e,
        LedgerError::Unavailable(_) | LedgerError::SchemaTooNew { .. } | LedgerError::Refused(_)
    )
}

fn ledger_message(e: &LedgerError) -> &'static str {
    if unavailable(e) {
        "the gateway's ledger is unavailable; costed requests, and reads that name or list your own \
         resources, are refused until it is back"
    } else {
        "internal error"
    }
}

impl GatewayError {
    /// 405 for a path that takes only `allow` (e.g. `"GET, POST"`).
    pub fn not_allowed(allow: &'static str) -> GatewayError {
        GatewayError::MethodNotAllowed {
            allow: std::borrow::Cow::Borrowed(allow),
        }
    }

    /// A ledger failure of operation `op`, for `map_err`. A value the
    /// ledger refused as invalid data is the client's bad input: 400.
    pub fn ledger(op: &'static str) -> impl FnOnce(LedgerError) -> GatewayError {
        move |source| match source {
            LedgerError::BadInput(why) => {
                tracing::info!(op, error = %why, "Ledger refused a request's value as invalid data.");
                GatewayError::bad_request(
                    "the request holds text with a character that cannot be stored (such as NUL)",
                )
            }
            source => GatewayError::Ledger { op, source },
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        GatewayError::BadRequest {
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod envelope_tests;
#[cfg(test)]
mod tests;
