//! Command-line interface.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{DEFAULT_CONFIG_PATH, ENV_CONFIG};

#[derive(Debug, Parser)]
#[command(
    name = "heygen-gateway",
    version,
    about = "Credit-aware reverse proxy in front of the HeyGen API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Args)]
pub struct ConfigArg {
    /// Configuration file.
    #[arg(long, short, env = ENV_CONFIG, default_value = DEFAULT_CONFIG_PATH)]
    pub config: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (tenant and admin listeners).
    Serve(ConfigArg),
    /// Validate the configuration and report every problem (exit 64 if any).
    CheckConfig {
        #[command(flatten)]
        config: ConfigArg,
        /// Skip checking that referenced secrets (org key, webhook secret,
        /// admin token) resolve on this machine.
        #[arg(long)]
        offline: bool,
        /// `text` (default) or `json`.
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        format: String,
    },
    /// Health probe for containers: exit 0 when the admin listener's
    /// `/readyz` answers 200, 1 otherwise.
    Probe {
        #[command(flatten)]
        config: ConfigArg,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 3)]
        timeout: u64,
        /// Admin address to probe instead of the config's `server.admin_listen`.
        #[arg(long)]
        admin: Option<std::net::SocketAddr>,
    },
    /// Generate a tenant token and the `sha256:` line for the config.
    Keygen {
        /// Tenant id the token is for (printed in the snippet).
        #[arg(long)]
        tenant: String,
    },
    /// Price a request without sending it.
    Quote {
        #[command(flatten)]
        config: ConfigArg,
        /// HTTP method of the request.
        #[arg(long, default_value = "POST")]
        method: String,
        /// HeyGen path, e.g. /v2/video/generate.
        #[arg(long)]
        path: String,
        /// JSON body file (`-` for standard input).
        #[arg(long)]
        file: Option<PathBuf>,
        /// Price as this tenant would be (route permissions; with
        /// `--online` also its learned corrections).
        #[arg(long)]
        tenant: Option<String>,
        /// Read what a request would read before pricing — media lengths
        /// (probed through the egress guard), looks and templates (HeyGen,
        /// with the org key), recorded uploads and proofread modes (the
        /// ledger) — instead of pricing at the defaults.
        #[arg(long)]
        online: bool,
    },
    /// Show budgets and usage from the ledger.
    Usage {
        #[command(flatten)]
        config: ConfigArg,
        /// Only this tenant (default: the org and every tenant).
        #[arg(long)]
        tenant: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Spend report of a period for chargeback: held, captured, released,
    /// expired, adjusted and overage per tenant and feature.
    Report {
        #[command(flatten)]
        config: ConfigArg,
        /// A month (2026-11) or a day (2026-11-05) in `plan.timezone`.
        #[arg(long)]
        period: String,
        /// `tenant`, `feature` or `tenant,feature` (default).
        #[arg(long)]
        group_by: Option<String>,
        /// Print CSV instead of JSON.
        #[arg(long)]
        csv: bool,
    },
    /// How far projections were from what settled jobs really lasted, per
    /// feature and tenant, with suggested `pricing.projection` values.
    Calibrate {
        #[command(flatten)]
        config: ConfigArg,
        /// Only jobs settled since (RFC 3339; default: 30 days ago).
        #[arg(long)]
        since: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Make a tenant the owner of resources that existed before the gateway
    /// (or were created with the org key directly). Journaled.
    Assign {
        #[command(flatten)]
        config: ConfigArg,
        /// The tenant that becomes the owner.
        #[arg(long)]
        tenant: String,
        /// A label for the resources (video, translation, asset, …).
        #[arg(long, default_value = "assigned")]
        kind: String,
        /// Who is doing this, for the journal.
        #[arg(long, default_value = "cli")]
        actor: String,
        /// HeyGen resource ids.
        #[arg(required = true)]
        resources: Vec<String>,
    },
    /// Send a tenant's dead webhook deliveries again: re-queues those
    /// queued since a time (at most 10,000 a run; run again while more
    /// remain) for the running gateway's fan-out worker.
    Redeliver {
        #[command(flatten)]
        config: ConfigArg,
        /// The tenant whose deliveries are re-queued.
        #[arg(long)]
        tenant: String,
        /// Deliveries queued at or after this time (RFC 3339).
        #[arg(long)]
        since: String,
        /// Only this endpoint's deliveries.
        #[arg(long)]
        endpoint_id: Option<String>,
    },
    /// Ledger maintenance.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Run the mock HeyGen upstream (for trying the gateway without an account).
    MockUpstream {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: std::net::SocketAddr,
        /// The org key the mock accepts.
        #[arg(long, env = "HEYGEN_API_KEY")]
        key: String,
        /// Complete every job immediately with this duration in seconds.
        #[arg(long)]
        auto_complete: Option<f64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Recompute every counter and hold from the journal and check the
    /// ledger's invariants, read-only (exit 0 when all hold, 1 with
    /// violations, 69 when the ledger cannot be read).
    Verify {
        #[command(flatten)]
        config: ConfigArg,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Seconds an open hold may be past its expiry before it is reported
        /// (expiry runs periodically).
        #[arg(long, default_value_t = crate::ledger::audit::DEFAULT_GRACE_SECONDS)]
        grace_seconds: u64,
    },
}
