//! The tenant-facing proxy.

pub mod body;
pub mod client;
pub mod handler;
pub mod headers;
pub mod path;
mod route;
