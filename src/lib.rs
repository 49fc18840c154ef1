//! heygen-gateway: a credit-aware reverse proxy in front of the HeyGen API.

pub mod catalog;
pub mod clock;
pub mod config;
pub mod mock;
pub mod money;
pub mod pricing;
pub mod server;
