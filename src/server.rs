//! Listeners and lifecycle: the tenant listener and the admin listener, both
//! HTTP/1.1 + HTTP/2 (h2c), graceful drain on shutdown, bound addresses
//! reported so tests (and `:0` configs) know where to connect. Each listener
//! admits connections through `conn` (caps, idle and body timeouts).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures_util::FutureExt;
use http::{Request, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::config::{Config, EnvSource, Secret};
use crate::conn::{
    AcceptBackoff, ConnConfig, ConnLimiter, ConnMetrics, IdleTracker, ReqBody, TimedBody, Tracked,
};
use crate::http::Body;
use crate::metrics::Metrics;
use crate::proxy::context::ClientAddr;
use crate::state::{AppState, Secrets, StateParts};
use crate::upstream::Upstream;

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
    tenant_task: JoinHandle<()>,
    admin_task: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
}

impl RunningGateway {
    /// Starts listeners for `config` (use port 0 to let the OS pick).
    pub async fn start(config: Config, opts: StartOptions) -> anyhow::Result<RunningGateway> {
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
        let admin_token = opts
            .env
            .var(&config.server.admin_token_env)
            .filter(|t| !t.trim().is_empty())
            .map(Secret::new);
        let webhook_secret = config
            .webhooks
            .secret
            .as_ref()
            .and_then(|src| src.resolve(opts.env.as_ref()).ok());
        let metrics = Metrics::register(&opts.registry).context("registering metrics")?;
        let conn_metrics =
            ConnMetrics::register(&opts.registry).context("registering connection metrics")?;
        crate::conn::check_fd_budget(config.server.conn.max_connections);
        let tenant_policy = ConnPolicy::new("tenant", &config.server.conn, &conn_metrics);
        let admin_policy = ConnPolicy::new("admin", &config.server.conn, &conn_metrics);
        let upstream = Upstream::new(&config.upstream, org_key)
            .map_err(|e| anyhow::anyhow!("building the upstream client: {e}"))?;
        let ledger = crate::ledger::open_ledger_with_clock(&config.store, opts.clock.clone())
            .await
            .map_err(|e| anyhow::anyhow!("opening the ledger ({:?}): {e}", config.store))?;
        // Resolved before the state is built so a missing variable stops
        // startup with a clear message (Redis being down does not).
        let redis_url = match &config.cluster.redis {
            Some(src) => Some(
                src.resolve(opts.env.as_ref())
                    .map_err(|e| anyhow::anyhow!("the cluster Redis URL is unavailable: {e}"))?,
            ),
            None => None,
        };
        let listen = config.server.listen;
        let admin_listen = config.server.admin_listen;
        let grace = config.server.shutdown_grace;
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
        let tenant = TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding the tenant listener on {listen}"))?;
        let admin = TcpListener::bind(admin_listen)
            .await
            .with_context(|| format!("binding the admin listener on {admin_listen}"))?;
        let addr = tenant.local_addr()?;
        let admin_addr = admin.local_addr()?;
        let (stop, stop_rx) = watch::channel(false);
        // The admin listener outlives the tenant drain so probes see 503 and
        // metrics stay scrapeable while requests finish.
        let (admin_stop, admin_stop_rx) = watch::channel(false);
        let tenant_task = tokio::spawn(serve(
            tenant,
            stop_rx.clone(),
            grace,
            tenant_policy,
            crate::stack::tenant_service(state.clone()),
        ));
        let admin_task = tokio::spawn(serve(
            admin,
            admin_stop_rx,
            grace,
            admin_policy,
            crate::admin::service(state.clone()),
        ));
        let background = crate::background::spawn(&state, stop_rx);
        state.set_ready(true);
        tracing::info!(%addr, %admin_addr, "Gateway listening.");
        Ok(RunningGateway {
            addr,
            admin_addr,
            state,
            stop,
            admin_stop,
            tenant_task,
            admin_task,
            background,
        })
    }

    /// Graceful shutdown: readiness goes 503, the tenant listener stops
    /// accepting, in-flight requests drain (bounded by
    /// `server.shutdown_grace_seconds`), then the admin listener and
    /// background tasks stop. Admissions and settlements that outlive their
    /// request (client gone, webhook already answered) finish first, within
    /// the same grace, so a settlement is not cut between HeyGen's answer and
    /// the ledger write.
    pub async fn shutdown(self) {
        let deadline =
            tokio::time::Instant::now() + self.state.snapshot().config.server.shutdown_grace;
        self.state.set_draining();
        let _ = self.stop.send(true);
        let _ = self.tenant_task.await;
        self.state.tasks.close();
        if tokio::time::timeout_at(deadline, self.state.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("Shutdown grace expired with settlements still running; the poller finishes them after restart.");
        }
        let _ = self.admin_stop.send(true);
        let _ = self.admin_task.await;
        for t in self.background {
            let _ = t.await;
        }
        tracing::info!("Gateway stopped.");
    }
}

/// Connection policy of one listener: caps, timeouts, metrics.
#[derive(Clone)]
struct ConnPolicy {
    name: &'static str,
    cfg: ConnConfig,
    limiter: ConnLimiter,
    metrics: ConnMetrics,
}

impl ConnPolicy {
    fn new(name: &'static str, cfg: &ConnConfig, metrics: &ConnMetrics) -> ConnPolicy {
        ConnPolicy {
            name,
            cfg: cfg.clone(),
            limiter: ConnLimiter::new(cfg.max_connections, cfg.max_connections_per_ip),
            metrics: metrics.clone(),
        }
    }
}

/// hyper settings against hostile clients: head size (431 past it), head
/// timeout, HTTP/2 stream and reset limits (CVE-2023-44487 "rapid reset",
/// CVE-2024-27316-style header floods).
fn builder(cfg: &ConnConfig) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(cfg.header_read_timeout)
        // hyper answers 431 when a head does not fit the read buffer (the
        // auto builder has no separate head limit); bodies stream through
        // the same buffer in pieces of at most this size.
        .max_buf_size(cfg.max_header_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(cfg.h2_max_concurrent_streams)
        .max_header_list_size(u32::try_from(cfg.max_header_bytes).unwrap_or(u32::MAX))
        .max_pending_accept_reset_streams(20)
        .max_local_error_reset_streams(256);
    builder
}

/// Accepts connections until `stop` flips, then drains them. Each
/// connection serves a clone of `service`.
async fn serve<S>(
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
    policy: ConnPolicy,
    service: S,
) where
    S: tower::Service<Request<ReqBody>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let builder = builder(&policy.cfg);
    let graceful = GracefulShutdown::new();
    let mut backoff = AcceptBackoff::default();
    let name = policy.name;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(c) => c,
                    Err(e) => {
                        policy.metrics.accept_error(name);
                        tokio::time::sleep(backoff.failed(name, &e)).await;
                        continue;
                    }
                };
                backoff.succeeded(name);
                let permit = match policy.limiter.try_acquire(remote.ip()) {
                    Ok(p) => p,
                    Err(why) => {
                        policy.metrics.shed(name, why);
                        crate::conn::shed(stream);
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let tracker = IdleTracker::new();
                let svc = per_connection(service.clone(), remote, tracker.clone(), &policy.cfg);
                let conn = builder.serve_connection(TokioIo::new(stream), svc).into_owned();
                let conn = graceful.watch(conn);
                let (metrics, idle) = (policy.metrics.clone(), policy.cfg.idle_timeout);
                metrics.opened(name);
                tokio::spawn(async move {
                    tokio::select! {
                        r = conn => if let Err(e) = r {
                            tracing::debug!(error = %e, "Connection ended with an error.");
                        },
                        // Dropping the connection closes the socket; no
                        // request is in progress on it by construction.
                        _ = tracker.expired(idle) => metrics.closed_idle(name),
                    }
                    metrics.closed(name);
                    drop(permit);
                });
            }
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_seconds = grace.as_secs(),
            "Shutdown grace expired with requests still in flight."
        );
    }
}

/// One connection's view of the listener's service: bodies get read
/// deadlines, requests carry the peer address, and each request counts as
/// activity until its response body is done.
fn per_connection<S>(
    service: S,
    remote: SocketAddr,
    tracker: IdleTracker,
    cfg: &ConnConfig,
) -> TowerToHyperService<
    impl tower::Service<
            Request<Incoming>,
            Response = Response<Body>,
            Error = Infallible,
            Future = impl std::future::Future<Output = Result<Response<Body>, Infallible>> + Send,
        > + Clone,
>
where
    S: tower::Service<Request<ReqBody>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let (stall, min_rate) = (cfg.body_read_timeout, cfg.body_min_rate);
    let svc = tower::service_fn(move |req: Request<Incoming>| {
        let activity = tracker.begin();
        let mut req = req.map(|b| TimedBody::new(b, stall, min_rate));
        req.extensions_mut().insert(ClientAddr(remote));
        let fut = tower::ServiceExt::oneshot(service.clone(), req);
        // The guard rides in the body: hyper drops it once the last byte is
        // written (or the client goes away).
        fut.map(move |r| r.map(|resp| resp.map(|b| Tracked::new(b, activity).boxed())))
    });
    TowerToHyperService::new(svc)
}
