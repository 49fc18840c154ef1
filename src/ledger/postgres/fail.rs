//! The PostgreSQL backend's internal error and row access: [`Fail`] keeps a
//! database error's SQLSTATE so transactions can be retried, [`pg_err`] maps
//! it to a [`LedgerError`], and [`PgRow`] reads stored rows.
//!
//! Its own file because every query module (`tx`, `read`, `idem`, `batch`,
//! and the audit's reader) shares it, apart from the `Ledger` impl in `mod.rs`.

use tokio_postgres::error::SqlState;

use crate::ledger::rows::RowAccess;
use crate::ledger::types::LedgerError;

/// Internal error: a database error keeps its SQLSTATE so the transaction
/// can be retried on deadlock or serialization failure.
#[derive(Debug)]
pub(in crate::ledger) enum Fail {
    Db(tokio_postgres::Error),
    Ledger(LedgerError),
}

impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Self {
        Fail::Db(e)
    }
}

impl From<LedgerError> for Fail {
    fn from(e: LedgerError) -> Self {
        Fail::Ledger(e)
    }
}

impl Fail {
    pub(in crate::ledger) fn retryable(&self) -> bool {
        matches!(self, Fail::Db(e) if e.code() == Some(&SqlState::T_R_DEADLOCK_DETECTED)
            || e.code() == Some(&SqlState::T_R_SERIALIZATION_FAILURE))
    }

    pub(in crate::ledger) fn into_ledger(self) -> LedgerError {
        match self {
            Fail::Ledger(e) => e,
            Fail::Db(e) => pg_err(e),
        }
    }
}

pub(super) fn pg_err(e: tokio_postgres::Error) -> LedgerError {
    match e.as_db_error() {
        Some(db) if db.code() == &SqlState::UNIQUE_VIOLATION => {
            LedgerError::Conflict(db.message().to_string())
        }
        Some(db) => {
            LedgerError::Unavailable(format!("postgres: {}: {}", db.code().code(), db.message()))
        }
        None => LedgerError::Unavailable(format!("postgres: {e}")),
    }
}

/// [`RowAccess`] over a tokio-postgres row.
pub(in crate::ledger) struct PgRow<'a>(pub &'a tokio_postgres::Row);

impl RowAccess for PgRow<'_> {
    fn text(&self, i: usize) -> Result<String, LedgerError> {
        self.0.try_get(i).map_err(pg_err)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, LedgerError> {
        self.0.try_get(i).map_err(pg_err)
    }
    fn int(&self, i: usize) -> Result<i64, LedgerError> {
        self.0.try_get(i).map_err(pg_err)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, LedgerError> {
        self.0.try_get(i).map_err(pg_err)
    }
    fn flag(&self, i: usize) -> Result<bool, LedgerError> {
        self.0.try_get(i).map_err(pg_err)
    }
}
