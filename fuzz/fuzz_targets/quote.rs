//! libFuzzer entry point; the checks live in `harness/quote.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_harness::quote::run(data));
