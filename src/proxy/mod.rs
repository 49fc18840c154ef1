//! The tenant listener's request path, composed in `stack.rs`:
//! [`request_log`] (id, access log, metrics) → [`render`] (errors become
//! HeyGen envelopes; panics too) → [`admit`] (head-only checks, one config
//! snapshot) → [`gateway`] (one branch: self-service, billable, status read
//! or pass-through). The branches share [`forward`]; billable admissions end
//! their holds and idempotency claims through guards ([`guard`], [`claim`]).

mod accepted;
mod admission;
pub(crate) mod admit;
mod billable;
pub(crate) mod catch_panic;
mod claim;
pub mod context;
mod delete;
mod detached;
pub(crate) mod forward;
pub(crate) mod gateway;
mod guard;
pub(crate) mod headers;
mod hold;
pub(crate) mod hygiene;
mod isolated;
mod lists;
mod liveavatar;
mod liveavatar_token;
pub(crate) mod media;
pub mod path;
mod realtime;
mod refusal;
pub(crate) mod render;
pub(crate) mod request_log;
pub(crate) mod self_service;
mod status;
mod unrecorded;
mod upload;

#[cfg(test)]
pub(crate) mod tests;
