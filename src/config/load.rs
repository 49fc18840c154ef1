//! Reading a config file: TOML parsed with every bad key reported and
//! removed so the rest is still checked, then [`validate`](super::validate)
//! collecting the remaining problems; and the error types all of that
//! reports with. Apart from the validated types in `mod.rs`, which runtime
//! code reads without caring how they were loaded.

use std::path::Path;

use super::{file, validate, Config};

/// One configuration problem: the key path (`tenants[1].budgets.daily`) and
/// what is wrong with it, phrased so the reader knows the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "`{}`: {}", self.key, self.message)
        }
    }
}

/// Every problem found in one file, printed one per line.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Environment variable that names the config file when `--config` is absent.
pub const ENV_CONFIG: &str = "HEYGEN_GATEWAY_CONFIG";
/// Config file used when neither `--config` nor the env var is given.
pub const DEFAULT_CONFIG_PATH: &str = "config/gateway.toml";

impl Config {
    /// Parses and validates TOML text, reporting every problem at once: a
    /// key that fails to deserialise (unknown, wrong type) is recorded and
    /// removed, and parsing is retried so the remaining keys are still checked.
    pub fn from_toml(text: &str) -> Result<Config, ConfigErrors> {
        let mut table: toml::Table = toml::from_str(text)
            .map_err(|e| ConfigErrors(vec![ConfigError::new("", format!("invalid TOML: {e}"))]))?;
        let mut errors = Vec::new();
        // Each retry removes one offending key, so this ends; the bound only
        // guards against a pathological file.
        for _ in 0..64 {
            let value = toml::Value::Table(table.clone());
            match serde_path_to_error::deserialize::<_, file::FileConfig>(value) {
                Ok(raw) => {
                    return match validate::validate(raw) {
                        Ok(cfg) if errors.is_empty() => Ok(cfg),
                        Ok(_) => Err(ConfigErrors(errors)),
                        Err(mut more) => {
                            errors.append(&mut more);
                            Err(ConfigErrors(errors))
                        }
                    };
                }
                Err(e) => {
                    let path = e.path().clone();
                    let key = path.to_string();
                    let key = if key == "." { String::new() } else { key };
                    errors.push(ConfigError::new(key, plain(&e.into_inner().to_string())));
                    if !remove_path(&mut table, &path) {
                        return Err(ConfigErrors(errors));
                    }
                }
            }
        }
        Err(ConfigErrors(errors))
    }

    /// Reads, parses and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![ConfigError::new(
                "",
                format!("cannot read config file {}: {e}", path.display()),
            )])
        })?;
        Self::from_toml(&text)
    }

    /// [`Config::load`] on tokio's blocking pool, for a reload: it reads the
    /// config file and every file it names (secrets, `ca_file`s) with
    /// blocking calls, and a slow disk or network mount must not stall the
    /// I/O thread that serves requests.
    pub async fn load_off_runtime(path: std::path::PathBuf) -> Result<Config, ConfigErrors> {
        tokio::task::spawn_blocking(move || Config::load(&path))
            .await
            .unwrap_or_else(|e| {
                Err(ConfigErrors(vec![ConfigError::new(
                    "",
                    format!("reading the config file failed: {e}"),
                )]))
            })
    }
}

/// Removes the value at a serde path from a TOML table; false if not found.
fn remove_path(table: &mut toml::Table, path: &serde_path_to_error::Path) -> bool {
    use serde_path_to_error::Segment;
    let segs: Vec<&Segment> = path.iter().collect();
    let Some((last, parents)) = segs.split_last() else {
        return false;
    };
    let mut cur: &mut toml::Value = match parents.first() {
        Some(Segment::Map { key }) => match table.get_mut(key) {
            Some(v) => v,
            None => return false,
        },
        None => {
            return match last {
                Segment::Map { key } => table.remove(key).is_some(),
                _ => false,
            }
        }
        _ => return false,
    };
    for seg in parents.iter().skip(1) {
        let next = match (seg, cur) {
            (Segment::Map { key }, toml::Value::Table(t)) => t.get_mut(key),
            (Segment::Seq { index }, toml::Value::Array(a)) => a.get_mut(*index),
            _ => None,
        };
        match next {
            Some(v) => cur = v,
            None => return false,
        }
    }
    match (last, cur) {
        (Segment::Map { key }, toml::Value::Table(t)) => t.remove(key).is_some(),
        (Segment::Seq { index }, toml::Value::Array(a)) if *index < a.len() => {
            a.remove(*index);
            true
        }
        _ => false,
    }
}
/// The TOML library's message in ops' words: its trailing "in `key`" line
/// repeats the key the error already starts with, and Rust's type names
/// (`u32`, `f64`) mean nothing to someone editing a config file.
fn plain(msg: &str) -> String {
    let msg = msg.trim();
    let msg = match msg.rsplit_once('\n') {
        Some((head, last)) if last.trim_start().starts_with("in `") => head.trim_end(),
        _ => msg,
    };
    let mut out = msg.to_string();
    for (rust, words) in [
        ("expected u8", "expected a whole number, 0 or more"),
        ("expected u16", "expected a whole number, 0 or more"),
        ("expected u32", "expected a whole number, 0 or more"),
        ("expected u64", "expected a whole number, 0 or more"),
        ("expected usize", "expected a whole number, 0 or more"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
    ] {
        out = out.replace(rust, words);
    }
    out
}
