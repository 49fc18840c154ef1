//! Price book and cost projection. Pure: no I/O, no clock.
//! (Stub: replaced by the pricing work.)

use serde::Deserialize;

use crate::config::ConfigError;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilePricing {
    pub version: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PriceBook {
    pub version: String,
}

impl PriceBook {
    pub fn from_file(file: &FilePricing) -> Result<PriceBook, Vec<ConfigError>> {
        Ok(PriceBook {
            version: file.version.clone().unwrap_or_else(|| "builtin".into()),
        })
    }
}

/// Stub of the pricing error (replaced by the pricing work).
#[derive(Debug, Clone)]
pub struct PricingError {
    status: u16,
    code: &'static str,
    message: String,
}

impl PricingError {
    pub fn status(&self) -> u16 {
        self.status
    }
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl std::fmt::Display for PricingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PricingError {}
