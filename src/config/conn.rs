//! `[server]` connection keys → [`ConnConfig`]: caps and timeouts against
//! hostile clients (issue 12). Kept apart from `validate.rs` so connection
//! handling owns its checks.

use std::time::Duration;

use super::file::FileServer;
use super::ConfigError;

/// Validated `[server]` connection settings (see `config::validate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnConfig {
    /// A connection with no request in progress is closed after this long,
    /// counted from accept or from the end of the previous response.
    pub idle_timeout: Duration,
    /// HTTP/1 request heads must arrive whole within this long.
    pub header_read_timeout: Duration,
    /// A request body that sends nothing for this long fails with 408; it is
    /// also the grace before [`Self::body_min_rate`] applies.
    pub body_read_timeout: Duration,
    /// Bytes per second a body must average once past the grace; 0 disables.
    pub body_min_rate: u64,
    /// A connection whose response the client has not read on (hyper could
    /// write no more of it) for this long is closed.
    pub write_timeout: Duration,
    /// Connections open at once on one listener; more are shed.
    pub max_connections: usize,
    /// Connections open at once from one client address; more are shed.
    pub max_connections_per_ip: usize,
    /// HTTP/2 streams a client may have open on one connection.
    pub h2_max_concurrent_streams: u32,
    /// Largest request head (HTTP/1) or header list (HTTP/2), in bytes.
    pub max_header_bytes: usize,
}

impl Default for ConnConfig {
    fn default() -> Self {
        use super::defaults::*;
        ConnConfig {
            idle_timeout: Duration::from_millis(DEFAULT_IDLE_TIMEOUT_MS),
            header_read_timeout: Duration::from_millis(DEFAULT_HEADER_READ_TIMEOUT_MS),
            body_read_timeout: Duration::from_millis(DEFAULT_BODY_READ_TIMEOUT_MS),
            body_min_rate: DEFAULT_BODY_MIN_RATE_BYTES_PER_SECOND,
            write_timeout: Duration::from_millis(DEFAULT_WRITE_TIMEOUT_MS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            h2_max_concurrent_streams: DEFAULT_H2_MAX_CONCURRENT_STREAMS,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
        }
    }
}

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
        write_timeout: timeout("server.write_timeout_ms", s.write_timeout_ms, errs),
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
            write_timeout_ms: 0,
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
            "server.write_timeout_ms",
            "server.max_connections_per_ip",
            "server.http2_max_concurrent_streams",
            "server.max_header_bytes",
        ] {
            assert!(keys.iter().any(|k| k.contains(key)), "{key} in {keys:?}");
        }
        assert_eq!(errs.len(), 6, "{keys:?}");
    }
}
