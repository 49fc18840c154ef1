//! Chaos with real processes (issue 12): the `heygen-gateway` binary as a
//! child process (the harness of `tests/processes`) while what it depends
//! on fails — its PostgreSQL server stopped and started again, its SQLite
//! disk full — or while it is killed at named points of its own work
//! (`HEYGEN_GATEWAY_KILL_AT`, see `src/faultpoint.rs`). Every scenario ends
//! with the ledger audit passing. Loopback only, each test bounded.
//!
//! - pg_outage: PostgreSQL stopped under load → 503s in HeyGen's envelope,
//!   free reads pass, recovery without a restart, no hold lost or doubled.
//! - full_disk: SQLite on a full tmpfs → 503s, no corruption, recovery
//!   when space returns.
//! - kill_points: SIGKILL at each named point of admission, settlement,
//!   expiry and webhook fan-out, restart, `ledger verify` exits 0.
//! - kill_delete: SIGKILL after HeyGen confirmed a delete, before the
//!   capture it owes; the hold's TTL captures it.
//! - kill_idem: SIGKILL after forwarding a keyed v3 create; past the
//!   claim's lease the retry takes the key and the lost hold over.

// A failed unwrap in a test helper is a failed assertion.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/pg.rs"]
mod pg;

// Shared with tests/processes.rs; this binary uses part of each.
#[allow(dead_code)]
#[path = "processes/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "processes/ledger_view.rs"]
mod ledger_view;

#[path = "chaos/full_disk.rs"]
mod full_disk;
#[path = "chaos/kill_delete.rs"]
mod kill_delete;
#[path = "chaos/kill_idem.rs"]
mod kill_idem;
#[path = "chaos/kill_points.rs"]
mod kill_points;
#[path = "chaos/pg_outage.rs"]
mod pg_outage;
#[allow(dead_code)]
#[path = "fanout/receiver.rs"]
mod receiver;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{TestConfig, ADMIN_TOKEN, ORG_KEY, WEBHOOK_SECRET};
use harness::{GatewayProc, Node};
use heygen_gateway::faultpoint::ENV_KILL_AT;

/// Serialises gateway starts in this binary: the harness passes a fixed
/// environment, so the kill point reaches the child through this process's
/// own environment, set only while one child is being started.
static SPAWN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Clears the kill point when the start ends, a panicking one included.
struct KillAtVar;

impl Drop for KillAtVar {
    fn drop(&mut self) {
        std::env::remove_var(ENV_KILL_AT);
    }
}

/// Starts `node`'s gateway, armed to die at `kill_at` when given. Every
/// start in this binary goes through here, so no other child inherits it.
pub async fn start(node: &mut Node, kill_at: Option<&str>) -> GatewayProc {
    let _one_at_a_time = SPAWN.lock().await;
    let _clear = KillAtVar;
    match kill_at {
        Some(point) => std::env::set_var(ENV_KILL_AT, point),
        None => std::env::remove_var(ENV_KILL_AT),
    }
    node.start().await
}

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_heygen-gateway");

/// Writes `cfg` as it stands to `verify.toml` in its own directory, for
/// `ledger verify` (which reads only the store and plan sections, so the
/// listen ports the harness picks later do not matter).
pub fn write_verify_config(cfg: &TestConfig) -> PathBuf {
    let path = cfg.dir.path().join("verify.toml");
    std::fs::write(&path, cfg.toml()).unwrap();
    path
}

/// Runs `heygen-gateway ledger verify --config PATH`: its exit code and
/// everything it printed.
pub fn ledger_verify(config: &Path) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .args(["ledger", "verify", "--config"])
        .arg(config)
        .env("HEYGEN_API_KEY", ORG_KEY)
        .env("HEYGEN_GATEWAY_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("HEYGEN_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env_remove(ENV_KILL_AT)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}
