//! Opening the SQLite ledger: creating its directory and file, configuring
//! and migrating the connection, and handing it to the worker thread; and
//! the clock helper every operation uses.
//!
//! Its own file because opening is apart from the `Ledger` operations in
//! `mod.rs`, which only send closures to the worker.

use std::path::Path;
use std::sync::Arc;

use rusqlite::Connection;

use super::worker::Worker;
use super::{schema, SqliteLedger};
use crate::clock::{Clock, SystemClock};
use crate::ledger::rows::to_us;
use crate::ledger::types::LedgerError;

impl SqliteLedger {
    /// Opens (creating it and its parent directory if needed) the ledger file.
    pub async fn open(path: &Path) -> Result<SqliteLedger, LedgerError> {
        Self::open_with_clock(path, Arc::new(SystemClock)).await
    }

    /// [`SqliteLedger::open`] with a clock for submit and settlement times.
    pub async fn open_with_clock(
        path: &Path,
        clock: Arc<dyn Clock>,
    ) -> Result<SqliteLedger, LedgerError> {
        let path = path.to_path_buf();
        let conn = tokio::task::spawn_blocking(move || open_conn(&path))
            .await
            .map_err(|e| LedgerError::Unavailable(format!("ledger open task: {e}")))??;
        Ok(SqliteLedger {
            worker: Worker::start(conn)?,
            clock,
        })
    }

    pub(super) fn now_us(&self) -> i64 {
        to_us(self.clock.now())
    }
}

fn open_conn(path: &Path) -> Result<Connection, LedgerError> {
    let unavailable = |what: &str, e: &dyn std::fmt::Display| {
        LedgerError::Unavailable(format!("{what} {}: {e}", path.display()))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| unavailable("cannot create directory for", &e))?;
    }
    let mut conn = Connection::open(path).map_err(|e| unavailable("cannot open", &e))?;
    schema::configure(&conn).map_err(|e| unavailable("cannot configure", &e))?;
    schema::migrate(&mut conn)
        .map_err(|e| unavailable("cannot migrate", &e))?
        .refuse_newer()?;
    Ok(conn)
}
