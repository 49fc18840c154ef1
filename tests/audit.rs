//! `ledger verify` (issue 12): on SQLite and PostgreSQL, a ledger after a
//! mixed workload verifies clean; each invariant broken by a direct SQL
//! update is named in the report; the CLI exits 0/1 and the admin endpoint
//! answers with the same report.
//!
//! The workload runs through the real `Ledger` API (the shared ledger
//! suite's builders in `ledger/support.rs`); the breakage is SQL no
//! gateway code would write, which is exactly what the audit must catch.

// A failed unwrap in a test is a failed assertion.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/pg.rs"]
mod pg;
#[path = "ledger/support.rs"]
mod support;

#[path = "audit/cases.rs"]
mod cases;
#[path = "audit/endpoints.rs"]
mod endpoints;
#[path = "audit/fixture.rs"]
mod fixture;
