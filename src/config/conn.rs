//! `[server]` connection keys → [`ConnConfig`]: caps and timeouts against
//! hostile clients (issue 12). Kept apart from `validate.rs` so connection
//! handling owns its checks.

use std::time::Duration;

use super::file::FileServer;
use super::ConfigError;
use crate::conn::ConnConfig;

/// Longest timeout accepted: past an hour a "timeout" protects nothing.
const MAX_TIMEOUT_MS: u64 = 3_600_000;

fn timeout(key: &str, ms: u64, errs: &mut Vec<ConfigError>) -> Duration {
    if ms == 0 || ms > MAX_TIMEOUT_MS {
        errs.push(ConfigError::new(
            key,
            format!("is {ms}; must be between 1 and {MAX_TIMEOUT_MS} milliseconds"),
        ));
    }
    Duration::from_millis(ms)
}

/// Validates the connection keys, pushing one error per bad key.
pub(super) fn conn(s: &FileServer, errs: &mut Vec<ConfigError>) -> ConnConfig {
    if s.max_connections == 0 || s.max_connections > 1_000_000 {
        errs.push(ConfigError::new(
            "server.max_connections",
            "must be between 1 and 1000000",
        ));
    }
    if s.max_connections_per_ip == 0 || s.max_connections_per_ip > s.max_connections {
        errs.push(ConfigError::new(
            "server.max_connections_per_ip",
            "must be between 1 and server.max_connections",
        ));
    }
    if s.http2_max_concurrent_streams == 0 || s.http2_max_concurrent_streams > 10_000 {
        errs.push(ConfigError::new(
            "server.http2_max_concurrent_streams",
            "must be between 1 and 10000",
        ));
    }
    // hyper's HTTP/1 buffer cannot be smaller than 8 KiB; a head larger than
    // 1 MiB is an attack, not a request.
    if !(8192..=1 << 20).contains(&s.max_header_bytes) {
        errs.push(ConfigError::new(
            "server.max_header_bytes",
            "must be between 8192 and 1048576",
        ));
    }
    ConnConfig {
        idle_timeout: timeout("server.idle_timeout_ms", s.idle_timeout_ms, errs),
        header_read_timeout: timeout(
            "server.header_read_timeout_ms",
            s.header_read_timeout_ms,
            errs,
        ),
        body_read_timeout: timeout("server.body_read_timeout_ms", s.body_read_timeout_ms, errs),
        body_min_rate: s.body_min_rate_bytes_per_second,
        max_connections: usize::try_from(s.max_connections).unwrap_or(usize::MAX),
        max_connections_per_ip: usize::try_from(s.max_connections_per_ip).unwrap_or(usize::MAX),
        h2_max_concurrent_streams: s.http2_max_concurrent_streams,
        max_header_bytes: usize::try_from(s.max_header_bytes).unwrap_or(usize::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let mut errs = Vec::new();
        let c = conn(&FileServer::default(), &mut errs);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(c, ConnConfig::default());
    }

    #[test]
    fn every_bad_key_is_named() {
        let s = FileServer {
            idle_timeout_ms: 0,
            body_read_timeout_ms: MAX_TIMEOUT_MS + 1,
            max_connections: 10,
            max_connections_per_ip: 11,
            http2_max_concurrent_streams: 0,
            max_header_bytes: 100,
            ..FileServer::default()
        };
        let mut errs = Vec::new();
        conn(&s, &mut errs);
        let keys: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        for key in [
            "server.idle_timeout_ms",
            "server.body_read_timeout_ms",
            "server.max_connections_per_ip",
            "server.http2_max_concurrent_streams",
            "server.max_header_bytes",
        ] {
            assert!(keys.iter().any(|k| k.contains(key)), "{key} in {keys:?}");
        }
        assert_eq!(errs.len(), 5, "{keys:?}");
    }
}
