//! `heygen-gateway`: parse the command line, run, map failures to exit codes
//! (64 for invalid configuration or usage, 1 for runtime failures).

use std::process::ExitCode;

use clap::Parser;
use heygen_gateway::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(heygen_gateway::commands::run(cli.command))
}
