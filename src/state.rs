//! Shared state. Reloadable data lives in one `ArcSwap<Runtime>`; a request
//! loads the snapshot once, so auth, limits, pricing and routing all see the
//! same config version even if a reload lands mid-request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::auth::KeyStore;
use crate::clock::Clock;
use crate::config::{Config, EnvSource, Secret};
use crate::error::GatewayError;
use crate::ledger::{Ledger, LedgerError};
use crate::limits::RateLimiter;
use crate::metrics::{Metrics, ThresholdTracker};
use crate::proxy::client::Upstream;

/// One validated config and what is derived from it.
pub struct Runtime {
    pub config: Arc<Config>,
    pub keys: KeyStore,
}

impl Runtime {
    pub fn new(config: Config) -> Runtime {
        let keys = KeyStore::new(&config);
        Runtime {
            config: Arc::new(config),
            keys,
        }
    }
}

pub struct AppState {
    pub runtime: ArcSwap<Runtime>,
    pub upstream: Upstream,
    pub ledger: Arc<dyn Ledger>,
    pub metrics: Metrics,
    pub thresholds: ThresholdTracker,
    pub registry: prometheus::Registry,
    pub limiter: RateLimiter,
    pub clock: Arc<dyn Clock>,
    pub env: Arc<dyn EnvSource>,
    pub admin_token: Option<Secret>,
    pub webhook_secret: Option<Secret>,
    pub config_path: Option<std::path::PathBuf>,
    /// Work that must finish before shutdown completes even when no client
    /// waits for it: billable admissions and settlements.
    pub tasks: tokio_util::task::TaskTracker,
    ready: AtomicBool,
    draining: AtomicBool,
}

impl AppState {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        config: Config,
        upstream: Upstream,
        ledger: Arc<dyn Ledger>,
        metrics: Metrics,
        registry: prometheus::Registry,
        clock: Arc<dyn Clock>,
        env: Arc<dyn EnvSource>,
        admin_token: Option<Secret>,
        webhook_secret: Option<Secret>,
        config_path: Option<std::path::PathBuf>,
    ) -> AppState {
        let limiter = RateLimiter::new(&config.tenants);
        let thresholds = ThresholdTracker::new(metrics.clone(), &config.metrics.alert_thresholds);
        AppState {
            runtime: ArcSwap::from_pointee(Runtime::new(config)),
            upstream,
            ledger,
            metrics,
            thresholds,
            registry,
            limiter,
            clock,
            env,
            admin_token,
            webhook_secret,
            config_path,
            tasks: tokio_util::task::TaskTracker::new(),
            ready: AtomicBool::new(false),
            draining: AtomicBool::new(false),
        }
    }

    /// Logs and counts a ledger failure once, and maps it to the edge error
    /// (503 for an unreachable store: costed requests fail closed).
    pub fn ledger_down(&self, op: &str, e: &LedgerError) -> GatewayError {
        self.metrics.ledger_error(op);
        tracing::error!(op, error = %e, "Ledger operation failed.");
        match e {
            LedgerError::Unavailable(_) => GatewayError::LedgerUnavailable,
            _ => GatewayError::Internal,
        }
    }

    pub fn snapshot(&self) -> Arc<Runtime> {
        self.runtime.load_full()
    }

    pub fn set_ready(&self, v: bool) {
        self.ready.store(v, Ordering::SeqCst);
    }

    pub fn set_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
        self.metrics.set_draining(true);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst) && !self.is_draining()
    }

    /// Swaps in a new validated config. Budgets keep their usage because the
    /// ledger tracks every window whether or not a budget is configured.
    pub fn install(&self, config: Config) {
        self.limiter.reconfigure(&config.tenants);
        self.thresholds
            .set_thresholds(&config.metrics.alert_thresholds);
        let old = self.snapshot();
        for t in &old.config.tenants {
            if config.tenant(&t.id).is_none() {
                self.metrics.forget_scope(&t.id);
                self.thresholds.forget_scope(&t.id);
            }
        }
        self.runtime.store(Arc::new(Runtime::new(config)));
    }
}

impl AppState {
    /// Re-reads and validates the config file off the hot path, then swaps it
    /// in atomically. On failure the old config stays and the failure is counted.
    pub fn reload(&self) -> Result<(), crate::config::ConfigErrors> {
        let result = match &self.config_path {
            Some(path) => Config::load(path),
            None => Err(crate::config::ConfigErrors(vec![
                crate::config::ConfigError::new(
                    "",
                    "this gateway was started without a config file; nothing to reload",
                ),
            ])),
        };
        match result {
            Ok(new) => {
                let old = self.snapshot();
                let restart_only = [
                    (
                        "server.listen",
                        old.config.server.listen != new.server.listen,
                    ),
                    (
                        "server.admin_listen",
                        old.config.server.admin_listen != new.server.admin_listen,
                    ),
                    ("store.url", old.config.store != new.store),
                    (
                        "server connection limits and timeouts",
                        old.config.server.conn != new.server.conn,
                    ),
                    (
                        "upstream",
                        old.config.upstream.api != new.upstream.api
                            || old.config.upstream.upload != new.upstream.upload,
                    ),
                ];
                for (key, changed) in restart_only {
                    if changed {
                        tracing::warn!(key, "Changed key takes effect only after a restart.");
                    }
                }
                self.install(new);
                self.metrics.config_reload(true);
                tracing::info!("Configuration reloaded.");
                Ok(())
            }
            Err(errs) => {
                self.metrics.config_reload(false);
                tracing::error!(errors = %errs, "Configuration reload failed; keeping the previous configuration.");
                Err(errs)
            }
        }
    }
}
