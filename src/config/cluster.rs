//! `[cluster]` and `org.limits`: the raw TOML sections and their validated
//! forms. Replicas share request-rate limits through Redis when a URL is set.

use std::num::NonZeroU32;
use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, Secret, SecretSource};

/// Default per-call Redis budget: a rate-limit decision must not add more
/// latency than this; slower answers fall back to the local limiter.
pub(super) const DEFAULT_REDIS_TIMEOUT_MS: u64 = 50;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileCluster {
    /// `redis://host:port/db`; use `redis_url_env` when it carries a password.
    pub redis_url: Option<String>,
    /// Environment variable holding the Redis URL.
    pub redis_url_env: Option<String>,
    /// How many gateway replicas share the limits (default 1).
    pub replicas: Option<u32>,
    /// Per-call timeout of the Redis limiter, in milliseconds (default 50).
    pub redis_timeout_ms: Option<u64>,
}

/// `org.limits`: an org-wide request rate on top of each tenant's.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileOrgLimits {
    pub requests_per_minute: Option<u32>,
    pub burst: Option<u32>,
}

/// Where the Redis URL comes from. An inline URL is still kept as a
/// [`Secret`] so a config dump never prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisSource {
    Url(Secret),
    Env(SecretSource),
}

impl RedisSource {
    /// The URL; the error names the variable, never a value.
    pub fn resolve(&self, env: &dyn super::EnvSource) -> Result<Secret, String> {
        match self {
            RedisSource::Url(s) => Ok(s.clone()),
            RedisSource::Env(src) => src.resolve(env),
        }
    }
}

/// Validated `[cluster]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// `None`: limits are in-process only (each replica counts on its own).
    pub redis: Option<RedisSource>,
    /// Local fallback limits are the configured rate ÷ this.
    pub replicas: NonZeroU32,
    pub redis_timeout: Duration,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self::from_file(&FileCluster::default(), &mut Vec::new())
    }
}

/// A request rate and burst (org-wide or per tenant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateQuota {
    pub requests_per_minute: NonZeroU32,
    pub burst: NonZeroU32,
}

impl ClusterConfig {
    /// Validates the section, appending every problem to `errors`.
    pub fn from_file(raw: &FileCluster, errors: &mut Vec<ConfigError>) -> ClusterConfig {
        let mut err = |key: &str, msg: &str| errors.push(ConfigError::new(key, msg));
        let redis = match (&raw.redis_url, &raw.redis_url_env) {
            (Some(_), Some(_)) => {
                err(
                    "cluster.redis_url",
                    "set either redis_url or redis_url_env, not both",
                );
                None
            }
            (Some(url), None) => {
                if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                    err(
                        "cluster.redis_url",
                        "must start with redis:// or rediss:// (e.g. \"redis://127.0.0.1:6379/0\")",
                    );
                }
                Some(RedisSource::Url(Secret::new(url.clone())))
            }
            (None, Some(name)) if name.trim().is_empty() => {
                err("cluster.redis_url_env", "must name an environment variable");
                None
            }
            (None, Some(name)) => Some(RedisSource::Env(SecretSource::Env(name.clone()))),
            (None, None) => None,
        };
        let replicas = match raw.replicas.map(NonZeroU32::new) {
            None => NonZeroU32::MIN,
            Some(Some(n)) => n,
            Some(None) => {
                err("cluster.replicas", "must be at least 1");
                NonZeroU32::MIN
            }
        };
        let timeout_ms = raw.redis_timeout_ms.unwrap_or(DEFAULT_REDIS_TIMEOUT_MS);
        if timeout_ms == 0 || timeout_ms > 10_000 {
            err(
                "cluster.redis_timeout_ms",
                "must be between 1 and 10000 (default 50)",
            );
        }
        ClusterConfig {
            redis,
            replicas,
            redis_timeout: Duration::from_millis(timeout_ms.clamp(1, 10_000)),
        }
    }
}

/// Validates `org.limits`: both keys or neither.
pub(super) fn org_limits(raw: &FileOrgLimits, errors: &mut Vec<ConfigError>) -> Option<RateQuota> {
    let rpm = raw.requests_per_minute.map(NonZeroU32::new);
    let burst = raw.burst.map(NonZeroU32::new);
    match (rpm, burst) {
        (None, None) => None,
        (Some(Some(requests_per_minute)), Some(Some(burst))) => Some(RateQuota {
            requests_per_minute,
            burst,
        }),
        (Some(None), _) => {
            errors.push(ConfigError::new(
                "org.limits.requests_per_minute",
                "must be at least 1",
            ));
            None
        }
        (_, Some(None)) => {
            errors.push(ConfigError::new("org.limits.burst", "must be at least 1"));
            None
        }
        _ => {
            errors.push(ConfigError::new(
                "org.limits",
                "set both requests_per_minute and burst, or neither",
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors_name_their_keys() {
        let mut errors = Vec::new();
        let cfg = ClusterConfig::from_file(&FileCluster::default(), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(cfg.redis, None);
        assert_eq!(cfg.replicas.get(), 1);
        assert_eq!(cfg.redis_timeout, Duration::from_millis(50));
        let raw = FileCluster {
            redis_url: Some("http://x".into()),
            replicas: Some(0),
            redis_timeout_ms: Some(0),
            ..FileCluster::default()
        };
        ClusterConfig::from_file(&raw, &mut errors);
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "cluster.redis_url",
                "cluster.replicas",
                "cluster.redis_timeout_ms"
            ]
        );
    }

    #[test]
    fn org_limits_need_both_keys() {
        let mut errors = Vec::new();
        let half = FileOrgLimits {
            requests_per_minute: Some(60),
            burst: None,
        };
        assert_eq!(org_limits(&half, &mut errors), None);
        assert_eq!(errors.len(), 1);
        let full = FileOrgLimits {
            requests_per_minute: Some(60),
            burst: Some(5),
        };
        let q = org_limits(&full, &mut errors);
        assert_eq!(
            q.map(|q| (q.requests_per_minute.get(), q.burst.get())),
            Some((60, 5))
        );
    }
}
