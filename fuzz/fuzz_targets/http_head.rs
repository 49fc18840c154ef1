//! libFuzzer entry point; the checks live in `harness/http_head.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_harness::http_head::run(data));
