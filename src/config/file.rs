//! Raw configuration as it appears in TOML. Every struct denies unknown keys
//! so a typo is an error, not a silently ignored setting. Nothing here is
//! trusted: `validate.rs` turns these into [`super::Config`].
//!
//! This file holds the whole file's shape and the plan, settlement, routes,
//! metrics, org and tenant sections; `server`, `upstream`, `store` and
//! `webhooks` are in `connections`, re-exported here.

mod connections;

use std::collections::BTreeMap;

use serde::Deserialize;

use super::defaults::*;
pub use connections::{FileServer, FileStore, FileUpstream, FileWebhooks};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub server: FileServer,
    #[serde(default)]
    pub upstream: FileUpstream,
    #[serde(default)]
    pub store: FileStore,
    #[serde(default)]
    pub plan: FilePlan,
    #[serde(default)]
    pub webhooks: FileWebhooks,
    #[serde(default)]
    pub pricing: crate::pricing::FilePricing,
    #[serde(default)]
    pub settlement: FileSettlement,
    #[serde(default)]
    pub routes: FileRoutes,
    #[serde(default)]
    pub metrics: FileMetrics,
    #[serde(default)]
    pub org: FileOrg,
    #[serde(default)]
    pub tenants: Vec<FileTenant>,
    #[serde(default)]
    pub egress: super::FileEgress,
    #[serde(default)]
    pub probe: super::FileProbe,
    #[serde(default)]
    pub isolation: super::isolation::FileIsolation,
    #[serde(default)]
    pub cluster: super::FileCluster,
    #[serde(default)]
    pub alerts: super::FileAlerts,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilePlan {
    pub tier: String,
    pub max_video_seconds: u32,
    pub timezone: String,
    pub test_mode: String,
}

impl Default for FilePlan {
    fn default() -> Self {
        Self {
            tier: "pay_as_you_go".into(),
            max_video_seconds: DEFAULT_MAX_VIDEO_SECONDS,
            timezone: "UTC".into(),
            test_mode: "billed".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileSettlement {
    pub hold_ttl_seconds: u64,
    pub poll_interval_seconds: u64,
    pub poll_min_age_seconds: u64,
    pub poll_concurrency: u32,
    /// How often live sessions are metered (seconds, 1-30).
    pub session_tick_seconds: u64,
    /// A live session with no call through the gateway for this long is
    /// stopped (seconds); `streaming.new`'s `activity_idle_timeout` wins.
    pub session_idle_seconds: u64,
}

impl Default for FileSettlement {
    fn default() -> Self {
        Self {
            hold_ttl_seconds: DEFAULT_HOLD_TTL_SECONDS,
            poll_interval_seconds: DEFAULT_POLL_INTERVAL_SECONDS,
            poll_min_age_seconds: DEFAULT_POLL_MIN_AGE_SECONDS,
            poll_concurrency: DEFAULT_POLL_CONCURRENCY,
            session_tick_seconds: DEFAULT_SESSION_TICK_SECONDS,
            session_idle_seconds: DEFAULT_SESSION_IDLE_SECONDS,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileRoutes {
    /// `"deny"` (default) or `"allow"`: writes to paths the catalog does not know.
    pub unknown_writes: String,
}

impl Default for FileRoutes {
    fn default() -> Self {
        Self {
            unknown_writes: "deny".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileMetrics {
    /// Poll HeyGen's remaining quota this often; 0 disables the poll.
    pub quota_poll_seconds: u64,
    /// Budget usage thresholds (percent) that raise an alert metric and log.
    pub alert_thresholds: Vec<u8>,
    /// Recompute budget/hold/render gauges and threshold alerts this often.
    pub gauge_interval_seconds: u64,
}

impl Default for FileMetrics {
    fn default() -> Self {
        Self {
            quota_poll_seconds: DEFAULT_QUOTA_POLL_SECONDS,
            alert_thresholds: DEFAULT_ALERT_THRESHOLDS.to_vec(),
            gauge_interval_seconds: DEFAULT_GAUGE_INTERVAL_SECONDS,
        }
    }
}

/// Budgets in credits (integers or decimals) per calendar window.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileBudgets {
    pub daily: Option<f64>,
    pub weekly: Option<f64>,
    pub monthly: Option<f64>,
    pub total: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileOrg {
    pub budgets: FileBudgets,
    /// Org-wide cap on renders in flight (match the HeyGen plan's concurrency).
    pub renders_in_flight: Option<u32>,
    /// Org-wide cap on live interactive sessions (and tokens waiting for one).
    pub sessions_in_flight: Option<u32>,
    /// Evaluate org budgets without enforcing them.
    pub shadow: bool,
    /// Org-wide request rate (`requests_per_minute`, `burst`).
    pub limits: super::FileOrgLimits,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileLimits {
    pub requests_per_minute: Option<u32>,
    pub burst: Option<u32>,
    pub renders_in_flight: Option<u32>,
    pub sessions_in_flight: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRouteAccess {
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileTenant {
    pub id: String,
    pub name: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub keys: Vec<String>,
    #[serde(default)]
    pub budgets: FileBudgets,
    #[serde(default)]
    pub limits: FileLimits,
    #[serde(default)]
    pub routes: FileRouteAccess,
    #[serde(default)]
    pub shadow: bool,
    /// `tenant` (default: only its own resources) or `org` (the whole account).
    pub isolation: Option<String>,
    /// Free-form labels kept for ops (never used as metric labels).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

fn yes() -> bool {
    true
}
