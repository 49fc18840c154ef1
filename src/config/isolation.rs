//! Isolation settings: `[isolation] unowned` for the org and
//! `[[tenants]] isolation` per tenant. Raw form here, validated by
//! [`IsolationConfig::from_file`]; the config module only holds them.

use serde::Deserialize;

use super::ConfigError;

/// What tenants may do with resources nobody recorded (created before the
/// gateway, or with the org key directly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unowned {
    /// Nothing: they are invisible and untouchable (404), until ops assign them.
    #[default]
    Deny,
    /// Reads and lists see them; changes are refused.
    Read,
}

/// How far a tenant's view reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Isolation {
    /// Only what the tenant created or was assigned.
    #[default]
    Tenant,
    /// Everything in the account, including account-wide routes (an
    /// internal admin app).
    Org,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileIsolation {
    pub unowned: Option<String>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct IsolationConfig {
    pub unowned: Unowned,
}

impl IsolationConfig {
    pub fn from_file(raw: &FileIsolation, errors: &mut Vec<ConfigError>) -> IsolationConfig {
        let unowned = match raw.unowned.as_deref() {
            None | Some("deny") => Unowned::Deny,
            Some("read") => Unowned::Read,
            Some(other) => {
                errors.push(ConfigError::new(
                    "isolation.unowned",
                    format!("is {other:?}; use \"deny\" or \"read\""),
                ));
                Unowned::Deny
            }
        };
        IsolationConfig { unowned }
    }
}

/// A tenant's `isolation` key.
pub fn tenant_isolation(key: &str, raw: Option<&str>, errors: &mut Vec<ConfigError>) -> Isolation {
    match raw {
        None | Some("tenant") => Isolation::Tenant,
        Some("org") => Isolation::Org,
        Some(other) => {
            errors.push(ConfigError::new(
                key,
                format!(
                    "is {other:?}; use \"tenant\" (default) or \"org\" (sees the whole account)"
                ),
            ));
            Isolation::Tenant
        }
    }
}
