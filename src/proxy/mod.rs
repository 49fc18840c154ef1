//! The tenant-facing proxy.

mod billing;
pub mod body;
pub mod client;
pub mod handler;
pub mod headers;
pub mod hygiene;
pub mod path;
mod route;
