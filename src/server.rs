//! Listeners and lifecycle. (Stub: the real server lands with the proxy core.)

use std::net::SocketAddr;
use std::sync::Arc;

use crate::clock::Clock;
use crate::config::{Config, EnvSource};

/// Options for starting a gateway in-process (tests use all of them).
pub struct StartOptions {
    /// Where environment variables (org key, admin token, webhook secret) come from.
    pub env: Arc<dyn EnvSource>,
    /// Wall clock for budgets and TTLs.
    pub clock: Arc<dyn Clock>,
    /// Registry that receives every metric family.
    pub registry: prometheus::Registry,
    /// Path of the config file, for reloads (`None`: reload re-validates the same config).
    pub config_path: Option<std::path::PathBuf>,
}

/// A started gateway: the actually bound addresses and a shutdown handle.
pub struct RunningGateway {
    pub addr: SocketAddr,
    pub admin_addr: SocketAddr,
}

impl RunningGateway {
    /// Starts listeners for `config` (use port 0 to let the OS pick).
    pub async fn start(_config: Config, _opts: StartOptions) -> anyhow::Result<RunningGateway> {
        anyhow::bail!("not implemented yet")
    }

    /// Graceful shutdown: stop accepting, drain in-flight requests, stop background tasks.
    pub async fn shutdown(self) {}
}
