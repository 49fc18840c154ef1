//! Chaos with real processes (issue 12): the `heygen-gateway` binary as a
//! child process (the harness of `tests/processes`) while what it depends
//! on fails — its PostgreSQL server stopped and started again, its SQLite
//! disk full — or while it is killed at named points of its own work
//! (`HEYGEN_GATEWAY_KILL_AT`, see `src/faultpoint.rs`). Every scenario ends
//! with the ledger audit passing. Loopback only, each test bounded.
//!
//! - pg_outage: PostgreSQL stopped under load → 503s in HeyGen's envelope,
//!   free reads pass, recovery without a restart, no hold lost or doubled.

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

#[path = "chaos/pg_outage.rs"]
mod pg_outage;
