//! What each subcommand does.
//!
//! `run` dispatches; each group of subcommands has its own file: `serve`
//! (the long-running servers), `ops` (check-config, assign, redeliver,
//! probe), `reports` (the commands that read the ledger and print) and
//! `quote`.

/// `println!` / `print!` for a command's output: a reader that went away
/// (`usage | head -3`) ends the process quietly, as it ends `cat`, where
/// `println!` would panic with a backtrace (Rust ignores SIGPIPE).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            $crate::commands::stdout_failed(e);
        }
    }};
}
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout().lock(), $($arg)*) {
            $crate::commands::stdout_failed(e);
        }
    }};
}

mod ops;
mod quote;
mod reports;
mod serve;

use std::process::ExitCode;

use crate::cli::{Command, LedgerCommand};
use crate::config::{Config, StoreConfig};
use crate::ledger::{Ledger, LedgerError};
use ops::{assign, check_config, probe, redeliver};
use reports::{calibrate, ledger_verify, report, usage};
use serve::{mock_upstream, serve};

/// Exit code for invalid configuration or usage (sysexits EX_USAGE).
pub const EXIT_CONFIG: u8 = 64;
/// Exit code when the ledger cannot be read at all (sysexits
/// EX_UNAVAILABLE), so a cron job tells "database down" from "violations".
pub const EXIT_UNAVAILABLE: u8 = 69;

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
        Command::Redeliver {
            config,
            tenant,
            since,
            endpoint_id,
        } => redeliver(&config.config, &tenant, &since, endpoint_id.as_deref()).await,
        Command::Probe {
            config,
            timeout,
            admin,
        } => probe(&config.config, admin, timeout).await,
        Command::Keygen { tenant } => {
            // The snippet printed must be one the config accepts.
            if let Some(why) = crate::config::tenant_id_problem(&tenant) {
                eprintln!("error: --tenant {why}");
                return ExitCode::from(EXIT_CONFIG);
            }
            let token = crate::auth::generate_token();
            outln!("# Give this token to tenant {tenant:?} (shown once; store it as a secret):");
            outln!("{token}");
            outln!();
            outln!("# Add this line to the tenant's `keys` in the config:");
            outln!("\"{}\"", crate::auth::hash_line(&token));
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

/// The config's ledger for a command other than `serve`: a SQLite file that
/// does not exist is an error, not a fresh empty ledger that would report
/// zero spend (a relative `sqlite://` path is read from the directory the
/// command runs in, which need not be the gateway's).
async fn open_existing(config: &Config) -> Result<std::sync::Arc<dyn Ledger>, LedgerError> {
    if let StoreConfig::Sqlite { path } = &config.store {
        if !path.exists() {
            let shown = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            return Err(LedgerError::Unavailable(format!(
                "no ledger at {} (store.url: a relative path is read from the directory the \
                 command runs in; run it where the gateway runs, or make the path absolute)",
                shown.display()
            )));
        }
    }
    crate::ledger::open_ledger(&config.store).await
}

/// Standard output failed: a closed pipe exits with the shell's status for
/// a tool SIGPIPE ended (141), anything else says what failed.
pub(crate) fn stdout_failed(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(141);
    }
    eprintln!("error: writing the output: {e}");
    std::process::exit(1);
}
