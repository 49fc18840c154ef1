//! Target `config_toml`: the config file parser and validator. Any text
//! must give a `Config` or a non-empty list of errors, never a panic.

use heygen_gateway::config::Config;

pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(errors) = Config::from_toml(&text) {
        // A refusal the operator cannot read is a bug too.
        assert!(!errors.0.is_empty(), "refused without saying why");
        assert!(!errors.to_string().trim().is_empty(), "empty error text");
    }
}
