//! libFuzzer entry point; the checks live in `harness/upstream_answer.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_harness::upstream_answer::run(data));
