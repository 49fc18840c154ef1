//! Process-level tests of the ledger (issue 4, "Tests that must exist"): the
//! real `heygen-gateway serve` binary runs as child processes in front of the
//! in-process mock HeyGen, on SQLite or on a PostgreSQL server started by
//! `common/pg.rs`.
//!
//! - race: 200+ concurrent billable requests against a budget that fits
//!   exactly K, spread over two processes sharing one PostgreSQL ledger (and
//!   over one process on SQLite): exactly K forwarded, zero overspend.
//! - crash: SIGKILL a gateway during billable load, restart it on the same
//!   ledger; every job HeyGen accepted has exactly one hold, none lost or
//!   doubled, and the restarted gateway settles normally.
//! - sessions: SIGKILL a gateway in the middle of a metered LiveAvatar
//!   session, restart it after a minute boundary passed; every started
//!   minute is charged once and `heygen-gateway ledger verify` passes.
//! - upgrade: a newer build migrates the PostgreSQL ledger under a running
//!   gateway; it goes not ready, reports it on `/metrics` and to its alert
//!   webhook once, refuses billable requests with 503 without claiming
//!   their idempotency keys, free reads pass, and neither its audit nor a
//!   restart accepts the ledger.
//! - upstream_proxy: `upstream.proxy_url`: a `serve` process reaches the
//!   mock only through a `CONNECT` proxy wanting Basic credentials; with
//!   wrong ones the tenant gets 502 and HeyGen sees nothing.
//! - price_book: a restart whose `pricing.version` the ledger already holds
//!   with other prices exits 64 (the config exit code), naming the key.

// A failed unwrap in a test helper is a failed assertion.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/pg.rs"]
mod pg;

#[path = "processes/crash.rs"]
mod crash;
#[path = "processes/harness.rs"]
mod harness;
#[path = "processes/ledger_view.rs"]
mod ledger_view;
#[path = "processes/price_book.rs"]
mod price_book;
#[path = "processes/race.rs"]
mod race;
#[path = "processes/sessions.rs"]
mod sessions;
#[path = "processes/upgrade.rs"]
mod upgrade;
#[path = "processes/upstream_proxy.rs"]
mod upstream_proxy;

#[path = "fanout/receiver.rs"]
#[allow(dead_code)]
mod receiver;
