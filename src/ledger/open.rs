//! Opening the configured backend (`store.url`): SQLite in-process, or a
//! PostgreSQL pool logging in with `store.password_env` / `password_file`
//! when set. Every command that reads the ledger comes through here.

use std::sync::Arc;

use super::{Ledger, LedgerError, PostgresLedger, SqliteLedger};
use crate::clock::{Clock, SystemClock};
use crate::config::{EnvSource, ProcessEnv, Secret, SecretSource, StoreConfig};

/// Opens the configured backend with the system clock.
pub async fn open_ledger(store: &StoreConfig) -> Result<Arc<dyn Ledger>, LedgerError> {
    open_ledger_with_clock(store, Arc::new(SystemClock)).await
}

/// Opens the configured backend; `clock` timestamps settlements, submits
/// and journal rows that take no explicit `now`. A `store.password_env`
/// is read from the process environment.
pub async fn open_ledger_with_clock(
    store: &StoreConfig,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn Ledger>, LedgerError> {
    open_ledger_in(store, clock, &ProcessEnv).await
}

/// [`open_ledger_with_clock`] reading `store.password_env` from `env`.
pub async fn open_ledger_in(
    store: &StoreConfig,
    clock: Arc<dyn Clock>,
    env: &dyn EnvSource,
) -> Result<Arc<dyn Ledger>, LedgerError> {
    match store {
        StoreConfig::Sqlite { path } => {
            let l = SqliteLedger::open_with_clock(path, clock).await?;
            Ok(Arc::new(l))
        }
        StoreConfig::Postgres {
            url,
            pool_size,
            password,
        } => {
            let password = store_password(password.as_ref(), env)?;
            let l = PostgresLedger::connect_as(url, password, *pool_size, clock).await?;
            Ok(Arc::new(l))
        }
    }
}

/// The PostgreSQL password `store.password_env` / `password_file` names;
/// the error names the source, never a value.
pub(crate) fn store_password(
    source: Option<&SecretSource>,
    env: &dyn EnvSource,
) -> Result<Option<Secret>, LedgerError> {
    source
        .map(|s| s.resolve(env))
        .transpose()
        .map_err(|e| LedgerError::Unavailable(format!("the PostgreSQL password: {e}")))
}
