//! Shared state. Reloadable data lives in one `ArcSwap<Runtime>`; a request
//! loads the snapshot once, so auth, limits, pricing and routing all see the
//! same config version even if a reload lands mid-request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::alerts::Alerts;
use crate::auth::KeyStore;
use crate::clock::Clock;
use crate::config::{Config, EnvSource, Secret};
use crate::egress::EgressGuard;
use crate::ledger::{Ledger, LedgerError};
use crate::limits::RateLimiter;
use crate::metrics::{Metrics, ThresholdTracker};
use crate::probe::Prober;
use crate::upstream::Upstream;

/// One validated config and what is derived from it.
pub struct Runtime {
    pub config: Arc<Config>,
    pub keys: KeyStore,
    /// The one guard every call to a tenant-given URL goes through (webhook
    /// deliveries, endpoint checks, media probing), built from this
    /// config's `[egress]` (`None` only if TLS could not be set up: then
    /// such calls are not made).
    pub egress: Option<EgressGuard>,
    /// Reads media lengths (pricing inputs, finished outputs) through
    /// [`Runtime::egress`].
    pub prober: Option<Prober>,
}

impl Runtime {
    pub fn new(config: Config) -> Runtime {
        let keys = KeyStore::new(&config);
        let egress = match EgressGuard::new(&config.egress) {
            Ok(guard) => Some(guard),
            Err(e) => {
                tracing::error!(error = %e, "Cannot build the egress guard; no tenant-given URL will be called.");
                None
            }
        };
        let prober = egress
            .clone()
            .map(|guard| Prober::new(guard, config.probe.clone()));
        Runtime {
            config: Arc::new(config),
            keys,
            egress,
            prober,
        }
    }
}

/// Secrets the listeners check requests against.
pub struct Secrets {
    /// Bearer token of the admin API (`None`: the admin API refuses all).
    pub admin_token: Option<Secret>,
    /// HeyGen's webhook signing secret (`None`: webhooks are refused).
    pub webhook_secret: Option<Secret>,
    /// Where secrets resolved at reload come from (alert webhook URLs).
    pub env: Arc<dyn EnvSource>,
}

/// What [`AppState`] is built from; the rest is derived.
pub struct StateParts {
    pub config: Config,
    pub upstream: Upstream,
    pub ledger: Arc<dyn Ledger>,
    pub metrics: Metrics,
    pub registry: prometheus::Registry,
    pub clock: Arc<dyn Clock>,
    pub secrets: Secrets,
    /// The config file, for reloads (`None`: reload is refused).
    pub config_path: Option<std::path::PathBuf>,
}

pub struct AppState {
    pub runtime: ArcSwap<Runtime>,
    pub upstream: Upstream,
    pub ledger: Arc<dyn Ledger>,
    pub metrics: Metrics,
    pub thresholds: ThresholdTracker,
    /// Ops alerts to `[[alerts.webhooks]]`, reconfigured on every reload.
    pub alerts: Arc<Alerts>,
    pub registry: prometheus::Registry,
    pub limiter: RateLimiter,
    pub clock: Arc<dyn Clock>,
    pub secrets: Secrets,
    /// Every price book this process ran with, for settling holds at the
    /// prices they were admitted under.
    pub price_books: crate::price_books::PriceBooks,
    /// Looks and templates read for pricing, cached per id.
    pub lookups: crate::lookup::Lookups,
    /// Session stops the ledger failed to record, for the meter to settle.
    pub(crate) deferred_stops: crate::deferred_stops::DeferredStops,
    /// Sessions stopped because the ledger would not register them.
    pub(crate) unregistered: crate::unregistered_sessions::UnregisteredSessions,
    /// Sessions in HeyGen's list nothing of the gateway explains, counted once.
    pub(crate) unexplained: crate::unexplained_sessions::UnexplainedSessions,
    /// Sessions a client's stop is in flight for (the meter waits for it).
    pub(crate) stopping: crate::stopping_sessions::StoppingSessions,
    /// The config file, locked for a whole reload: reloads (SIGHUP, the
    /// admin API) run one at a time, so a slow earlier one can never
    /// install an older file over a later one.
    config_path: tokio::sync::Mutex<Option<std::path::PathBuf>>,
    /// Work that must finish before shutdown completes even when no client
    /// waits for it: billable admissions and settlements.
    pub tasks: tokio_util::task::TaskTracker,
    /// Set for good once a newer build migrated the ledger (`schema_guard`).
    pub schema: crate::schema_guard::SchemaGuard,
    /// Whether `webhooks.max_parked_events` were waiting at the last look
    /// (`fanout::parked`): while set, such events are dropped unasked.
    pub(crate) parked_full: AtomicBool,
    ready: AtomicBool,
    draining: AtomicBool,
}

impl StateParts {
    /// Parts for unit tests: `config` on `ledger` and `clock`, a fresh
    /// registry, the org key `sk_org`, no admin token or webhook secret.
    #[cfg(test)]
    pub(crate) fn for_tests(
        config: Config,
        ledger: Arc<dyn Ledger>,
        clock: Arc<dyn Clock>,
    ) -> StateParts {
        let registry = prometheus::Registry::new();
        let upstream = Upstream::new(
            &config.upstream,
            Secret::new("sk_org"),
            0,
            &crate::config::MapEnv::default(),
        )
        .expect("upstream");
        StateParts {
            config,
            upstream,
            ledger,
            metrics: Metrics::register(&registry).expect("metrics"),
            registry,
            clock,
            secrets: Secrets {
                admin_token: None,
                webhook_secret: None,
                env: Arc::new(crate::config::MapEnv::default()),
            },
            config_path: None,
        }
    }
}

impl AppState {
    pub fn new(p: StateParts) -> AppState {
        let limiter = RateLimiter::new(&p.config);
        let thresholds =
            ThresholdTracker::new(p.metrics.clone(), &p.config.metrics.alert_thresholds);
        let price_books = crate::price_books::PriceBooks::new(&p.config.pricing);
        p.metrics
            .init_settlement_features(p.config.pricing.features());
        let alerts = Arc::new(Alerts::new(
            p.ledger.clone(),
            p.metrics.clone(),
            p.clock.clone(),
            p.secrets.env.clone(),
        ));
        let runtime = Runtime::new(p.config);
        alerts.configure(&runtime.config, runtime.egress.clone());
        let schema = crate::schema_guard::SchemaGuard::new(p.metrics.clone(), alerts.clone());
        AppState {
            price_books,
            lookups: crate::lookup::Lookups::default(),
            deferred_stops: Default::default(),
            unregistered: Default::default(),
            unexplained: Default::default(),
            stopping: Default::default(),
            runtime: ArcSwap::from_pointee(runtime),
            alerts,
            upstream: p.upstream,
            ledger: p.ledger,
            metrics: p.metrics,
            thresholds,
            registry: p.registry,
            limiter,
            clock: p.clock,
            secrets: p.secrets,
            config_path: tokio::sync::Mutex::new(p.config_path),
            tasks: tokio_util::task::TaskTracker::new(),
            schema,
            parked_full: AtomicBool::new(false),
            ready: AtomicBool::new(false),
            draining: AtomicBool::new(false),
        }
    }

    /// Counts and logs a ledger failure that is handled where it happens
    /// (background work, cleanups); failures that refuse a request travel
    /// as `GatewayError::Ledger` and are logged once at the edge.
    /// Also raises a `ledger_error` alert (from memory: the ledger may be
    /// what is down).
    pub fn note_ledger_error(&self, op: &str, e: &LedgerError) {
        self.alerts.ledger_failed(op, e);
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
        self.ready.load(Ordering::SeqCst) && !self.is_draining() && !self.schema.is_behind()
    }

    /// Swaps in a new validated config. Budgets keep their usage because the
    /// ledger tracks every window whether or not a budget is configured.
    pub fn install(&self, config: Config) {
        self.limiter.reconfigure(&config);
        self.thresholds
            .set_thresholds(&config.metrics.alert_thresholds);
        let old = self.snapshot();
        for t in &old.config.tenants {
            if config.tenant(&t.id).is_none() {
                self.metrics.forget_scope(&t.id);
                self.thresholds.forget_scope(&t.id);
            }
        }
        let runtime = Runtime::new(config);
        self.alerts
            .configure(&runtime.config, runtime.egress.clone());
        self.runtime.store(Arc::new(runtime));
    }
}

impl AppState {
    /// Re-reads and validates the config file off the hot path, then swaps it in
    /// atomically, restart-only keys at their running values (`config::restart`);
    /// on failure the old config stays (counted). A price book new to this process
    /// is recorded in the ledger first: one the ledger holds with other prices, or
    /// a ledger that cannot record it (so could not settle at it), refuses it.
    pub async fn reload(&self) -> Result<Vec<&'static str>, crate::config::ConfigErrors> {
        let path = self.config_path.lock().await;
        let result = match path.as_ref() {
            Some(path) => Config::load_off_runtime(path.clone()).await,
            None => Err(crate::config::ConfigErrors(vec![
                crate::config::ConfigError::new(
                    "",
                    "this gateway was started without a config file; nothing to reload",
                ),
            ])),
        };
        match result {
            Ok(new) => {
                let recorded = self
                    .price_books
                    .record_new(self.ledger.as_ref(), &new.pricing)
                    .await;
                if let Err(e) = recorded {
                    self.metrics.config_reload(false);
                    tracing::error!(error = %e, "Configuration reload refused; keeping the previous configuration.");
                    return Err(crate::config::ConfigErrors(vec![
                        crate::config::ConfigError::new("pricing.version", e.to_string()),
                    ]));
                }
                let (old, mut new) = (self.snapshot(), new);
                let restart = crate::config::restart_only_changes(&old.config, &new);
                for key in &restart {
                    tracing::warn!(key, "Changed key takes effect only after a restart.");
                }
                crate::config::keep_restart_only(&old.config, &mut new);
                self.install(new);
                self.metrics.config_reload(true);
                tracing::info!("Configuration reloaded.");
                Ok(restart)
            }
            Err(errs) => {
                self.metrics.config_reload(false);
                tracing::error!(errors = %errs, "Configuration reload failed; keeping the previous configuration.");
                Err(errs)
            }
        }
    }
}

#[cfg(test)]
#[path = "state_reload_tests.rs"]
mod reload_tests;
