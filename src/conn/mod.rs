//! Connection hygiene for both listeners: how many connections are admitted
//! (total and per client address), how long an idle or slow client may hold
//! one, how slowly a request body may arrive, and the file-descriptor budget
//! the process starts with. Issue 12: before this, idle sockets that never
//! sent a byte exhausted the descriptors and a trickled body held a request
//! (and its handler) open indefinitely.

mod accept;
mod body;
mod fd;
mod idle;
mod limiter;

use std::time::Duration;

pub use accept::{shed, AcceptBackoff};
pub use body::{BodyReadTimeout, ReqBody, TimedBody};
pub use fd::{check_fd_budget, FdBudget};
pub use idle::{ActivityGuard, IdleTracker, Tracked};
pub use limiter::{ConnLimiter, ConnPermit, Shed};

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
        use crate::config::defaults::*;
        ConnConfig {
            idle_timeout: Duration::from_millis(DEFAULT_IDLE_TIMEOUT_MS),
            header_read_timeout: Duration::from_millis(DEFAULT_HEADER_READ_TIMEOUT_MS),
            body_read_timeout: Duration::from_millis(DEFAULT_BODY_READ_TIMEOUT_MS),
            body_min_rate: DEFAULT_BODY_MIN_RATE_BYTES_PER_SECOND,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            h2_max_concurrent_streams: DEFAULT_H2_MAX_CONCURRENT_STREAMS,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
        }
    }
}

/// Connection metrics, registered on the gateway's registry next to the
/// request metrics (kept here so connection handling owns its families).
#[derive(Clone)]
pub struct ConnMetrics {
    open: prometheus::IntGaugeVec,
    shed: prometheus::IntCounterVec,
    accept_errors: prometheus::IntCounterVec,
    closed_idle: prometheus::IntCounterVec,
}

impl ConnMetrics {
    pub fn register(registry: &prometheus::Registry) -> Result<ConnMetrics, prometheus::Error> {
        use prometheus::{IntCounterVec, IntGaugeVec, Opts};
        let open = IntGaugeVec::new(
            Opts::new(
                "heygen_gateway_connections_open",
                "Connections currently open, by listener.",
            ),
            &["listener"],
        )?;
        let shed = IntCounterVec::new(
            Opts::new(
                "heygen_gateway_connections_shed_total",
                "Connections closed at accept because a connection limit was reached.",
            ),
            &["listener", "limit"],
        )?;
        let accept_errors = IntCounterVec::new(
            Opts::new(
                "heygen_gateway_accept_errors_total",
                "Failed accepts (usually EMFILE: out of file descriptors).",
            ),
            &["listener"],
        )?;
        let closed_idle = IntCounterVec::new(
            Opts::new(
                "heygen_gateway_connections_idle_closed_total",
                "Connections closed because no request arrived within the idle timeout.",
            ),
            &["listener"],
        )?;
        registry.register(Box::new(open.clone()))?;
        registry.register(Box::new(shed.clone()))?;
        registry.register(Box::new(accept_errors.clone()))?;
        registry.register(Box::new(closed_idle.clone()))?;
        Ok(ConnMetrics {
            open,
            shed,
            accept_errors,
            closed_idle,
        })
    }

    pub fn opened(&self, listener: &str) {
        self.open.with_label_values(&[listener]).inc();
    }

    pub fn closed(&self, listener: &str) {
        self.open.with_label_values(&[listener]).dec();
    }

    pub fn shed(&self, listener: &str, why: Shed) {
        self.shed.with_label_values(&[listener, why.as_str()]).inc();
    }

    pub fn accept_error(&self, listener: &str) {
        self.accept_errors.with_label_values(&[listener]).inc();
    }

    pub fn closed_idle(&self, listener: &str) {
        self.closed_idle.with_label_values(&[listener]).inc();
    }
}
