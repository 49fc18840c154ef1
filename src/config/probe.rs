//! `[probe]`: the raw TOML section and its validated form.

use std::time::Duration;

use serde::Deserialize;

use super::defaults::{
    DEFAULT_PROBE_CACHE_ENTRIES, DEFAULT_PROBE_CACHE_TTL_SECONDS, DEFAULT_PROBE_FIRST_CHUNK_BYTES,
    DEFAULT_PROBE_MAX_BYTES, DEFAULT_PROBE_MAX_DURATION_SECONDS,
};
use super::ConfigError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileProbe {
    pub first_chunk_bytes: u64,
    pub max_bytes: u64,
    pub max_duration_seconds: u64,
    pub cache_entries: u64,
    pub cache_ttl_seconds: u64,
}

impl Default for FileProbe {
    fn default() -> Self {
        Self {
            first_chunk_bytes: DEFAULT_PROBE_FIRST_CHUNK_BYTES,
            max_bytes: DEFAULT_PROBE_MAX_BYTES,
            max_duration_seconds: DEFAULT_PROBE_MAX_DURATION_SECONDS,
            cache_entries: DEFAULT_PROBE_CACHE_ENTRIES,
            cache_ttl_seconds: DEFAULT_PROBE_CACHE_TTL_SECONDS,
        }
    }
}

/// Validated `[probe]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeConfig {
    pub first_chunk_bytes: usize,
    /// Bytes one probe may read in total, over all its requests.
    pub max_bytes: usize,
    /// Declared durations above this are refused as implausible.
    pub max_duration: Duration,
    pub cache_entries: usize,
    pub cache_ttl: Duration,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        let mut ignored = Vec::new();
        Self::from_file(&FileProbe::default(), &mut ignored)
    }
}

/// Probe reads are held in memory; bound them whatever the file says.
const MAX_PROBE_BYTES: u64 = 64 * 1024 * 1024;

impl ProbeConfig {
    /// Validates the section, appending every problem to `errors`.
    pub fn from_file(raw: &FileProbe, errors: &mut Vec<ConfigError>) -> ProbeConfig {
        let mut err = |key: &str, msg: String| errors.push(ConfigError::new(key, msg));
        if raw.max_bytes == 0 || raw.max_bytes > MAX_PROBE_BYTES {
            err(
                "probe.max_bytes",
                format!("must be between 1 and {MAX_PROBE_BYTES} (64 MiB)"),
            );
        }
        if raw.first_chunk_bytes == 0 || raw.first_chunk_bytes > raw.max_bytes {
            err(
                "probe.first_chunk_bytes",
                "must be at least 1 and at most probe.max_bytes".into(),
            );
        }
        if raw.max_duration_seconds == 0 {
            err(
                "probe.max_duration_seconds",
                "must be at least 1 (86400 = one day)".into(),
            );
        }
        let max_bytes = raw.max_bytes.clamp(1, MAX_PROBE_BYTES) as usize;
        ProbeConfig {
            first_chunk_bytes: (raw.first_chunk_bytes as usize).clamp(1, max_bytes),
            max_bytes,
            max_duration: Duration::from_secs(raw.max_duration_seconds.max(1)),
            // 0 entries or 0 s TTL simply disables the cache.
            cache_entries: usize::try_from(raw.cache_entries).unwrap_or(usize::MAX),
            cache_ttl: Duration::from_secs(raw.cache_ttl_seconds),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_name_their_key() {
        let mut errors = Vec::new();
        let cfg = ProbeConfig::from_file(&FileProbe::default(), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(cfg.max_bytes, 4 * 1024 * 1024);
        let raw = FileProbe {
            first_chunk_bytes: 10_000_000,
            max_bytes: 1_000,
            max_duration_seconds: 0,
            ..FileProbe::default()
        };
        ProbeConfig::from_file(&raw, &mut errors);
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            ["probe.first_chunk_bytes", "probe.max_duration_seconds"]
        );
    }
}
