//! What each fuzz target checks, kept apart from libFuzzer so the normal
//! test suite (`tests/fuzz_corpus.rs`) replays every corpus file through the
//! very same code: a crash found by fuzzing, once its input is saved under
//! `fuzz/corpus/<target>/`, stays a regression test in `cargo test`.
//!
//! Each module exposes `run(data: &[u8])`, which panics on a violated
//! invariant (libFuzzer reports the panic as a crash).

pub mod config_toml;
pub mod http_head;
pub mod path;
pub mod quote;
pub mod upstream_answer;
pub mod webhook;
