//! libFuzzer entry point; the checks live in `harness/webhook.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_harness::webhook::run(data));
