//! Listeners and lifecycle: the tenant listener and the admin listener, both
//! HTTP/1.1 + HTTP/2 (h2c), graceful drain on shutdown, bound addresses
//! reported so tests (and `:0` configs) know where to connect. Each listener
//! admits connections through `conn` (caps, idle and body timeouts).

mod balance;
pub mod h1;
mod listen;
mod per_connection;
mod workers;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::config::{Config, EnvSource, SecretSource};
use crate::conn::ConnMetrics;
use crate::metrics::Metrics;
use crate::state::{AppState, Secrets, StateParts};
use crate::upstream::Upstream;
use listen::{serve, ConnPolicy};
pub use per_connection::{per_connection, PerConnection, Stack, TrackedFuture};
use workers::TenantServers;

/// Options for starting a gateway in-process (tests use all of them).
pub struct StartOptions {
    /// Where environment variables (org key, admin token, webhook secret) come from.
    pub env: Arc<dyn EnvSource>,
    /// Wall clock for budgets and TTLs.
    pub clock: Arc<dyn Clock>,
    /// Registry that receives every metric family.
    pub registry: prometheus::Registry,
    /// Path of the config file, for reloads (`None`: reload is refused).
    pub config_path: Option<std::path::PathBuf>,
}

/// A started gateway: the actually bound addresses and a shutdown handle.
pub struct RunningGateway {
    pub addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub state: Arc<AppState>,
    stop: watch::Sender<bool>,
    admin_stop: watch::Sender<bool>,
    tenant: TenantServers,
    admin_task: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
}

impl RunningGateway {
    /// Starts listeners for `config` (use port 0 to let the OS pick).
    pub async fn start(config: Config, opts: StartOptions) -> anyhow::Result<RunningGateway> {
        let state = build_state(config, opts).await?;
        // Before anything is priced: holds admitted under this book must
        // settle at it after a restart or on another replica.
        let book = state.snapshot().config.pricing.clone();
        state
            .price_books
            .record(state.ledger.as_ref(), &book)
            .await
            .map_err(anyhow::Error::new)?;
        let config = state.snapshot().config.clone();
        let conn_metrics =
            ConnMetrics::register(&state.registry).context("registering connection metrics")?;
        crate::conn::check_fd_budget(config.server.conn.max_connections);
        let tenant_policy = ConnPolicy::new("tenant", &config.server.conn, &conn_metrics)
            .with_lane(crate::lane::Lane::new(state.clone()));
        let admin_policy = ConnPolicy::new("admin", &config.server.conn, &conn_metrics);
        let io_threads = config.server.io_threads;
        let listen = config.server.listen;
        let admin_listen = config.server.admin_listen;
        let grace = config.server.shutdown_grace;
        let tenant = workers::bind(listen, io_threads)?;
        let admin = TcpListener::bind(admin_listen)
            .await
            .with_context(|| format!("binding the admin listener on {admin_listen}"))?;
        let addr = tenant
            .first()
            .context("no tenant listener was bound")?
            .local_addr()?;
        let admin_addr = admin.local_addr()?;
        let (stop, stop_rx) = watch::channel(false);
        // The admin listener outlives the tenant drain so probes see 503 and
        // metrics stay scrapeable while requests finish.
        let (admin_stop, admin_stop_rx) = watch::channel(false);
        let tenant =
            TenantServers::start(tenant, io_threads, &stop_rx, grace, &tenant_policy, &state)?;
        let admin_task = tokio::spawn(serve(
            admin,
            admin_stop_rx,
            grace,
            admin_policy,
            crate::admin::service(state.clone()),
            None,
        ));
        let background = crate::background::spawn(&state, stop_rx);
        state.set_ready(true);
        tracing::info!(%addr, %admin_addr, io_threads, "Gateway listening.");
        Ok(RunningGateway {
            addr,
            admin_addr,
            state,
            stop,
            admin_stop,
            tenant,
            admin_task,
            background,
        })
    }

    /// Graceful shutdown: readiness goes 503, the tenant listener keeps
    /// serving for `server.shutdown_delay_seconds` (load balancers take a
    /// moment to stop sending: closing at once refuses what they still
    /// route here), then stops accepting, in-flight requests drain (bounded
    /// by `server.shutdown_grace_seconds`), then the admin listener and
    /// background tasks stop. Admissions and settlements that outlive their
    /// request (client gone, webhook already answered) finish first, within
    /// the same grace, so a settlement is not cut between HeyGen's answer and
    /// the ledger write.
    pub async fn shutdown(mut self) {
        self.state.set_draining();
        let delay = self.state.snapshot().config.server.shutdown_delay;
        if !delay.is_zero() {
            tracing::info!(
                delay_seconds = delay.as_secs(),
                "Not ready; serving on until load balancers stop sending."
            );
            tokio::time::sleep(delay).await;
        }
        let deadline =
            tokio::time::Instant::now() + self.state.snapshot().config.server.shutdown_grace;
        let _ = self.stop.send(true);
        self.tenant.drained().await;
        self.state.tasks.close();
        if tokio::time::timeout_at(deadline, self.state.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("Shutdown grace expired with settlements still running; the poller finishes them after restart.");
        }
        self.tenant.finish().await;
        let _ = self.admin_stop.send(true);
        // The background loops look at `stop` between passes; one pass (a
        // poll of 200 status reads, a meter tick) against a slow HeyGen can
        // outlast the grace. Past it plus a little, what still runs is cut
        // as a crash would cut it (every ledger step is one transaction),
        // rather than being killed by the orchestrator mid-exit.
        let cut_at = deadline.max(tokio::time::Instant::now()) + BACKGROUND_OVERRUN;
        let mut cut = 0;
        for mut t in std::iter::once(self.admin_task).chain(self.background) {
            if tokio::time::timeout_at(cut_at, &mut t).await.is_err() {
                t.abort();
                cut += 1;
            }
        }
        if cut > 0 {
            tracing::warn!(tasks = cut, "Background work still running past the shutdown grace was stopped; it resumes after restart.");
        }
        tracing::info!("Gateway stopped.");
    }
}

/// How long past `server.shutdown_grace_seconds` the admin listener and the
/// background loops may take to stop (the deployment's termination grace
/// leaves 15 s beyond the default 30 s).
const BACKGROUND_OVERRUN: std::time::Duration = std::time::Duration::from_secs(5);

/// The state `serve` runs with — org key, upstream client, ledger, metrics,
/// cluster rate limiter — built without listening (`quote --online` prices
/// with it exactly as a request would be).
pub async fn build_state(config: Config, opts: StartOptions) -> anyhow::Result<Arc<AppState>> {
    let org_key = config
        .upstream
        .api_key
        .resolve(opts.env.as_ref())
        .map_err(|e| {
            anyhow::anyhow!(
                "the HeyGen org key ({}) is unavailable: {e}",
                config.upstream.api_key
            )
        })?;
    // A missing admin token or webhook secret is not fatal; `serve`'s
    // preflight (`preflight::check`) has already warned about both.
    // Resolved (and trimmed) like every other secret: a token from a
    // Kubernetes secret made with `--from-file` ends in a newline, and the
    // header and form values it is compared with are trimmed.
    let admin_token = SecretSource::Env(config.server.admin_token_env.clone())
        .resolve(opts.env.as_ref())
        .ok();
    let webhook_secret = config
        .webhooks
        .secret
        .as_ref()
        .and_then(|src| src.resolve(opts.env.as_ref()).ok());
    let metrics = Metrics::register(&opts.registry).context("registering metrics")?;
    let families: Vec<&str> = crate::catalog::Family::ALL
        .iter()
        .map(|f| f.as_str())
        .chain([crate::catalog::GATEWAY_FAMILY])
        .collect();
    metrics.declare_request_families(&families);
    // LiveAvatar is optional: without its key its routes answer 503
    // (preflight warns).
    let liveavatar_key = config
        .upstream
        .liveavatar_key
        .as_ref()
        .and_then(|src| src.resolve(opts.env.as_ref()).ok());
    let upstream = Upstream::new(
        &config.upstream,
        org_key,
        config.server.io_threads,
        opts.env.as_ref(),
    )
    .map_err(|e| anyhow::anyhow!("building the upstream client: {e}"))?
    .with_liveavatar(config.upstream.liveavatar.clone(), liveavatar_key);
    let ledger =
        crate::ledger::open_ledger_in(&config.store, opts.clock.clone(), opts.env.as_ref())
            .await
            .map_err(|e| anyhow::anyhow!("opening the ledger ({}): {e}", config.store))?;
    // Resolved before the state is built so a missing variable stops
    // startup with a clear message (Redis being down does not).
    let redis_url = match &config.cluster.redis {
        Some(src) => Some(
            src.resolve(opts.env.as_ref())
                .map_err(|e| anyhow::anyhow!("the cluster Redis URL is unavailable: {e}"))?,
        ),
        None => None,
    };
    let state = Arc::new(AppState::new(StateParts {
        config,
        upstream,
        ledger,
        metrics,
        registry: opts.registry,
        clock: opts.clock,
        secrets: Secrets {
            admin_token,
            webhook_secret,
            env: opts.env.clone(),
        },
        config_path: opts.config_path,
    }));
    if let Some(url) = redis_url {
        let config = state.snapshot().config.clone();
        state
            .limiter
            .use_redis(url.expose(), &config, state.metrics.clone())
            .await
            .map_err(|e| anyhow::anyhow!("cluster.redis_url: {e}"))?;
    } else {
        state.metrics.set_rate_limit_backend(false);
    }
    Ok(state)
}
