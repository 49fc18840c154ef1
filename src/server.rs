//! Listeners and lifecycle: the tenant listener and the admin listener, both
//! HTTP/1.1 + HTTP/2 (h2c), graceful drain on shutdown, bound addresses
//! reported so tests (and `:0` configs) know where to connect.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use http::{Request, Response};
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
        let admin_token = opts
            .env
            .var(&config.server.admin_token_env)
            .filter(|t| !t.trim().is_empty())
            .map(Secret::new);
        if admin_token.is_none() {
            tracing::warn!(env = %config.server.admin_token_env, "Admin token not set: /admin/v1 endpoints refuse every request.");
        }
        let webhook_secret = match &config.webhooks.secret {
            Some(src) => match src.resolve(opts.env.as_ref()) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!(error = %e, "Webhook secret unavailable: webhook deliveries will be refused.");
                    None
                }
            },
            None => None,
        };
        let metrics = Metrics::register(&opts.registry).context("registering metrics")?;
        let upstream = Upstream::new(&config.upstream, org_key)
            .map_err(|e| anyhow::anyhow!("building the upstream client: {e}"))?;
        let ledger = crate::ledger::open_ledger_with_clock(&config.store, opts.clock.clone())
            .await
            .map_err(|e| anyhow::anyhow!("opening the ledger ({:?}): {e}", config.store))?;
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
            crate::stack::tenant_service(state.clone()),
        ));
        let admin_task = tokio::spawn(serve(
            admin,
            admin_stop_rx,
            grace,
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

/// Accepts connections until `stop` flips, then drains them. Each
/// connection gets a clone of `service`; every request carries the peer's
/// address as [`ClientAddr`].
async fn serve<S, B>(
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
    service: S,
) where
    S: tower::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // Slow-loris protection: a client gets 30 s to send its request head.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(c) => c,
                    Err(e) => {
                        // Usually EMFILE: back off instead of spinning.
                        tracing::warn!(error = %e, "Accept failed.");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let svc = tower::ServiceExt::map_request(service.clone(), move |mut req: Request<Incoming>| {
                    req.extensions_mut().insert(ClientAddr(remote));
                    req
                });
                let svc = TowerToHyperService::new(svc);
                let conn = builder.serve_connection(TokioIo::new(stream), svc).into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "Connection ended with an error.");
                    }
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
