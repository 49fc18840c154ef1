//! Request, decision and row types of the ledger API, shared by every backend.
//!
//! The scope, usage, adjustment, idempotency and error types live here; the
//! hold request and its decision are in `hold`, the hold states and what a
//! settlement or expiry moved in `settle`, a batch job's items in `items`,
//! and the stored rows and their filters in `stored`. All
//! are re-exported, so callers name them `ledger::types::X` (or `ledger::X`).

mod hold;
mod items;
mod settle;
mod stored;

pub use hold::*;
pub use items::*;
pub use settle::*;
pub use stored::*;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::window::Window;
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
    /// The admin call's `Idempotency-Key`: a retry with it applies nothing
    /// twice (`AdjustOutcome::Replayed`).
    pub key: Option<String>,
}

/// What [`crate::ledger::Ledger::adjust`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdjustOutcome {
    Applied,
    /// Its key was already used for this very adjustment: nothing changed.
    Replayed,
    /// Its key was already used for another adjustment: nothing changed.
    KeyReused,
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

/// The creation times (µs) `idem_begin` compares a stored key with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdemCutoffs {
    pub now_us: i64,
    /// Created before this: forgotten ([`super::IDEMPOTENCY_TTL`]).
    pub expired_us: i64,
    /// Still pending and created before this: its lease ran out.
    pub stale_us: i64,
}

impl IdemCutoffs {
    pub(crate) fn new(now: DateTime<Utc>, lease: std::time::Duration) -> Self {
        let ttl = super::IDEMPOTENCY_TTL;
        // A lease past the TTL (absurd timeouts) changes nothing: expiry
        // frees the key first.
        let lease = chrono::Duration::from_std(lease).map_or(ttl, |l| l.min(ttl));
        let us = |t: DateTime<Utc>| t.timestamp_micros();
        IdemCutoffs {
            now_us: us(now),
            expired_us: us(now - ttl),
            stale_us: us(now - lease),
        }
    }
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
    /// The database refused the statement for a reason the same statement
    /// would meet again (a CHECK or NOT NULL constraint, a value out of
    /// range, a column it cannot convert, a corrupt file). Billable requests
    /// get 503 like [`LedgerError::Unavailable`], but work that waits for the
    /// ledger to come back (a kept session stop) does not wait for this.
    #[error("ledger refused the operation: {0}")]
    Refused(String),
    /// The database refused text it cannot store (PostgreSQL's SQLSTATE
    /// 22021 or 22P05: a NUL byte in text). Such text comes from a request
    /// that got past the checks in front: the client gets 400, and the
    /// ledger is not failing (not counted, no alert).
    #[error("ledger refused a value as invalid data: {0}")]
    BadInput(String),
}

impl LedgerError {
    /// Whether the same operation may well succeed later: the storage was
    /// unreachable, busy, restarting or out of resources. Only these are
    /// worth keeping work in memory for until the ledger is back.
    pub fn is_transient(&self) -> bool {
        matches!(self, LedgerError::Unavailable(_))
    }

    /// Whether this is a failure to count and alert on as a ledger error.
    /// Not [`LedgerError::SchemaTooNew`]: a replica a newer build left
    /// behind refuses by design, and `schema_guard` reports that once (gauge
    /// and alert); counting each refused request would page on-call again
    /// for every request until the replica is replaced. Not
    /// [`LedgerError::BadInput`] either: a client can send that at will,
    /// and the ledger is working.
    pub fn is_failure(&self) -> bool {
        !matches!(
            self,
            LedgerError::SchemaTooNew { .. } | LedgerError::BadInput(_)
        )
    }
}
