//! Every ledger write, its steps written once and generic over [`Tx`]: the
//! primitives one backend transaction offers. A backend decides only how a
//! primitive reads or writes (SQL dialect, row locks, pipelining) and how a
//! transaction begins and commits; the order of the steps lives here.
//!
//! The SQLite backend's primitives are synchronous: their futures finish on
//! the first poll, so its worker drives an operation with [`run_ready`]
//! inside its group-commit transaction. PostgreSQL's await the server, so
//! independent writes joined here are pipelined in one round trip.

pub(crate) mod alerts;
pub(crate) mod asset_media;
pub(crate) mod books;
pub(crate) mod calibration;
pub(crate) mod contacts;
mod hold;
mod hold_batch;
pub(crate) mod outbox;
pub(crate) mod parked;
pub(crate) mod placeholders;
pub(crate) mod redeliver;
pub(crate) mod registry;
pub(crate) mod report;
pub(crate) mod retry;
pub(crate) mod session_claims;
pub(crate) mod session_minutes;
pub(crate) mod session_tokens;
pub(crate) mod sessions;
mod transitions;

use std::future::Future;
use std::task::{Context, Poll, Waker};

pub(crate) use hold::hold;
pub(crate) use hold_batch::{hold_batch, BatchItem};
pub(crate) use transitions::{adjust, capture, expire_one, release, settle_job, submit};

use super::decide::CounterSet;
use super::rows::{CounterKey, HoldRow, JobRow, JournalDraft, RowAccess};
use super::types::LedgerError;
use crate::money::Micros;

/// Primitives inside one transaction of a backend.
///
/// Lock order, the same in every operation so replicas cannot deadlock:
/// the hold row, then its job rows, then counter rows sorted by
/// (scope, win, period). Backends without row locks (SQLite holds the
/// database write lock for the whole transaction) make the locking
/// primitives plain reads.
pub(crate) trait Tx {
    /// A backend's error; PostgreSQL's keeps the SQLSTATE so a deadlock or
    /// serialization failure can retry the transaction.
    type Error: From<LedgerError>;

    /// Creates missing counter rows of `keys` and locks them in sorted
    /// order; returns their values (missing rows are zero).
    async fn counters_for_update(&self, keys: &[CounterKey]) -> Result<CounterSet, Self::Error>;

    /// Creates and locks `keys` before [`Tx::add_to_counters`] when their
    /// values are not needed.
    async fn lock_counters(&self, keys: &[CounterKey]) -> Result<(), Self::Error>;

    /// Adds to counter rows locked by one of the two above.
    async fn add_to_counters(
        &self,
        keys: &[CounterKey],
        held: Micros,
        spent: Micros,
    ) -> Result<(), Self::Error>;

    /// Renders in flight of one tenant, or of the whole org (`None`): open
    /// render holds with a job recorded, and those without one created at
    /// or after `held_since_us` (older ones' requests are gone, see
    /// [`crate::ledger::HoldRequest::render_lease`]).
    async fn count_renders(
        &self,
        tenant: Option<&str>,
        held_since_us: i64,
    ) -> Result<u64, Self::Error>;

    async fn insert_hold(&self, hold: &HoldRow) -> Result<(), Self::Error>;

    /// Writes the lifecycle columns (state, held_open, captured, settled).
    async fn update_hold(&self, hold: &HoldRow) -> Result<(), Self::Error>;

    async fn insert_journal(&self, entry: &JournalDraft) -> Result<(), Self::Error>;

    /// The hold, locked (first in the lock order).
    async fn hold_for_update(&self, hold_id: &str) -> Result<Option<HoldRow>, Self::Error>;

    /// The hold if it is due (`expires_us <= now_us`), locked; `None` too
    /// when another transaction holds its lock (it is being settled).
    async fn hold_to_expire(
        &self,
        hold_id: &str,
        now_us: i64,
    ) -> Result<Option<HoldRow>, Self::Error>;

    /// Which hold a job belongs to.
    async fn hold_id_of_job(&self, job_id: &str) -> Result<Option<String>, Self::Error>;

    /// Stored jobs with any of these ids, under any hold.
    async fn jobs_by_ids(&self, job_ids: &[String]) -> Result<Vec<JobRow>, Self::Error>;

    /// All jobs of a hold, locked (after the hold in the lock order).
    async fn jobs_of_hold(&self, hold_id: &str) -> Result<Vec<JobRow>, Self::Error>;

    async fn insert_job(&self, job: &JobRow) -> Result<(), Self::Error>;

    /// Writes the lifecycle columns (state, held_open, captured, source, settled).
    async fn update_job(&self, job: &JobRow) -> Result<(), Self::Error>;

    /// Runs one statement written once for both backends: `?N` placeholders,
    /// integers as BIGINT, `CAST(?N AS …)` where a type cannot be inferred.
    /// Returns the number of rows changed.
    async fn exec(&self, sql: &str, params: &[Param]) -> Result<u64, Self::Error>;

    /// [`Tx::exec`] for a query; `map` reads each row.
    async fn query<T>(
        &self,
        sql: &str,
        params: &[Param],
        map: fn(&dyn RowAccess) -> Result<T, LedgerError>,
    ) -> Result<Vec<T>, Self::Error>;

    /// Serializes this transaction, until it ends, after every other that
    /// locked the same `name`: for a rule over rows that may not exist yet
    /// (a tenant's endpoint count), which no row lock can guard. A no-op
    /// where the transaction already excludes other writers.
    async fn lock_name(&self, name: &str) -> Result<(), Self::Error>;

    /// Suffix of a `SELECT` claiming rows of table alias `alias` so that
    /// concurrent claimers skip them (empty where the transaction already
    /// excludes other writers).
    fn skip_locked(&self, alias: &str) -> String;
}

/// A statement parameter of [`Tx::exec`] / [`Tx::query`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
    Bool(bool),
    Null,
}

impl From<&str> for Param {
    fn from(s: &str) -> Self {
        Param::Text(s.to_string())
    }
}

impl From<String> for Param {
    fn from(s: String) -> Self {
        Param::Text(s)
    }
}

impl From<i64> for Param {
    fn from(i: i64) -> Self {
        Param::Int(i)
    }
}

impl From<bool> for Param {
    fn from(b: bool) -> Self {
        Param::Bool(b)
    }
}

impl<T: Into<Param>> From<Option<T>> for Param {
    fn from(v: Option<T>) -> Self {
        v.map_or(Param::Null, Into::into)
    }
}

/// Drives an operation over primitives that never wait (SQLite's) to its
/// result. A primitive that did wait would be a backend bug; it is reported
/// as an error rather than blocking the worker thread.
pub(crate) fn run_ready<T>(
    op: impl Future<Output = Result<T, LedgerError>>,
) -> Result<T, LedgerError> {
    let mut op = std::pin::pin!(op);
    match op.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(r) => r,
        Poll::Pending => Err(LedgerError::Unavailable(
            "ledger operation waited on a synchronous backend".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ready_returns_a_finished_result() {
        assert_eq!(run_ready(async { Ok::<_, LedgerError>(7) }).unwrap(), 7);
    }

    #[test]
    fn run_ready_reports_a_primitive_that_waits() {
        let mut polled = false;
        let waits = std::future::poll_fn(move |_| {
            if polled {
                Poll::Ready(Ok(()))
            } else {
                polled = true;
                Poll::Pending
            }
        });
        assert!(matches!(run_ready(waits), Err(LedgerError::Unavailable(_))));
    }
}
