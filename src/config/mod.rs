//! Configuration in two stages: [`file`] holds the raw serde structs (unknown
//! keys are errors), [`validate`] turns them into the immutable [`Config`]
//! below, collecting every problem at once with the key path and the fix.
//!
//! `load` reads a file into that pipeline and reports; this file holds the
//! validated types.

mod alerts;
mod cluster;
mod conn;
mod egress;
mod pg_client_cert;
mod pg_url;
mod probe;
mod proxy;
mod restart;
mod roots;
mod upstream;
pub use alerts::{
    AlertEvent, AlertFormat, AlertWebhook, AlertsConfig, FileAlertWebhook, FileAlerts,
};
pub use cluster::{ClusterConfig, FileCluster, FileOrgLimits, RateQuota, RedisSource};
pub use conn::ConnConfig;
pub use egress::{EgressConfig, FileEgress};
pub use pg_url::{PgClientCert, PgRoots, PgTls, PgUrl};
pub use probe::{FileProbe, ProbeConfig};
pub use proxy::{ProxySource, UpstreamProxy};
pub use restart::{keep_restart_only, restart_only_changes};
pub use roots::TrustRoots;
pub use upstream::UpstreamConfig;
pub mod defaults;
pub mod file;
pub mod isolation;
mod secret;
pub use isolation::{Isolation, Unowned};
mod load;
pub use load::{ConfigError, ConfigErrors, DEFAULT_CONFIG_PATH, ENV_CONFIG};
mod validate;
pub use validate::tenant_id_problem;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use secret::{EnvSource, MapEnv, ProcessEnv, Secret, SecretSource};

use crate::money::Micros;
use crate::pricing::PriceBook;

/// The validated configuration. Runtime code never re-parses strings.
#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    pub upstream: UpstreamConfig,
    pub store: StoreConfig,
    pub plan: PlanConfig,
    pub webhooks: WebhookConfig,
    pub pricing: PriceBook,
    pub settlement: SettlementConfig,
    pub routes: RoutesConfig,
    pub metrics: MetricsConfig,
    pub org: OrgConfig,
    pub tenants: Vec<TenantConfig>,
    pub egress: EgressConfig,
    pub probe: ProbeConfig,
    pub isolation: isolation::IsolationConfig,
    /// `[cluster]`: shared rate limits on Redis (issue 14).
    pub cluster: ClusterConfig,
    /// `[alerts]`: ops alerts sent to webhooks (issue 15).
    pub alerts: AlertsConfig,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub admin_listen: SocketAddr,
    pub admin_token_env: String,
    pub max_body_bytes: u64,
    pub max_json_body_bytes: usize,
    pub shutdown_grace: Duration,
    /// How long the tenant listener keeps serving after SIGTERM with
    /// readiness already failing, so load balancers stop sending first.
    pub shutdown_delay: Duration,
    pub log_json: bool,
    /// Connection caps and timeouts (issue 12).
    pub conn: ConnConfig,
    /// Tenant connections are served by this many per-core threads, each
    /// with its own listener (SO_REUSEPORT) and upstream pool; 0 serves
    /// them on the shared runtime (issue 14).
    pub io_threads: usize,
}

/// A HeyGen base URL, split once so requests only swap the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    pub scheme: http::uri::Scheme,
    pub authority: http::uri::Authority,
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}", self.scheme, self.authority)
    }
}

#[derive(Clone, PartialEq, Eq)]
pub enum StoreConfig {
    Sqlite {
        path: PathBuf,
    },
    Postgres {
        url: String,
        pool_size: u32,
        /// `store.password_env` / `password_file`; `None`: the URL's, if any.
        password: Option<SecretSource>,
    },
}

/// Written without the PostgreSQL URL's user, password and parameters:
/// this is what error messages and logs print (`{:?}` included), and the
/// URL usually carries the password.
impl std::fmt::Display for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreConfig::Sqlite { path } => write!(f, "sqlite {}", path.display()),
            StoreConfig::Postgres { url, pool_size, .. } => {
                // `postgres://user:pass@host:port/db?params` → `postgres://host:port/db`.
                // Everything up to the last `@` goes first: a password may
                // hold `/`, `?` or `@` unencoded. The `key=value` form names
                // no host cheaply, so none is shown.
                let shown = url.split_once("://").map(|(scheme, rest)| {
                    let rest = rest.rsplit_once('@').map_or(rest, |(_, after)| after);
                    let rest = rest.split('?').next().unwrap_or("");
                    format!("{scheme}://{rest}")
                });
                match shown {
                    Some(u) => write!(f, "{u} (credentials redacted), pool {pool_size}"),
                    None => write!(f, "postgres (url redacted), pool {pool_size}"),
                }
            }
        }
    }
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Pricing owns the tier (its policy reads it); re-exported so `config::Tier` keeps naming it.
pub use crate::pricing::Tier;

#[derive(Debug, Clone)]
pub struct PlanConfig {
    pub tier: Tier,
    pub max_video_seconds: u32,
    pub timezone: chrono_tz::Tz,
    /// `plan.test_mode`: whether `test: true` renders cost credits.
    pub test_mode: crate::pricing::TestMode,
}

impl From<&PlanConfig> for crate::pricing::PlanPolicy {
    fn from(plan: &PlanConfig) -> Self {
        crate::pricing::PlanPolicy {
            tier: plan.tier,
            max_video_seconds: plan.max_video_seconds,
            test_mode: plan.test_mode,
        }
    }
}

impl From<crate::pricing::BookError> for ConfigError {
    /// Book errors name keys inside `[pricing]`; config adds the section.
    fn from(e: crate::pricing::BookError) -> Self {
        ConfigError::new(format!("pricing.{}", e.key), e.message)
    }
}

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub secret: Option<SecretSource>,
    pub tolerance: Duration,
    /// How often the fan-out worker looks for due deliveries.
    pub fanout_interval: Duration,
    /// Deliveries in flight at once per process (≥ 1).
    pub fanout_concurrency: usize,
    /// Retry `n` waits a random time up to `fanout_retry_base × 2^n` (capped).
    pub fanout_retry_base: Duration,
    /// Delivered and dead deliveries older than this are purged.
    pub delivery_retention: Duration,
    /// How long an event of a job with no known owner yet waits for one.
    pub owner_wait: Duration,
    /// Such events kept at once (0: none); at the cap new ones are dropped.
    pub max_parked_events: u32,
}

#[derive(Debug, Clone)]
pub struct SettlementConfig {
    pub hold_ttl: Duration,
    pub poll_interval: Duration,
    pub poll_min_age: Duration,
    pub poll_concurrency: usize,
    pub session_tick: Duration,
    pub session_idle: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownWrites {
    Deny,
    Allow,
}

#[derive(Debug, Clone)]
pub struct RoutesConfig {
    pub unknown_writes: UnknownWrites,
}

#[derive(Debug, Clone)]
pub struct MetricsConfig {
    pub quota_poll: Option<Duration>,
    pub alert_thresholds: Vec<u8>,
    /// How often budget, hold and render gauges are refreshed from the ledger.
    pub gauge_interval: Duration,
}

/// Budgets of one scope in micro-credits; `None` means no limit for that window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Budgets {
    pub daily: Option<Micros>,
    pub weekly: Option<Micros>,
    pub monthly: Option<Micros>,
    pub total: Option<Micros>,
}

#[derive(Debug, Clone)]
pub struct OrgConfig {
    pub budgets: Budgets,
    pub renders_in_flight: Option<u32>,
    pub sessions_in_flight: Option<u32>,
    pub shadow: bool,
    /// Org-wide request rate across all tenants (`None`: no org limit).
    pub limits: Option<RateQuota>,
}

#[derive(Debug, Clone)]
pub struct TenantLimits {
    pub requests_per_minute: std::num::NonZeroU32,
    pub burst: std::num::NonZeroU32,
    pub renders_in_flight: Option<u32>,
    pub sessions_in_flight: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct TenantConfig {
    pub id: String,
    pub name: String,
    pub enabled: bool,
    /// SHA-256 digests of the tenant's tokens (several, for rotation).
    pub key_hashes: Vec<[u8; 32]>,
    pub budgets: Budgets,
    pub limits: TenantLimits,
    /// Route families this tenant may use; empty means all.
    pub allow: Vec<crate::catalog::Family>,
    pub deny: Vec<crate::catalog::Family>,
    pub shadow: bool,
    pub isolation: isolation::Isolation,
}

impl TenantConfig {
    /// Whether this tenant may call routes of `family`.
    pub fn may_use(&self, family: crate::catalog::Family) -> bool {
        !self.deny.contains(&family) && (self.allow.is_empty() || self.allow.contains(&family))
    }
}

impl Config {
    /// The tenant with this id, if configured.
    pub fn tenant(&self, id: &str) -> Option<&TenantConfig> {
        self.tenants.iter().find(|t| t.id == id)
    }

    /// Whether the budgets of a scope (the org for `None`, else a tenant)
    /// only report instead of refusing.
    pub fn is_shadow(&self, tenant: Option<&str>) -> bool {
        match tenant {
            None => self.org.shadow,
            Some(id) => self.tenant(id).is_some_and(|t| t.shadow),
        }
    }
}
