//! What each subcommand does.

mod quote;

use std::process::ExitCode;
use std::sync::Arc;

use heygen_mock::{MockConfig, MockHeygen};

use crate::cli::{Command, LedgerCommand};
use crate::clock::SystemClock;
use crate::config::{Config, ProcessEnv};
use crate::server::{RunningGateway, StartOptions};

/// Exit code for invalid configuration or usage (sysexits EX_USAGE).
pub const EXIT_CONFIG: u8 = 64;

pub async fn run(command: Command) -> ExitCode {
    match command {
        Command::Serve(c) => serve(&c.config).await,
        Command::CheckConfig {
            config,
            offline,
            format,
        } => check_config(&config.config, offline, format == "json"),
        Command::Assign {
            config,
            tenant,
            kind,
            actor,
            resources,
        } => assign(&config.config, &tenant, &kind, &actor, &resources).await,
        Command::Probe {
            config,
            timeout,
            admin,
        } => probe(&config.config, admin, timeout).await,
        Command::Keygen { tenant } => {
            let token = crate::auth::generate_token();
            println!("# Give this token to tenant {tenant:?} (shown once; store it as a secret):");
            println!("{token}");
            println!();
            println!("# Add this line to the tenant's `keys` in the config:");
            println!("\"{}\"", crate::auth::hash_line(&token));
            ExitCode::SUCCESS
        }
        Command::MockUpstream {
            listen,
            key,
            auto_complete,
        } => mock_upstream(listen, key, auto_complete).await,
        Command::Quote {
            config,
            method,
            path,
            file,
            tenant,
            online,
        } => {
            let args = quote::QuoteArgs {
                method,
                path,
                file,
                tenant,
                online,
            };
            quote::quote(&config.config, args).await
        }
        Command::Usage {
            config,
            tenant,
            json,
        } => usage(&config.config, tenant, json).await,
        Command::Calibrate {
            config,
            since,
            json,
        } => calibrate(&config.config, since.as_deref(), json).await,
        Command::Report {
            config,
            period,
            group_by,
            csv,
        } => report(&config.config, &period, group_by.as_deref(), csv).await,
        Command::Ledger {
            command:
                LedgerCommand::Verify {
                    config,
                    json,
                    grace_seconds,
                },
        } => ledger_verify(&config.config, json, grace_seconds).await,
    }
}

fn load(path: &std::path::Path) -> Result<Config, ExitCode> {
    Config::load(path).map_err(|errs| {
        eprintln!("{}: {} problem(s):", path.display(), errs.0.len());
        for e in &errs.0 {
            eprintln!("  - {e}");
        }
        ExitCode::from(EXIT_CONFIG)
    })
}

fn check_config(path: &std::path::Path, offline: bool, json: bool) -> ExitCode {
    let cfg = match load(path) {
        Ok(cfg) => cfg,
        Err(code) => return code,
    };
    let found = crate::preflight::check(&cfg, &ProcessEnv, offline);
    let ok = found.errors.is_empty();
    if json {
        let v = serde_json::json!({
            "file": path.display().to_string(), "ok": ok,
            "errors": found.errors, "warnings": found.warnings,
            "tenants": cfg.tenants.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
            "price_book": cfg.pricing.version(), "store": store_name(&cfg.store),
            "listen": cfg.server.listen.to_string(), "admin_listen": cfg.server.admin_listen.to_string(),
        });
        println!("{v:#}");
    } else {
        for e in &found.errors {
            eprintln!("error: {}: {}", e.key, e.message);
        }
        for w in &found.warnings {
            eprintln!("warning: {}: {}", w.key, w.message);
        }
        let verdict = if ok { "ok" } else { "NOT OK" };
        println!("{}: {verdict}", path.display());
        println!("  tenants:     {}", cfg.tenants.len());
        println!("  price book:  {}", cfg.pricing.version());
        println!("  store:       {}", store_name(&cfg.store));
        println!(
            "  listen:      {} (admin {})",
            cfg.server.listen, cfg.server.admin_listen
        );
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_CONFIG)
    }
}

/// The store without credentials, for humans.
fn store_name(store: &crate::config::StoreConfig) -> String {
    match store {
        crate::config::StoreConfig::Sqlite { path } => format!("sqlite {}", path.display()),
        crate::config::StoreConfig::Postgres { .. } => "postgres".into(),
    }
}

/// `assign`: ops adoption of existing resources to a tenant.
async fn assign(
    path: &std::path::Path,
    tenant: &str,
    kind: &str,
    actor: &str,
    resources: &[String],
) -> ExitCode {
    let config = match load(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if config.tenant(tenant).is_none() {
        eprintln!("error: no tenant {tenant:?} in {}", path.display());
        return ExitCode::from(EXIT_CONFIG);
    }
    let ledger = match crate::ledger::open_ledger(&config.store).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: opening the ledger: {e}");
            return ExitCode::FAILURE;
        }
    };
    match ledger.assign(resources, tenant, kind, actor).await {
        Ok(()) => {
            println!("assigned {} resource(s) to {tenant}", resources.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `probe`: the admin listener's readiness, for container health checks.
async fn probe(
    path: &std::path::Path,
    admin: Option<std::net::SocketAddr>,
    timeout: u64,
) -> ExitCode {
    let mut addr = match admin {
        Some(a) => a,
        None => match load(path) {
            Ok(cfg) => cfg.server.admin_listen,
            Err(code) => return code,
        },
    };
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let ready = tokio::time::timeout(std::time::Duration::from_secs(timeout), async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
        s.write_all(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut head = [0u8; 12];
        s.read_exact(&mut head).await.ok()?;
        Some(head.ends_with(b"200"))
    })
    .await;
    if ready == Ok(Some(true)) {
        ExitCode::SUCCESS
    } else {
        eprintln!("not ready: http://{addr}/readyz");
        ExitCode::FAILURE
    }
}

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

async fn serve(path: &std::path::Path) -> ExitCode {
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
                    let _ = gateway.state.reload();
                }
            }
        }
        tracing::info!("Shutdown signal received; draining.");
    }
}

/// Runs the mock HeyGen server until SIGINT/SIGTERM.
async fn mock_upstream(
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
    println!("mock HeyGen listening on {}", mock.url());
    let _ = tokio::signal::ctrl_c().await;
    mock.shutdown().await;
    ExitCode::SUCCESS
}

/// Prints budgets and usage of the org and tenants from the configured ledger.
/// `calibrate`: projected against real lengths of settled jobs.
async fn calibrate(path: &std::path::Path, since: Option<&str>, json: bool) -> ExitCode {
    use crate::admin::calibrate;
    let config = match load(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let since = match since {
        None => chrono::Utc::now() - chrono::Duration::days(30),
        Some(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => t.with_timezone(&chrono::Utc),
            Err(_) => {
                eprintln!("error: --since must be an RFC 3339 time like 2026-11-01T00:00:00Z");
                return ExitCode::from(EXIT_CONFIG);
            }
        },
    };
    let samples = match crate::ledger::open_ledger(&config.store).await {
        Ok(l) => l.calibration_samples(since).await,
        Err(e) => Err(e),
    };
    let samples = match samples {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: reading the ledger: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = calibrate::report(&samples, config.pricing.projection());
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else if samples.is_empty() {
        println!(
            "No job settled since {} with a known length yet.",
            since.to_rfc3339()
        );
    } else {
        print!("{}", calibrate::table(&report));
    }
    ExitCode::SUCCESS
}

/// `report`: the spend report of a period, JSON or CSV on stdout.
async fn report(
    path: &std::path::Path,
    period: &str,
    group_by: Option<&str>,
    csv: bool,
) -> ExitCode {
    use crate::admin::reports;
    let config = match load(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let parsed = reports::period(period, config.plan.timezone)
        .and_then(|p| reports::GroupBy::parse(group_by).map(|g| (p, g)));
    let ((from, to), by) = match parsed {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let rows = match crate::ledger::open_ledger(&config.store).await {
        Ok(l) => l.spend_report(from, to).await,
        Err(e) => Err(e),
    };
    match rows {
        Ok(rows) if csv => print!("{}", reports::csv(&rows, by)),
        Ok(rows) => println!(
            "{}",
            serde_json::to_string_pretty(&reports::json(&rows, by, from, to)).unwrap_or_default()
        ),
        Err(e) => {
            eprintln!("error: reading the ledger: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

async fn usage(path: &std::path::Path, tenant: Option<String>, json: bool) -> ExitCode {
    use crate::ledger::Scope;
    let config = match load(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut scopes = Vec::new();
    match &tenant {
        Some(id) => match config.tenant(id) {
            Some(t) => scopes.push((Scope::Tenant(t.id.clone()), t.budgets)),
            None => {
                eprintln!("error: no tenant {id:?} in {}", path.display());
                return ExitCode::from(EXIT_CONFIG);
            }
        },
        None => {
            scopes.push((Scope::Org, config.org.budgets));
            scopes.extend(
                config
                    .tenants
                    .iter()
                    .map(|t| (Scope::Tenant(t.id.clone()), t.budgets)),
            );
        }
    }
    let ledger = match crate::ledger::open_ledger(&config.store).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot open the ledger: {e}");
            return ExitCode::FAILURE;
        }
    };
    let usage = match ledger
        .usage(&scopes, config.plan.timezone, chrono::Utc::now())
        .await
    {
        Ok(u) => u,
        Err(e) => {
            eprintln!("error: reading usage: {e}");
            return ExitCode::FAILURE;
        }
    };
    if json {
        let v: Vec<serde_json::Value> = usage
            .iter()
            .map(|u| {
                let shadow = config.is_shadow(u.scope.tenant());
                serde_json::json!({"scope": u.scope.label(), "shadow": shadow,
                    "windows": crate::proxy::self_service::usage_json(u)})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    use crate::money::format_credits;
    let dash = || "-".to_string();
    // LIMIT is the period's effective limit: the configured one plus GRANTED.
    // MODE `shadow`: the scope's budgets only report, nothing is refused.
    println!(
        "{:<20} {:<8} {:<8} {:<11} {:>12} {:>10} {:>12} {:>12} {:>12}  RESETS",
        "SCOPE", "MODE", "WINDOW", "PERIOD", "LIMIT", "GRANTED", "HELD", "SPENT", "REMAINING"
    );
    for u in &usage {
        let mode = if config.is_shadow(u.scope.tenant()) {
            "shadow"
        } else {
            "enforced"
        };
        for w in &u.windows {
            println!(
                "{:<20} {:<8} {:<8} {:<11} {:>12} {:>10} {:>12} {:>12} {:>12}  {}",
                u.scope.label(),
                mode,
                w.window.as_str(),
                w.period,
                w.effective_limit().map_or_else(dash, format_credits),
                format_credits(w.granted),
                format_credits(w.held),
                format_credits(w.spent),
                w.remaining.map_or_else(dash, format_credits),
                w.resets_at.map_or_else(dash, |t| t.to_rfc3339()),
            );
        }
    }
    ExitCode::SUCCESS
}

/// `ledger verify`: exit 0 when every invariant holds, 1 with the report
/// (or when the ledger cannot be read), 64 for an invalid configuration.
async fn ledger_verify(path: &std::path::Path, json: bool, grace_seconds: u64) -> ExitCode {
    use crate::ledger::audit::{verify, AuditOptions};
    let config = match load(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let opts = AuditOptions {
        tz: config.plan.timezone,
        now: chrono::Utc::now(),
        grace_seconds,
    };
    let report = match verify(&config.store, &opts).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot read the ledger: {e}");
            return ExitCode::FAILURE;
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).unwrap_or_default()
        );
    } else {
        print!("{}", report.to_text());
    }
    if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
