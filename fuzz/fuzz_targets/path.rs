//! libFuzzer entry point; the checks live in `harness/path.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_harness::path::run(data));
