//! What each subcommand does.
//!
//! `run` dispatches; each group of subcommands has its own file: `serve`
//! (the long-running servers), `ops` (check-config, assign, redeliver,
//! probe), `reports` (the commands that read the ledger and print) and
//! `quote`.

mod ops;
mod quote;
mod reports;
mod serve;

use std::process::ExitCode;

use crate::cli::{Command, LedgerCommand};
use crate::config::Config;
use ops::{assign, check_config, probe, redeliver};
use reports::{calibrate, ledger_verify, report, usage};
use serve::{mock_upstream, serve};

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
