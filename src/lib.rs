//! heygen-gateway: a credit-aware reverse proxy in front of the HeyGen API.
//!
//! A request on the tenant listener goes through, in order:
//! [`proxy::path`] (normalise once) → [`auth`] (tenant by key digest) →
//! [`limits`] (request rate) → [`catalog`] (what route is this) →
//! [`pricing`] (project the cost, apply plan policy; pure) → `ledger` (hold
//! the cost in every window of tenant and org, atomically and durably) →
//! `upstream` (forward with the org key) → record the upstream job ids
//! → settle later from status reads, webhooks or the poller.
//! Every refusal is one [`error::GatewayError`]; every metric is in [`metrics`].

pub mod admin;
pub mod auth;
mod background;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod conn;
pub mod egress;
pub mod error;
pub mod fanout;
pub mod http;
pub mod ledger;
pub mod limits;
pub mod metrics;
pub mod money;
pub mod ownership;
pub mod preflight;
pub mod price_books;
pub mod pricing;
pub mod probe;
pub mod proxy;
pub mod server;
pub mod settlement;
pub mod signature;
pub mod stack;
pub mod state;
pub mod upstream;
