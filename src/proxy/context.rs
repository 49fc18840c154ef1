//! What the stages of one request hand down through request extensions:
//! the connection's client address (from the server), the request id and
//! the tags the access log reports (from [`super::request_log`]), and what
//! admission learned (from [`super::admit`]).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use http::HeaderValue;

use crate::catalog::Route;
use crate::config::TenantConfig;
use crate::state::Runtime;

/// The peer of the connection a request arrived on, and its address as the
/// `X-Forwarded-For` text (made once per connection).
#[derive(Debug, Clone)]
pub struct ClientAddr {
    pub addr: SocketAddr,
    pub ip: HeaderValue,
}

impl ClientAddr {
    pub fn new(addr: SocketAddr) -> ClientAddr {
        ClientAddr {
            addr,
            ip: super::headers::peer_ip(addr.ip()),
        }
    }
}

/// How a request ended, as the access log and the request counter label it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Outcome {
    /// Sent to HeyGen (whatever HeyGen answered) or answered by the gateway's
    /// own endpoints.
    #[default]
    Forwarded,
    /// A stored answer replayed for an `Idempotency-Key`.
    Replayed,
    /// Refused by the gateway with a 4xx.
    Rejected,
    /// Failed in the gateway or upstream with a 5xx of the gateway's own.
    Error,
    /// The client went away before its answer was ready (logged as status
    /// 499, nginx's "client closed request"); what admission started, such
    /// as a hold or HeyGen's job, carries on without it.
    Abandoned,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Forwarded => "forwarded",
            Outcome::Replayed => "replayed",
            Outcome::Rejected => "rejected",
            Outcome::Error => "error",
            Outcome::Abandoned => "abandoned",
        }
    }
}

/// Facts about a request the access log reports, filled in by whichever
/// stage learns them. Shared because a rejection (an `Err` travelling up)
/// or a panic carries no response extensions of its own.
#[derive(Debug, Default)]
pub(crate) struct Tags {
    pub family: Option<&'static str>,
    pub tenant: Option<String>,
    pub outcome: Outcome,
    /// Credits projected for a billable request (micro-credits).
    pub credits: Option<crate::money::Micros>,
    pub hold_id: Option<String>,
    /// The hold stays for settlement though the answer is the gateway's
    /// error (a 502 or 504 after HeyGen may have acted).
    pub hold_kept: bool,
    /// HeyGen's status and how long HeyGen took to answer, when forwarded.
    pub upstream: Option<(u16, std::time::Duration)>,
}

/// Per-request context inserted by the outermost layer.
#[derive(Clone)]
pub(crate) struct RequestContext {
    pub request_id: HeaderValue,
    tags: Arc<Mutex<Tags>>,
}

// === impl RequestContext ===

impl RequestContext {
    pub(crate) fn new(request_id: HeaderValue) -> Self {
        RequestContext {
            request_id,
            tags: Arc::default(),
        }
    }

    /// The request id as text for log fields.
    pub(crate) fn id_str(&self) -> &str {
        self.request_id.to_str().unwrap_or("-")
    }

    /// Updates the tags; the lock is never held across an await.
    pub(crate) fn tag(&self, f: impl FnOnce(&mut Tags)) {
        f(&mut self.tags.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// The hold a refused answer leaves standing, if any: the client is
    /// told its id, since it may be charged for it.
    pub(crate) fn kept_hold(&self) -> Option<String> {
        let tags = self.tags.lock().unwrap_or_else(PoisonError::into_inner);
        tags.hold_kept.then(|| tags.hold_id.clone()).flatten()
    }

    /// Takes the tags for the access log.
    pub(crate) fn take_tags(&self) -> Tags {
        std::mem::take(&mut self.tags.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// What admission decided about a request, for the branches below it.
#[derive(Clone)]
pub(crate) struct Admitted {
    /// The config snapshot this request uses from admission to the end.
    pub runtime: Arc<Runtime>,
    /// Index of the authenticated tenant in `runtime.config.tenants`
    /// (`None` for the gateway's own endpoints, which authenticate per
    /// endpoint: HeyGen's callbacks carry a signature, not a tenant key).
    pub principal: Option<usize>,
    pub target: Target,
}

/// Where an admitted request goes.
#[derive(Clone)]
pub(crate) enum Target {
    /// A HeyGen path, normalised once and classified.
    Heygen {
        route: Route,
        path: String,
        /// The normalised path plus the query exactly as the client sent it.
        path_and_query: String,
        /// The client's own target as hyper parsed it, when normalising
        /// changed nothing (the usual case): sent upstream as is, so it
        /// is neither copied nor parsed again.
        parsed: Option<http::uri::PathAndQuery>,
    },
    /// The gateway's own endpoint under `/gateway/v1/` (the rest of the path).
    SelfService { rest: String },
    /// LiveAvatar under `/liveavatar` (`path` without the prefix, e.g.
    /// `/v1/sessions/token`; its routes take no query). `principal` is
    /// `None` when the credential is a session token, resolved from the
    /// ledger by the handler.
    LiveAvatar { path: String },
}

// === impl Admitted ===

impl Admitted {
    /// The authenticated tenant's config.
    pub(crate) fn tenant(&self) -> Option<&TenantConfig> {
        self.principal
            .and_then(|i| self.runtime.config.tenants.get(i))
    }
}
