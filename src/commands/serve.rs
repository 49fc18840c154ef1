//! The long-running commands: `serve` (the gateway, with its signal
//! handling for drain and reload) and `mock-upstream` (the mock HeyGen
//! server). They share the logging setup and run until a signal.

use std::process::ExitCode;
use std::sync::Arc;

use heygen_mock::{MockConfig, MockHeygen};

use super::{load, EXIT_CONFIG};
use crate::clock::SystemClock;
use crate::config::ProcessEnv;
use crate::server::{RunningGateway, StartOptions};

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HEYGEN_GATEWAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour codes only for a terminal: files and the journal get plain
    // text. JSON events are flat (fields at the top level, beside span
    // fields), as log pipelines expect.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
    if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init();
    } else {
        builder.init();
    }
}

pub(super) async fn serve(path: &std::path::Path) -> ExitCode {
    let config = match load(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    init_logging(config.server.log_json);
    if let Some(point) = crate::faultpoint::armed() {
        tracing::warn!(
            point,
            "{} is set: the process kills itself there (fault tests only).",
            crate::faultpoint::ENV_KILL_AT
        );
    }
    // The same checks as `check-config`: a config that would refuse every
    // billable request (no org key) or expose the demo token stops here.
    let found = crate::preflight::check(&config, &ProcessEnv, false);
    for w in &found.warnings {
        tracing::warn!(key = %w.key, "{}", w.message);
    }
    if !found.errors.is_empty() {
        for e in &found.errors {
            tracing::error!(key = %e.key, "{}", e.message);
        }
        return ExitCode::from(EXIT_CONFIG);
    }
    // Installed before the listeners open: until then SIGHUP's default action
    // (terminate) would kill a gateway reloaded right after it came up.
    let Some(signals) = Signals::install() else {
        tracing::error!("Cannot install signal handlers; not starting.");
        return ExitCode::FAILURE;
    };
    let opts = StartOptions {
        env: Arc::new(ProcessEnv),
        clock: Arc::new(SystemClock),
        registry: prometheus::Registry::new(),
        config_path: Some(path.to_path_buf()),
    };
    let gateway = match RunningGateway::start(config, opts).await {
        Ok(g) => g,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "Gateway failed to start.");
            eprintln!("error: {e:#}");
            // A price version reused with other prices is the config's
            // fault, like any other invalid key: the config exit code.
            if let Some(crate::price_books::RecordError::Reused(_)) = e.downcast_ref() {
                return ExitCode::from(EXIT_CONFIG);
            }
            return ExitCode::FAILURE;
        }
    };
    signals.wait(&gateway).await;
    gateway.shutdown().await;
    ExitCode::SUCCESS
}

/// SIGTERM/SIGINT → drain and stop; SIGHUP → reload the config file.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> Option<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Some(Signals {
            term: signal(SignalKind::terminate()).ok()?,
            int: signal(SignalKind::interrupt()).ok()?,
            hup: signal(SignalKind::hangup()).ok()?,
        })
    }

    /// Reloads on every SIGHUP; returns on the first SIGTERM or SIGINT.
    async fn wait(mut self, gateway: &RunningGateway) {
        loop {
            tokio::select! {
                _ = self.term.recv() => break,
                _ = self.int.recv() => break,
                _ = self.hup.recv() => {
                    let _ = gateway.state.reload().await;
                }
            }
        }
        tracing::info!("Shutdown signal received; draining.");
    }
}

/// Runs the mock HeyGen server until SIGINT/SIGTERM.
pub(super) async fn mock_upstream(
    listen: std::net::SocketAddr,
    key: String,
    auto_complete: Option<f64>,
) -> ExitCode {
    init_logging(false);
    let mut cfg = MockConfig::new(key);
    cfg.listen = listen;
    cfg.auto_complete = auto_complete;
    // Nothing reads recorded requests over HTTP.
    cfg.record_requests = false;
    let mock = match MockHeygen::start(cfg).await {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: cannot start the mock on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    outln!("mock HeyGen listening on {}", mock.url());
    let _ = tokio::signal::ctrl_c().await;
    mock.shutdown().await;
    ExitCode::SUCCESS
}
