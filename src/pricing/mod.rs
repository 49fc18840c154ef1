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
