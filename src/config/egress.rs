//! `[egress]`: the raw TOML section and its validated form.

use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;

use super::defaults::{
    DEFAULT_EGRESS_CONNECT_TIMEOUT_MS, DEFAULT_EGRESS_MAX_RESPONSE_BYTES, DEFAULT_EGRESS_TIMEOUT_MS,
};
use super::{ConfigError, TrustRoots};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileEgress {
    /// CIDRs the guard may contact even though they are private or loopback
    /// (e.g. an internal webhook receiver). Empty by default: public only.
    pub allow_cidrs: Vec<String>,
    pub connect_timeout_ms: u64,
    pub timeout_ms: u64,
    pub max_response_bytes: u64,
    /// PEM CA certificates trusted besides the public roots (an internal
    /// CA of receivers on `allow_cidrs`).
    pub ca_file: Option<String>,
}

impl Default for FileEgress {
    fn default() -> Self {
        Self {
            allow_cidrs: Vec::new(),
            connect_timeout_ms: DEFAULT_EGRESS_CONNECT_TIMEOUT_MS,
            timeout_ms: DEFAULT_EGRESS_TIMEOUT_MS,
            max_response_bytes: DEFAULT_EGRESS_MAX_RESPONSE_BYTES,
            ca_file: None,
        }
    }
}

/// Validated `[egress]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressConfig {
    pub allow_cidrs: Vec<IpNet>,
    pub connect_timeout: Duration,
    /// Whole exchange: resolve, connect, send, read the body.
    pub timeout: Duration,
    pub max_response_bytes: usize,
    /// CAs trusted besides the public roots (`egress.ca_file`).
    pub roots: TrustRoots,
}

impl Default for EgressConfig {
    fn default() -> Self {
        let mut ignored = Vec::new();
        Self::from_file(&FileEgress::default(), &mut ignored)
    }
}

impl EgressConfig {
    /// Validates the section, appending every problem to `errors` (the
    /// caller collects all config errors in one pass) and returning a
    /// usable value either way.
    pub fn from_file(raw: &FileEgress, errors: &mut Vec<ConfigError>) -> EgressConfig {
        let mut allow_cidrs = Vec::new();
        for (i, s) in raw.allow_cidrs.iter().enumerate() {
            match parse_cidr(s) {
                Some(net) => allow_cidrs.push(net),
                None => errors.push(ConfigError::new(
                    format!("egress.allow_cidrs[{i}]"),
                    format!(
                        "{s:?} is not a CIDR; write it like \"10.1.2.0/24\" or \"fd12::/64\" \
                         (a single host is \"10.1.2.3/32\")"
                    ),
                )),
            }
        }
        for (key, v) in [
            ("egress.connect_timeout_ms", raw.connect_timeout_ms),
            ("egress.timeout_ms", raw.timeout_ms),
        ] {
            if v == 0 {
                errors.push(ConfigError::new(
                    key,
                    "must be greater than 0 (milliseconds)",
                ));
            }
        }
        // Responses are held in memory; cap the cap so a typo cannot let a
        // tenant's URL stream gigabytes into the gateway.
        const MAX: u64 = 64 * 1024 * 1024;
        if raw.max_response_bytes == 0 || raw.max_response_bytes > MAX {
            errors.push(ConfigError::new(
                "egress.max_response_bytes",
                format!("must be between 1 and {MAX} (64 MiB); responses are held in memory"),
            ));
        }
        EgressConfig {
            allow_cidrs,
            connect_timeout: Duration::from_millis(raw.connect_timeout_ms.max(1)),
            timeout: Duration::from_millis(raw.timeout_ms.max(1)),
            max_response_bytes: raw.max_response_bytes.clamp(1, MAX) as usize,
            roots: TrustRoots::load("egress.ca_file", raw.ca_file.as_deref(), errors),
        }
    }
}

/// `a.b.c.d/n` or `v6/n`; a CIDR with host bits set (`10.0.0.1/8`) is
/// refused because the operator probably meant something else.
fn parse_cidr(s: &str) -> Option<IpNet> {
    let net: IpNet = s.trim().parse().ok()?;
    (net.trunc() == net).then_some(net)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_cidr_names_the_index_and_the_fix() {
        let raw = FileEgress {
            allow_cidrs: vec!["127.0.0.1/32".into(), "10.0.0.0/33".into(), "nope".into()],
            ..FileEgress::default()
        };
        let mut errors = Vec::new();
        let cfg = EgressConfig::from_file(&raw, &mut errors);
        assert_eq!(cfg.allow_cidrs.len(), 1);
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["egress.allow_cidrs[1]", "egress.allow_cidrs[2]"]);
        assert!(errors[0].message.contains("10.1.2.0/24"), "{}", errors[0]);
    }

    #[test]
    fn host_bits_and_zero_limits_are_errors() {
        let raw = FileEgress {
            allow_cidrs: vec!["10.0.0.1/8".into()],
            connect_timeout_ms: 0,
            timeout_ms: 0,
            max_response_bytes: 0,
            ca_file: None,
        };
        let mut errors = Vec::new();
        EgressConfig::from_file(&raw, &mut errors);
        assert_eq!(errors.len(), 4, "{errors:?}");
    }

    #[test]
    fn defaults_are_valid() {
        let mut errors = Vec::new();
        let cfg = EgressConfig::from_file(&FileEgress::default(), &mut errors);
        assert!(errors.is_empty());
        assert_eq!(cfg.timeout, Duration::from_secs(10));
        assert_eq!(cfg.max_response_bytes, 1024 * 1024);
    }
}
