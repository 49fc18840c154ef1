//! The raw sections that connect the gateway to the outside: where it
//! listens (`server`), what it calls (`upstream`), where it keeps the ledger
//! (`store`) and how it takes HeyGen's `webhooks`. Its own file, as in
//! `validate/connections.rs`, which checks these same four sections.

use serde::Deserialize;

use crate::config::defaults::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileServer {
    pub listen: String,
    pub admin_listen: String,
    pub admin_token_env: String,
    pub max_body_bytes: u64,
    pub max_json_body_bytes: u64,
    pub shutdown_grace_seconds: u64,
    pub shutdown_delay_seconds: u64,
    pub log_format: String,
    pub idle_timeout_ms: u64,
    pub header_read_timeout_ms: u64,
    pub body_read_timeout_ms: u64,
    pub body_min_rate_bytes_per_second: u64,
    pub write_timeout_ms: u64,
    pub max_connections: u64,
    pub max_connections_per_ip: u64,
    pub http2_max_concurrent_streams: u32,
    pub max_header_bytes: u64,
    /// Absent: one I/O thread per core; 0: serve on the shared runtime.
    pub io_threads: Option<u64>,
}

impl Default for FileServer {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.into(),
            admin_listen: DEFAULT_ADMIN_LISTEN.into(),
            admin_token_env: DEFAULT_ADMIN_TOKEN_ENV.into(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_json_body_bytes: DEFAULT_MAX_JSON_BODY_BYTES,
            shutdown_grace_seconds: DEFAULT_SHUTDOWN_GRACE_SECONDS,
            shutdown_delay_seconds: 0,
            log_format: "text".into(),
            idle_timeout_ms: DEFAULT_IDLE_TIMEOUT_MS,
            header_read_timeout_ms: DEFAULT_HEADER_READ_TIMEOUT_MS,
            body_read_timeout_ms: DEFAULT_BODY_READ_TIMEOUT_MS,
            body_min_rate_bytes_per_second: DEFAULT_BODY_MIN_RATE_BYTES_PER_SECOND,
            write_timeout_ms: DEFAULT_WRITE_TIMEOUT_MS,
            max_connections: DEFAULT_MAX_CONNECTIONS as u64,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP as u64,
            http2_max_concurrent_streams: DEFAULT_H2_MAX_CONCURRENT_STREAMS,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES as u64,
            io_threads: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileUpstream {
    pub api_url: String,
    pub upload_url: String,
    pub api_key_env: Option<String>,
    pub api_key_file: Option<String>,
    pub liveavatar_url: String,
    pub liveavatar_key_env: Option<String>,
    pub liveavatar_key_file: Option<String>,
    pub connect_timeout_ms: u64,
    pub request_timeout_ms: u64,
    pub upload_timeout_ms: u64,
    pub pool_idle_timeout_seconds: u64,
    /// PEM CA certificates trusted besides the public roots.
    pub ca_file: Option<String>,
    /// `http://[user:pass@]host:port` of a forward proxy HeyGen is reached through.
    pub proxy_url: Option<String>,
    /// Environment variable holding `proxy_url` (when it carries a password).
    pub proxy_url_env: Option<String>,
}

impl Default for FileUpstream {
    fn default() -> Self {
        Self {
            api_url: DEFAULT_API_URL.into(),
            upload_url: DEFAULT_UPLOAD_URL.into(),
            api_key_env: None,
            api_key_file: None,
            liveavatar_url: DEFAULT_LIVEAVATAR_URL.into(),
            liveavatar_key_env: None,
            liveavatar_key_file: None,
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
            request_timeout_ms: DEFAULT_REQUEST_TIMEOUT_MS,
            upload_timeout_ms: DEFAULT_UPLOAD_TIMEOUT_MS,
            pool_idle_timeout_seconds: DEFAULT_POOL_IDLE_TIMEOUT_SECONDS,
            ca_file: None,
            proxy_url: None,
            proxy_url_env: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileStore {
    pub url: String,
    pub pool_size: u32,
    /// The PostgreSQL password from an environment variable or a file, so
    /// it need not sit in the URL of a config file (a ConfigMap).
    pub password_env: Option<String>,
    pub password_file: Option<String>,
}

impl Default for FileStore {
    fn default() -> Self {
        Self {
            url: DEFAULT_STORE_URL.into(),
            pool_size: DEFAULT_STORE_POOL_SIZE,
            password_env: None,
            password_file: None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileWebhooks {
    pub secret_env: Option<String>,
    pub secret_file: Option<String>,
    /// Accept v3 deliveries whose `Heygen-Timestamp` is within this many seconds.
    pub tolerance_seconds: Option<u64>,
    /// Fan-out worker poll period (milliseconds).
    pub fanout_interval_ms: Option<u64>,
    /// Deliveries to tenant endpoints sent at once per process.
    pub fanout_concurrency: Option<u32>,
    /// Base of the exponential retry delay of a failed delivery (milliseconds).
    pub fanout_retry_base_ms: Option<u64>,
    /// Days delivered and dead deliveries are kept before they are purged.
    pub delivery_retention_days: Option<u64>,
    /// Seconds an event whose job has no known owner yet is kept for it.
    pub owner_wait_seconds: Option<u64>,
    /// Events kept waiting for their owner at once; more are dropped.
    pub max_parked_events: Option<u64>,
}
