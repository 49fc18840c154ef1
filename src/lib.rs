//! heygen-gateway: a credit-aware reverse proxy in front of the HeyGen API.
//!
//! The tenant listener serves one tower stack (`stack.rs`), outermost first:
//! request log (id, access line, metrics) → error rendering (HeyGen
//! envelopes) → catch-panic → admission (normalise the path once, classify
//! with [`catalog`], authenticate with [`auth`], rate-limit with [`limits`])
//! → the gateway service, which applies isolation (`ownership`) and takes one
//! branch: self-service, billable ([`pricing`] projects the cost, the
//! [`ledger`] holds it durably, `upstream` forwards with the org key, jobs
//! are recorded), status read (settles on the way back), or pass-through.
//! Settlement also comes from webhooks and the poller. Every refusal is one
//! [`error::GatewayError`]; every metric is in [`metrics`].

// `pub` only where a module is API (tests, benches, the binary use it);
// the request path's internals are crate-private and say so.
#![warn(unreachable_pub)]

pub(crate) mod admin;
pub mod alerts;
pub mod auth;
mod background;
pub(crate) mod batch_items;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod conn;
pub(crate) mod deferred_stops;
pub mod egress;
pub mod error;
pub(crate) mod fanout;
pub mod faultpoint;
pub mod http;
pub mod io_slot;
pub mod lane;
pub mod ledger;
pub mod limits;
pub mod lookup;
pub mod metrics;
pub mod money;
pub(crate) mod ownership;
pub(crate) mod preflight;
pub mod price_books;
pub mod pricing;
pub mod probe;
pub mod proxy;
pub mod schema_guard;
pub mod server;
pub(crate) mod sessions;
pub(crate) mod settlement;
pub mod signature;
pub mod stack;
pub mod state;
pub(crate) mod stopping_sessions;
#[cfg(test)]
mod test_tls;
pub(crate) mod unexplained_sessions;
pub(crate) mod unregistered_sessions;
pub mod upstream;
