//! (Stub until the limits module lands.)
use std::time::Duration;

use crate::config::TenantConfig;

pub struct RateLimiter;

impl RateLimiter {
    pub fn new(_tenants: &[TenantConfig]) -> Self {
        RateLimiter
    }
    pub fn check(&self, _tenant: &str) -> Result<(), Duration> {
        Ok(())
    }
    pub fn reconfigure(&self, _tenants: &[TenantConfig]) {}
}
