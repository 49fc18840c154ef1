//! Configuration in two stages: [`file`] holds the raw serde structs (unknown
//! keys are errors), [`validate`] turns them into the immutable [`Config`]
//! below, collecting every problem at once with the key path and the fix.

mod alerts;
mod cluster;
mod conn;
mod egress;
mod probe;
pub use alerts::{
    AlertEvent, AlertFormat, AlertWebhook, AlertsConfig, FileAlertWebhook, FileAlerts,
};
pub use cluster::{ClusterConfig, FileCluster, FileOrgLimits, RateQuota, RedisSource};
pub use conn::ConnConfig;
pub use egress::{EgressConfig, FileEgress};
pub use probe::{FileProbe, ProbeConfig};
pub mod defaults;
pub mod file;
pub mod isolation;
mod secret;
pub use isolation::{Isolation, Unowned};
mod validate;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use secret::{EnvSource, MapEnv, ProcessEnv, Secret, SecretSource};

use crate::money::Micros;
use crate::pricing::PriceBook;

/// One configuration problem: the key path (`tenants[1].budgets.daily`) and
/// what is wrong with it, phrased so the reader knows the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "`{}`: {}", self.key, self.message)
        }
    }
}

/// Every problem found in one file, printed one per line.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

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

#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    pub api: BaseUrl,
    pub upload: BaseUrl,
    pub api_key: SecretSource,
    /// LiveAvatar's host; only its own org key (`liveavatar_key`) goes there.
    pub liveavatar: BaseUrl,
    /// `None`: LiveAvatar is not configured and its routes answer 503.
    pub liveavatar_key: Option<SecretSource>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub upload_timeout: Duration,
    pub pool_idle_timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    Sqlite { path: PathBuf },
    Postgres { url: String, pool_size: u32 },
}

/// Pricing owns the tier (its policy reads it); re-exported so
/// `config::Tier` keeps naming it.
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

/// Environment variable that names the config file when `--config` is absent.
pub const ENV_CONFIG: &str = "HEYGEN_GATEWAY_CONFIG";
/// Config file used when neither `--config` nor the env var is given.
pub const DEFAULT_CONFIG_PATH: &str = "config/gateway.toml";

impl Config {
    /// Parses and validates TOML text, reporting every problem at once: a
    /// key that fails to deserialise (unknown, wrong type) is recorded and
    /// removed, and parsing is retried so the remaining keys are still checked.
    pub fn from_toml(text: &str) -> Result<Config, ConfigErrors> {
        let mut table: toml::Table = toml::from_str(text)
            .map_err(|e| ConfigErrors(vec![ConfigError::new("", format!("invalid TOML: {e}"))]))?;
        let mut errors = Vec::new();
        // Each retry removes one offending key, so this ends; the bound only
        // guards against a pathological file.
        for _ in 0..64 {
            let value = toml::Value::Table(table.clone());
            match serde_path_to_error::deserialize::<_, file::FileConfig>(value) {
                Ok(raw) => {
                    return match validate::validate(raw) {
                        Ok(cfg) if errors.is_empty() => Ok(cfg),
                        Ok(_) => Err(ConfigErrors(errors)),
                        Err(mut more) => {
                            errors.append(&mut more);
                            Err(ConfigErrors(errors))
                        }
                    };
                }
                Err(e) => {
                    let path = e.path().clone();
                    let key = path.to_string();
                    let key = if key == "." { String::new() } else { key };
                    errors.push(ConfigError::new(
                        key,
                        e.into_inner().to_string().trim().to_string(),
                    ));
                    if !remove_path(&mut table, &path) {
                        return Err(ConfigErrors(errors));
                    }
                }
            }
        }
        Err(ConfigErrors(errors))
    }

    /// Reads, parses and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![ConfigError::new(
                "",
                format!("cannot read config file {}: {e}", path.display()),
            )])
        })?;
        Self::from_toml(&text)
    }

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

/// Removes the value at a serde path from a TOML table; false if not found.
fn remove_path(table: &mut toml::Table, path: &serde_path_to_error::Path) -> bool {
    use serde_path_to_error::Segment;
    let segs: Vec<&Segment> = path.iter().collect();
    let Some((last, parents)) = segs.split_last() else {
        return false;
    };
    let mut cur: &mut toml::Value = match parents.first() {
        Some(Segment::Map { key }) => match table.get_mut(key) {
            Some(v) => v,
            None => return false,
        },
        None => {
            return match last {
                Segment::Map { key } => table.remove(key).is_some(),
                _ => false,
            }
        }
        _ => return false,
    };
    for seg in parents.iter().skip(1) {
        let next = match (seg, cur) {
            (Segment::Map { key }, toml::Value::Table(t)) => t.get_mut(key),
            (Segment::Seq { index }, toml::Value::Array(a)) => a.get_mut(*index),
            _ => None,
        };
        match next {
            Some(v) => cur = v,
            None => return false,
        }
    }
    match (last, cur) {
        (Segment::Map { key }, toml::Value::Table(t)) => t.remove(key).is_some(),
        (Segment::Seq { index }, toml::Value::Array(a)) if *index < a.len() => {
            a.remove(*index);
            true
        }
        _ => false,
    }
}
