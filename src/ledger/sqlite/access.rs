//! SQLite error mapping and row access: [`sql_err`] maps a rusqlite error
//! to a [`LedgerError`], [`SqlRow`] reads stored rows, and [`query_rows`]
//! runs a cached query and maps what it returns.
//!
//! Its own file because every query module (`tx`, `read`, `idem`, and the
//! audit's reader) shares it, apart from the `Ledger` impl in `mod.rs`.

use rusqlite::Connection;

use crate::ledger::rows::RowAccess;
use crate::ledger::types::LedgerError;

pub(in crate::ledger) fn sql_err(e: rusqlite::Error) -> LedgerError {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::ConstraintViolation) => LedgerError::Conflict(e.to_string()),
        // Another process holds the file, or the disk, memory, file system
        // or its permissions failed: a retry may get past these.
        Some(
            C::DatabaseBusy
            | C::DatabaseLocked
            | C::SystemIoFailure
            | C::DiskFull
            | C::CannotOpen
            | C::OutOfMemory
            | C::ReadOnly
            | C::PermissionDenied
            | C::FileLockingProtocolFailed
            | C::OperationInterrupted,
        ) => LedgerError::Unavailable(format!("sqlite: {e}")),
        // A corrupt file, a value out of range, a column of the wrong type,
        // a statement the schema does not fit: the same call fails again.
        _ => LedgerError::Refused(format!("sqlite: {e}")),
    }
}

/// [`RowAccess`] over a rusqlite row.
pub(in crate::ledger) struct SqlRow<'a, 'b>(pub &'a rusqlite::Row<'b>);

impl RowAccess for SqlRow<'_, '_> {
    fn text(&self, i: usize) -> Result<String, LedgerError> {
        self.0.get(i).map_err(sql_err)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, LedgerError> {
        self.0.get(i).map_err(sql_err)
    }
    fn int(&self, i: usize) -> Result<i64, LedgerError> {
        self.0.get(i).map_err(sql_err)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, LedgerError> {
        self.0.get(i).map_err(sql_err)
    }
    fn flag(&self, i: usize) -> Result<bool, LedgerError> {
        self.0.get(i).map_err(sql_err)
    }
}

/// Runs a cached query and maps every row it returns.
pub(in crate::ledger) fn query_rows<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl Fn(SqlRow<'_, '_>) -> Result<T, LedgerError>,
) -> Result<Vec<T>, LedgerError> {
    let mut stmt = conn.prepare_cached(sql).map_err(sql_err)?;
    let mut rows = stmt.query(params).map_err(sql_err)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(sql_err)? {
        out.push(map(SqlRow(r))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    /// A busy, locked or failing file may work on a retry; a corrupt file
    /// or a value the schema rejects will not; a constraint is a conflict.
    #[test]
    fn errors_are_transient_only_when_a_retry_may_pass() {
        use rusqlite::ffi;
        for code in [
            ffi::SQLITE_BUSY,
            ffi::SQLITE_LOCKED,
            ffi::SQLITE_IOERR,
            ffi::SQLITE_FULL,
        ] {
            assert!(sql_err(failure(code)).is_transient(), "{code}");
        }
        for code in [
            ffi::SQLITE_CORRUPT,
            ffi::SQLITE_MISMATCH,
            ffi::SQLITE_TOOBIG,
            ffi::SQLITE_ERROR,
        ] {
            assert!(
                matches!(sql_err(failure(code)), LedgerError::Refused(_)),
                "{code}"
            );
        }
        let conflict = sql_err(failure(ffi::SQLITE_CONSTRAINT));
        assert!(matches!(conflict, LedgerError::Conflict(_)));
        let unreadable = sql_err(rusqlite::Error::InvalidColumnType(
            0,
            "x".into(),
            rusqlite::types::Type::Text,
        ));
        assert!(matches!(unreadable, LedgerError::Refused(_)));
    }
}
