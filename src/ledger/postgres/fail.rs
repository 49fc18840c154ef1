//! The PostgreSQL backend's internal error and row access: [`Fail`] keeps a
//! database error's SQLSTATE so transactions can be retried, [`pg_err`] maps
//! it to a [`LedgerError`], and [`PgRow`] reads stored rows.
//!
//! Its own file because every query module (`tx`, `read`, `idem`, `batch`,
//! and the audit's reader) shares it, apart from the `Ledger` impl in `mod.rs`.

use tokio_postgres::error::SqlState;

use crate::http::error_chain;
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
            let what = format!("postgres: {}: {}", db.code().code(), db.message());
            refusal(db.code(), what)
        }
        // No SQLSTATE: the connection broke, timed out or never came up;
        // what happened is in the error's sources.
        None => LedgerError::Unavailable(format!("postgres: {}", error_chain(&e))),
    }
}

/// No pooled connection could be had. Why a new one failed (the server's
/// `FATAL`, a certificate refused) is only in the backend error's sources,
/// so they are all kept: on-call reads this at startup and in 503 logs.
pub(super) fn pool_err(e: deadpool_postgres::PoolError) -> LedgerError {
    let why = match &e {
        deadpool_postgres::PoolError::Backend(pg) => format!("connecting: {}", error_chain(pg)),
        other => other.to_string(),
    };
    LedgerError::Unavailable(format!("postgres pool: {why}"))
}

/// A statement the server refused with `code` (other than uniqueness).
fn refusal(code: &SqlState, what: String) -> LedgerError {
    // Text the statement carried that PostgreSQL cannot store (a NUL is
    // 22021): a value from a request, not the statement or the server.
    // Other data exceptions (class 22: a number out of range, a bad date)
    // come from the gateway's own arithmetic and stay failures on-call sees.
    if *code == SqlState::CHARACTER_NOT_IN_REPERTOIRE || *code == SqlState::UNTRANSLATABLE_CHARACTER
    {
        LedgerError::BadInput(what)
    } else if transient(code) {
        LedgerError::Unavailable(what)
    } else {
        LedgerError::Refused(what)
    }
}

/// SQLSTATEs a retry may get past: the server or the connection to it
/// (classes 08, 53, 57, 58: restarting, out of connections, memory or
/// disk, shut down by an operator), a transaction the server rolled back
/// (40: deadlock, serialization) or a lock it would not wait for, and a
/// server that is read-only for now (a standby before its promotion).
/// Everything else (data exceptions, constraints other than uniqueness,
/// a missing table) would fail the same way again.
fn transient(code: &SqlState) -> bool {
    let code = code.code();
    ["08", "40", "53", "57", "58"]
        .iter()
        .any(|class| code.starts_with(class))
        || code == SqlState::LOCK_NOT_AVAILABLE.code()
        || code == SqlState::OBJECT_IN_USE.code()
        || code == SqlState::READ_ONLY_SQL_TRANSACTION.code()
}

/// A stored value this build cannot read: the same row fails every time.
fn row_err(e: tokio_postgres::Error) -> LedgerError {
    LedgerError::Refused(format!("postgres: {e}"))
}

/// [`RowAccess`] over a tokio-postgres row.
pub(in crate::ledger) struct PgRow<'a>(pub &'a tokio_postgres::Row);

impl RowAccess for PgRow<'_> {
    fn text(&self, i: usize) -> Result<String, LedgerError> {
        self.0.try_get(i).map_err(row_err)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, LedgerError> {
        self.0.try_get(i).map_err(row_err)
    }
    fn int(&self, i: usize) -> Result<i64, LedgerError> {
        self.0.try_get(i).map_err(row_err)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, LedgerError> {
        self.0.try_get(i).map_err(row_err)
    }
    fn flag(&self, i: usize) -> Result<bool, LedgerError> {
        self.0.try_get(i).map_err(row_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a retry may get past is kept apart from what it would meet
    /// again: a kept session stop waits only for the former.
    #[test]
    fn sqlstates_are_transient_only_when_a_retry_may_pass() {
        for code in [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::CONNECTION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::DISK_FULL,
            SqlState::TOO_MANY_CONNECTIONS,
            SqlState::IO_ERROR,
            SqlState::LOCK_NOT_AVAILABLE,
            SqlState::READ_ONLY_SQL_TRANSACTION,
        ] {
            assert!(transient(&code), "{}", code.code());
        }
        for code in [
            SqlState::CHECK_VIOLATION,
            SqlState::NOT_NULL_VIOLATION,
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            SqlState::UNDEFINED_TABLE,
            SqlState::UNDEFINED_COLUMN,
            SqlState::DATA_CORRUPTED,
            SqlState::RAISE_EXCEPTION,
        ] {
            assert!(!transient(&code), "{}", code.code());
        }
    }

    /// Text PostgreSQL cannot store (a NUL above all) is the request's bad
    /// input, not the ledger failing.
    #[test]
    fn data_exceptions_are_bad_input() {
        for code in [
            SqlState::CHARACTER_NOT_IN_REPERTOIRE,
            SqlState::UNTRANSLATABLE_CHARACTER,
        ] {
            let e = refusal(&code, "x".into());
            assert!(matches!(e, LedgerError::BadInput(_)), "{}", code.code());
            assert!(!e.is_failure());
        }
        // The ledger's own numbers out of range are its failure, counted.
        for code in [
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            SqlState::CHECK_VIOLATION,
        ] {
            let e = refusal(&code, "x".into());
            assert!(matches!(e, LedgerError::Refused(_)), "{}", code.code());
            assert!(e.is_failure());
        }
        let down = refusal(&SqlState::ADMIN_SHUTDOWN, "x".into());
        assert!(matches!(down, LedgerError::Unavailable(_)));
    }
}
