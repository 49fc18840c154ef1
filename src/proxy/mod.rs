//! The tenant listener's request path, composed in `stack.rs`:
//! [`request_log`] (id, access log, metrics) → [`render`] (errors become
//! HeyGen envelopes; panics too) → [`admit`] (head-only checks, one config
//! snapshot) → [`gateway`] (one branch: self-service, billable, status read
//! or pass-through). The branches share [`forward`]; billable admissions end
//! their holds and idempotency claims through [`guard`]s.

mod admission;
pub mod admit;
mod billable;
pub mod catch_panic;
pub mod context;
mod forward;
pub mod gateway;
mod guard;
pub mod headers;
pub mod hygiene;
mod isolated;
pub mod path;
pub mod render;
pub mod request_log;
pub mod self_service;
mod status;

pub use billable::{HEADER_HOLD_ID, HEADER_PROJECTED, HEADER_REMAINING, HEADER_REPLAYED};

#[cfg(test)]
mod tests;
