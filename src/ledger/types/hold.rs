//! What the proxy asks the ledger for when it takes a hold, and what it gets
//! back: the request with its budgets, caps and shadow flags, and the
//! decision with any shortfall. Its own file because it is the input and
//! output of the budget decision, not a stored shape.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::Scope;
use crate::config::Budgets;
use crate::ledger::window::Window;
use crate::money::Micros;

/// Everything the ledger needs to take one hold; the proxy fills it from the
/// projection and the current configuration snapshot.
#[derive(Debug, Clone)]
pub struct HoldRequest {
    pub tenant: String,
    pub feature: String,
    pub route: String,
    pub amount: Micros,
    pub price_version: String,
    pub request_id: String,
    /// Zone of the calendar windows (`plan.timezone`).
    pub tz: Tz,
    pub now: DateTime<Utc>,
    /// When an unsettled hold is captured at its held amount.
    pub expires_at: DateTime<Utc>,
    pub tenant_budgets: Budgets,
    pub org_budgets: Budgets,
    /// Shadow scopes never refuse; their would-be refusals are reported.
    pub tenant_shadow: bool,
    pub org_shadow: bool,
    /// Whether this hold is a render that counts against the in-flight caps.
    pub render: bool,
    /// How long an open render hold with no job recorded yet still counts
    /// as in flight: as long as the request that made it may still be
    /// running (`UpstreamConfig::request_lease`). Past that its outcome is
    /// unknown (HeyGen timed out, the replica died, the job's record was
    /// lost): its credits stay held until settlement or expiry, but it no
    /// longer takes one of the tenant's render slots for the hold's whole TTL.
    pub render_lease: std::time::Duration,
    pub tenant_render_cap: Option<u32>,
    pub org_render_cap: Option<u32>,
    /// Set on a session start: the live-session caps this hold is checked
    /// against in its own transaction.
    pub session_cap: Option<SessionCap>,
    /// The fingerprint of the idempotent request this hold is for, when
    /// HeyGen dedupes it by key: recorded with the hold, in its transaction,
    /// so a retry finds it ([`crate::ledger::RetryHolds`]).
    pub idem: Option<String>,
    /// The project of a personalized-video `add_contact`: refused while
    /// another tenant's contacts of it are open, and recorded with the hold
    /// in its transaction ([`HoldDecision::ProjectInUse`]).
    pub contact_project: Option<String>,
}

/// Caps on live sessions, checked when a session starts. A live session
/// (or a start not yet answered, or a minted token not yet used) always has
/// exactly one open hold of a session feature that is not a next minute
/// held ahead (`SessionRow::next_hold_id`) — its current minute — so those
/// open holds of `features` count the sessions, inside the hold's
/// transaction, without a race.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCap {
    pub tenant: Option<u32>,
    pub org: Option<u32>,
    /// Every price-book feature sessions are metered under.
    pub features: Vec<String>,
}

impl HoldRequest {
    /// A hold of `amount` for `feature` by `tenant` under `cfg`'s budgets,
    /// shadow flags, plan zone and hold TTL; not a render. Callers set the
    /// route, request id, price version and render caps that apply.
    pub fn for_tenant(
        cfg: &crate::config::Config,
        tenant: &crate::config::TenantConfig,
        feature: &str,
        amount: Micros,
        now: DateTime<Utc>,
    ) -> HoldRequest {
        HoldRequest {
            tenant: tenant.id.clone(),
            feature: feature.to_string(),
            route: String::new(),
            amount,
            price_version: cfg.pricing.version().to_string(),
            request_id: String::new(),
            tz: cfg.plan.timezone,
            now,
            expires_at: now
                + chrono::Duration::from_std(cfg.settlement.hold_ttl)
                    .unwrap_or(chrono::Duration::days(2)),
            tenant_budgets: tenant.budgets,
            org_budgets: cfg.org.budgets,
            tenant_shadow: tenant.shadow,
            org_shadow: cfg.org.shadow,
            render: false,
            render_lease: std::time::Duration::ZERO,
            tenant_render_cap: None,
            org_render_cap: None,
            session_cap: None,
            idem: None,
            contact_project: None,
        }
    }
}

/// Why a window cannot take a hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    pub scope: Scope,
    pub window: Window,
    /// The amount asked for.
    pub required: Micros,
    /// Room left before the hold (negative after an overage).
    pub remaining: Micros,
    /// When the window resets; `None` for `total`.
    pub resets_at: Option<DateTime<Utc>>,
    /// The amount is over the window's whole limit: no reset makes room,
    /// so a retry is pointless (no `Retry-After`).
    pub never_fits: bool,
}

/// Outcome of [`crate::ledger::Ledger::hold`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldDecision {
    Held {
        hold_id: String,
        /// Tightest configured window after the hold; `None` when nothing is limited.
        remaining: Option<(Scope, Window, Micros)>,
        /// Refusals a shadow scope would have made.
        shadow_shortfalls: Vec<Shortfall>,
    },
    Insufficient(Shortfall),
    RenderCapReached {
        scope: Scope,
        cap: u32,
    },
    /// A session start past `limits.sessions_in_flight` (tenant or org).
    SessionCapReached {
        scope: Scope,
        cap: u32,
    },
    /// An `add_contact` on a project another tenant has contacts of still
    /// open: HeyGen's webhook names only the project, so the gateway could
    /// not tell whose contact a video is.
    ProjectInUse {
        project_id: String,
    },
}
