//! Ledger audit (`ledger verify`): reads the whole ledger in one read-only
//! snapshot and recomputes every counter row and every hold from the
//! append-only journal, reporting each place where the two disagree.
//!
//! Reading (`read`) is the only part that touches a backend; the checks
//! (`replay`, `check`) are pure functions of the [`snapshot::Snapshot`], so
//! they are unit-tested without a database and behave identically on both
//! backends.

mod check;
mod check_holds;
mod check_refs;
mod read;
mod replay;
mod report;
mod snapshot;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub use report::{AtEstimate, Check, IdempotencyStats, Report, Stats, Violation, AT_ESTIMATE};

use super::types::LedgerError;
use crate::config::{ProcessEnv, StoreConfig};

/// Default tolerance past a hold's `expires_at` before an open hold counts
/// as overdue: expiry runs periodically, not at the exact instant.
pub const DEFAULT_GRACE_SECONDS: u64 = 600;

/// What a verification compares against.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// `plan.timezone`: adjustments are journaled without their period, so
    /// the period is recomputed from the entry's time in this zone.
    pub tz: Tz,
    /// "Now" for the overdue check.
    pub now: DateTime<Utc>,
    /// Seconds an open hold may be past `expires_at` before it is reported.
    pub grace_seconds: u64,
}

/// Reads the configured store in one read-only snapshot and checks it.
/// Safe against a live ledger: it opens its own connection, never writes,
/// and never migrates (SQLite: a `query_only` connection in one read
/// transaction; PostgreSQL: `REPEATABLE READ READ ONLY`). A ledger a newer
/// build migrated is refused ([`LedgerError::SchemaTooNew`]) rather than
/// replayed under this build's rules: a report that could be wrong either
/// way (false violations, or a clean bill for books it cannot read) is
/// worse than none, and the newer build's `ledger verify` reads it right.
pub async fn verify(store: &StoreConfig, opts: &AuditOptions) -> Result<Report, LedgerError> {
    let snap = match store {
        StoreConfig::Sqlite { path } => read::sqlite(path).await?,
        StoreConfig::Postgres { url, password, .. } => {
            let password = crate::ledger::store_password(password.as_ref(), &ProcessEnv)?;
            read::postgres(url, password.as_ref()).await?
        }
    };
    Ok(check::check(&snap, opts))
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_damage;
#[cfg(test)]
mod tests_replay;
