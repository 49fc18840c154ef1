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
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => LedgerError::Conflict(e.to_string()),
        _ => LedgerError::Unavailable(format!("sqlite: {e}")),
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
