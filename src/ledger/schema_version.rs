//! [`SchemaVersions`]: which migration a ledger was brought to, against the
//! migrations this build knows.
//!
//! A newer gateway migrates the ledger at open; a build older than that
//! does not know what the newer migrations mean (a column another replica
//! relies on, a row it reads differently), so writing under its own rules
//! could charge wrongly. Opening such a ledger is refused here, in the
//! ledger; what a running process does when the ledger moves past it while
//! it runs (readiness, admissions) is decided above, from
//! [`SchemaVersions::schema_version`].

use async_trait::async_trait;

use super::types::LedgerError;

/// Migrations this build knows: the first (kept verbatim per backend) and
/// the shared ones. Both backends have the same count (a unit test of each
/// checks it), so the audit can compare without opening a backend.
pub(crate) const KNOWN: u32 = 1 + super::schema::SHARED_COUNT;

/// The ledger's schema version and this build's newest migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaVersion {
    /// The version the ledger was migrated to (0: never migrated).
    pub found: u32,
    /// The newest migration this build knows.
    pub known: u32,
}

impl SchemaVersion {
    /// The newest migration this build knows, for reporting it before the
    /// ledger's version is first read.
    pub const KNOWN: u32 = KNOWN;

    /// `found` as the store reports it (SQLite's `user_version`, the largest
    /// row of PostgreSQL's `ledger_migrations`) against [`KNOWN`]. A negative
    /// version is no migration of ours: it counts as none, as `migrate`
    /// treats it.
    pub(crate) fn of(found: i64) -> SchemaVersion {
        SchemaVersion {
            found: u32::try_from(found.max(0)).unwrap_or(u32::MAX),
            known: KNOWN,
        }
    }

    /// A newer heygen-gateway migrated the ledger past this build.
    pub fn is_newer(&self) -> bool {
        self.found > self.known
    }

    /// `Err(`[`LedgerError::SchemaTooNew`]`)` when [`Self::is_newer`].
    pub fn refuse_newer(self) -> Result<SchemaVersion, LedgerError> {
        if self.is_newer() {
            return Err(LedgerError::SchemaTooNew {
                found: self.found,
                known: self.known,
            });
        }
        Ok(self)
    }
}

/// The schema version of the store, read now; both backends.
#[async_trait]
pub trait SchemaVersions: Send + Sync + 'static {
    /// One cheap read of the version another process may have moved since
    /// this one opened the ledger (a newer replica of a shared PostgreSQL
    /// ledger, or a newer CLI on the same SQLite file).
    async fn schema_version(&self) -> Result<SchemaVersion, LedgerError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_version_past_the_build_is_refused() {
        assert!(SchemaVersion::of(i64::from(KNOWN)).refuse_newer().is_ok());
        assert!(SchemaVersion::of(0).refuse_newer().is_ok());
        assert!(SchemaVersion::of(-3).refuse_newer().is_ok());
        let err = SchemaVersion::of(i64::from(KNOWN) + 1)
            .refuse_newer()
            .unwrap_err()
            .to_string();
        let want = format!(
            "the ledger's schema is version {} but this build knows {KNOWN}",
            KNOWN + 1
        );
        assert!(err.contains(&want), "{err}");
        assert!(err.contains("downgrading is not supported"), "{err}");
    }
}
