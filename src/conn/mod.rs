//! Connection hygiene for both listeners: how many connections are admitted
//! (total and per client address), how long an idle or slow client may hold
//! one, how slowly a request body may arrive, and the file-descriptor budget
//! the process starts with. Issue 12: before this, idle sockets that never
//! sent a byte exhausted the descriptors and a trickled body held a request
//! (and its handler) open indefinitely.

mod accept;
mod body;
mod fd;
mod guard;
mod idle;
mod limiter;
mod tracked;

pub use crate::config::ConnConfig;
pub use crate::http::BodyReadTimeout;
pub use accept::{shed, AcceptBackoff};
pub use body::{ReqBody, Source, TimedBody};
pub use fd::{check_fd_budget, FdBudget};
pub use guard::{guard, Ended, Guarded};
pub use idle::{ActivityGuard, IdleTracker, Timeouts};
pub use limiter::{ConnLimiter, ConnPermit, Shed};
pub use tracked::Tracked;

/// Connection metrics, registered on the gateway's registry next to the
/// request metrics (kept here so connection handling owns its families).
#[derive(Clone)]
pub struct ConnMetrics {
    open: prometheus::IntGaugeVec,
    shed: prometheus::IntCounterVec,
    accept_errors: prometheus::IntCounterVec,
    closed_idle: prometheus::IntCounterVec,
    passed: prometheus::IntCounterVec,
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
        let passed = IntCounterVec::new(
            Opts::new(
                "heygen_gateway_connections_passed_total",
                "Connections one I/O thread accepted and passed to a less busy one to serve.",
            ),
            &["listener"],
        )?;
        registry.register(Box::new(open.clone()))?;
        registry.register(Box::new(shed.clone()))?;
        registry.register(Box::new(accept_errors.clone()))?;
        registry.register(Box::new(closed_idle.clone()))?;
        registry.register(Box::new(passed.clone()))?;
        Ok(ConnMetrics {
            open,
            shed,
            accept_errors,
            closed_idle,
            passed,
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

    pub fn passed(&self, listener: &str) {
        self.passed.with_label_values(&[listener]).inc();
    }
}
