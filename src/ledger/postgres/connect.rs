//! Opening the PostgreSQL ledger: the connection pool, migrations at
//! connect, and the pooled-client and clock helpers every operation uses.
//!
//! Its own file because connection setup is apart from the `Ledger`
//! operations in `mod.rs`, which only borrow a client from the pool.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};

use super::tls::MakeRustls;
use super::{batch, pg_err, pool_err, schema, PostgresLedger};
use crate::clock::{Clock, SystemClock};
use crate::config::{PgUrl, Secret};
use crate::ledger::rows::to_us;
use crate::ledger::types::LedgerError;

/// How long a request waits for a pooled connection (or a new one) before
/// the ledger is reported unavailable.
const POOL_TIMEOUT: Duration = Duration::from_secs(5);

impl PostgresLedger {
    /// Connects, applies migrations, and keeps a pool of `pool_size`.
    pub async fn connect(url: &str, pool_size: u32) -> Result<PostgresLedger, LedgerError> {
        Self::connect_with_clock(url, pool_size, Arc::new(SystemClock)).await
    }

    /// [`PostgresLedger::connect`] with a clock for submit and settlement times.
    pub async fn connect_with_clock(
        url: &str,
        pool_size: u32,
        clock: Arc<dyn Clock>,
    ) -> Result<PostgresLedger, LedgerError> {
        Self::connect_as(url, None, pool_size, clock).await
    }

    /// [`PostgresLedger::connect_with_clock`] logging in with `password`
    /// (`store.password_env`) instead of the URL's.
    pub async fn connect_as(
        url: &str,
        password: Option<Secret>,
        pool_size: u32,
        clock: Arc<dyn Clock>,
    ) -> Result<PostgresLedger, LedgerError> {
        let (config, tls) = pg_config(url, password.as_ref(), "heygen-gateway", POOL_TIMEOUT)?;
        let manager = Manager::from_config(
            config,
            tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1) as usize)
            .wait_timeout(Some(POOL_TIMEOUT))
            .create_timeout(Some(POOL_TIMEOUT))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| LedgerError::Unavailable(format!("postgres pool: {e}")))?;
        let holds = batch::HoldQueue::start(pool.clone(), POOL_TIMEOUT);
        let ledger = PostgresLedger { pool, clock, holds };
        let mut client = ledger.client().await?;
        schema::migrate(&mut client)
            .await
            .map_err(pg_err)?
            .refuse_newer()?;
        drop(client);
        Ok(ledger)
    }

    pub(super) async fn client(&self) -> Result<deadpool_postgres::Object, LedgerError> {
        self.pool.get().await.map_err(pool_err)
    }

    pub(super) fn now_us(&self) -> i64 {
        to_us(self.clock.now())
    }
}

/// `url` read as libpq reads it (`config::PgUrl`: `sslmode`, `sslrootcert`)
/// with `password` if given, a connect timeout unless the URL sets one, and the TLS connector
/// for its policy. Shared with the read-only `ledger verify`.
pub(crate) fn pg_config(
    url: &str,
    password: Option<&Secret>,
    application: &str,
    timeout: Duration,
) -> Result<(tokio_postgres::Config, MakeRustls), LedgerError> {
    let invalid = |why: String| LedgerError::Unavailable(format!("invalid postgres url: {why}"));
    let PgUrl {
        mut config,
        tls,
        client_cert,
    } = PgUrl::parse(url).map_err(invalid)?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(timeout);
    }
    config.application_name(application);
    if let Some(password) = password {
        config.password(password.expose());
    }
    let tls = MakeRustls::new(&tls, client_cert.as_ref()).map_err(|e| invalid(e.to_string()))?;
    Ok((config, tls))
}
