//! libFuzzer entry point; the checks live in `harness/config_toml.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_harness::config_toml::run(data));
