//! Request, decision and row types of the ledger API, shared by every backend.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::window::Window;
use crate::config::Budgets;
use crate::money::Micros;

/// Who a budget belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Org,
    Tenant(String),
}

impl Scope {
    /// Storage key: `org` or `tenant:<id>` (tenant ids come from config).
    pub fn key(&self) -> String {
        match self {
            Scope::Org => "org".to_string(),
            Scope::Tenant(t) => format!("tenant:{t}"),
        }
    }

    /// Inverse of [`Scope::key`].
    pub fn from_key(key: &str) -> Option<Scope> {
        if key == "org" {
            return Some(Scope::Org);
        }
        key.strip_prefix("tenant:")
            .map(|t| Scope::Tenant(t.to_string()))
    }

    /// `org` or `tenant`, for responses and metric labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::Org => "org",
            Scope::Tenant(_) => "tenant",
        }
    }

    /// `org` or the tenant id: the `scope` metric label and the 402 detail.
    pub fn label(&self) -> String {
        match self {
            Scope::Org => "org".to_string(),
            Scope::Tenant(t) => t.clone(),
        }
    }

    /// The tenant id, if this is a tenant scope.
    pub fn tenant(&self) -> Option<&str> {
        match self {
            Scope::Org => None,
            Scope::Tenant(t) => Some(t),
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key())
    }
}

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
    pub tenant_render_cap: Option<u32>,
    pub org_render_cap: Option<u32>,
    /// Set on a session start: the live-session caps this hold is checked
    /// against in its own transaction.
    pub session_cap: Option<SessionCap>,
    /// The fingerprint of the idempotent request this hold is for, when
    /// HeyGen dedupes it by key: recorded with the hold, in its transaction,
    /// so a retry finds it ([`crate::ledger::RetryHolds`]).
    pub idem: Option<String>,
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
            tenant_render_cap: None,
            org_render_cap: None,
            session_cap: None,
            idem: None,
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
}

/// Outcome of [`super::Ledger::hold`].
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
}

/// States of a hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HoldState {
    Held,
    Submitted,
    Captured,
    Released,
    /// Never settled within its TTL: captured at the held amount.
    Expired,
}

impl HoldState {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldState::Held => "held",
            HoldState::Submitted => "submitted",
            HoldState::Captured => "captured",
            HoldState::Released => "released",
            HoldState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<HoldState> {
        [
            HoldState::Held,
            HoldState::Submitted,
            HoldState::Captured,
            HoldState::Released,
            HoldState::Expired,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    /// Still counted in `held` and in renders in flight.
    pub fn is_open(self) -> bool {
        matches!(self, HoldState::Held | HoldState::Submitted)
    }
}

/// One upstream job created under a hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    /// HeyGen's id (`video_id`, `video_translate_id`, session id, ...).
    pub job_id: String,
    pub feature: String,
    /// Path whose GET returns this job's status (for the poller).
    pub status_path: String,
    /// This job's share of the hold.
    pub held: Micros,
}

/// How an upstream job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobSettlement {
    /// Done; `cost` is the actual cost (duration rounded by the price book).
    Completed { cost: Micros },
    /// Failed upstream: HeyGen charges nothing.
    Failed,
}

/// What a settlement moved, for metrics and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub hold_id: String,
    pub tenant: String,
    pub feature: String,
    /// Moved into `spent`.
    pub captured: Micros,
    /// Held but not needed, freed.
    pub released: Micros,
    /// Captured beyond the held share.
    pub overage: Micros,
    /// State of the hold after this settlement.
    pub hold_state: HoldState,
}

/// Outcome of [`super::Ledger::settle_job`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettleResult {
    Settled(Settlement),
    /// Redelivery or repeated status read: nothing changed.
    AlreadySettled,
    /// Not a job of this gateway (or not recorded yet).
    UnknownJob,
}

/// A hold captured by [`super::Ledger::expire_holds`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredHold {
    pub hold_id: String,
    pub tenant: String,
    pub feature: String,
    /// Amount moved from held to spent at expiry.
    pub captured: Micros,
    pub created_at: DateTime<Utc>,
    pub job_ids: Vec<String>,
}

/// A one-off grant (`amount > 0` lowers spent) or debit (`amount < 0`).
#[derive(Debug, Clone)]
pub struct Adjustment {
    pub scope: Scope,
    /// The current period of this window, or all four windows when `None`.
    pub window: Option<Window>,
    pub amount: Micros,
    pub reason: String,
    pub actor: String,
    pub tz: Tz,
    pub now: DateTime<Utc>,
}

/// A response stored under an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Outcome of [`super::Ledger::idem_begin`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdemBegin {
    /// First use of the key: the caller proceeds and later completes or abandons.
    New,
    Replay(StoredResponse),
    /// Another request with this key has not finished.
    InProgress,
    /// Same key, different body.
    Mismatch,
}

/// Usage of one window in its current period.
///
/// `limit` is the configured budget; ops' adjustments of this period are
/// `granted` (negative for a debit). The window's effective limit is
/// `limit + granted`, and `remaining = limit + granted - held - spent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowUsage {
    pub window: Window,
    pub period: String,
    pub limit: Option<Micros>,
    pub granted: Micros,
    pub held: Micros,
    pub spent: Micros,
    pub remaining: Option<Micros>,
    pub resets_at: Option<DateTime<Utc>>,
}

impl WindowUsage {
    /// `limit + granted`, or `None` for a window without a budget.
    pub fn effective_limit(&self) -> Option<Micros> {
        self.limit.map(|l| l.saturating_add(self.granted))
    }

    /// Share of the effective limit held or spent (`None` without a budget);
    /// a limit of zero or less counts as fully used.
    pub fn used_ratio(&self) -> Option<f64> {
        let limit = self.effective_limit()?;
        if limit <= 0 {
            return Some(1.0);
        }
        Some(self.held.saturating_add(self.spent) as f64 / limit as f64)
    }
}

/// Usage of one scope, all four windows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeUsage {
    pub scope: Scope,
    pub windows: Vec<WindowUsage>,
}

/// Filter of [`super::Ledger::list_holds`]; newest first.
#[derive(Debug, Clone, Default)]
pub struct HoldFilter {
    pub state: Option<HoldState>,
    pub tenant: Option<String>,
    pub limit: u32,
}

/// A hold as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldInfo {
    pub hold_id: String,
    pub tenant: String,
    pub feature: String,
    pub route: String,
    /// Amount taken at hold time.
    pub amount: Micros,
    /// Still counted in `held`.
    pub held: Micros,
    /// Counted in `spent` so far.
    pub captured: Micros,
    pub state: HoldState,
    pub render: bool,
    pub price_version: String,
    pub request_id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
}

/// A submitted job nobody has settled yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingJob {
    pub job_id: String,
    pub hold_id: String,
    pub tenant: String,
    pub feature: String,
    pub status_path: String,
    pub submitted_at: DateTime<Utc>,
}

/// One upstream job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    pub job_id: String,
    pub hold_id: String,
    pub tenant: String,
    pub feature: String,
    pub status_path: String,
    /// This job's share of the hold.
    pub held: Micros,
    /// Not settled by its outcome yet: pending, or expired (captured at
    /// its hold when the TTL passed, to be corrected when it finishes).
    pub pending: bool,
}

/// Kinds of journal entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JournalKind {
    Hold,
    Submit,
    Capture,
    Release,
    Expire,
    Adjust,
    /// Ops assigned resources to a tenant (amount 0; ids in `upstream_ids`).
    Assign,
}

impl JournalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JournalKind::Hold => "hold",
            JournalKind::Submit => "submit",
            JournalKind::Capture => "capture",
            JournalKind::Release => "release",
            JournalKind::Expire => "expire",
            JournalKind::Adjust => "adjust",
            JournalKind::Assign => "assign",
        }
    }

    /// Every kind, in lifecycle order.
    pub const ALL: [JournalKind; 7] = [
        JournalKind::Hold,
        JournalKind::Submit,
        JournalKind::Capture,
        JournalKind::Release,
        JournalKind::Expire,
        JournalKind::Adjust,
        JournalKind::Assign,
    ];

    pub fn parse(s: &str) -> Option<JournalKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One append-only journal row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub kind: JournalKind,
    pub hold_id: Option<String>,
    pub scope: Scope,
    pub tenant: Option<String>,
    pub feature: Option<String>,
    /// hold: held; capture/expire: captured; release: freed;
    /// adjust: the grant (+) or debit (-); submit: 0.
    pub amount: Micros,
    pub price_version: Option<String>,
    pub request_id: Option<String>,
    pub upstream_ids: Vec<String>,
    pub actor: Option<String>,
    pub reason: Option<String>,
}

/// Errors of every ledger operation.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LedgerError {
    /// Storage unreachable or failing: billable requests get 503.
    #[error("ledger unavailable: {0}")]
    Unavailable(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// A uniqueness rule was violated (e.g. a job id recorded under another hold).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The operation does not apply in the current state (e.g. submit on a released hold).
    #[error("invalid state: {0}")]
    InvalidState(String),
    /// A newer heygen-gateway migrated the ledger past this build: billable
    /// requests get 503, like [`LedgerError::Unavailable`].
    #[error("the ledger's schema is version {found} but this build knows {known}: it was written by a newer heygen-gateway. Run that version (or newer); downgrading is not supported")]
    SchemaTooNew { found: u32, known: u32 },
}
