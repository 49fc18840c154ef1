//! The validated price book ([`PriceBook`]): integer prices per feature,
//! rounding per API generation, and projection parameters. The raw TOML
//! side lives in [`super::book_file`].

use std::collections::BTreeMap;

use super::features::Unit;
use crate::money::Micros;

/// A validated price: integer micro-credits per minute or per call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub unit: Unit,
    /// Micro-credits per minute (PerMinute) or per call (PerCall).
    pub micros: Micros,
    /// Rounding step of v1/v2 (legacy API credit) routes.
    pub increment_seconds: u32,
    /// Rounding step of v3 routes.
    pub increment_seconds_v3: u32,
    pub minimum_seconds: u32,
}

/// The API generation a job was created through: it decides the rounding
/// step (legacy credits round to 30 s, v3 bills per second).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// v1/v2 routes and legacy streaming.
    Legacy,
    /// `/v3/...` routes.
    V3,
}

impl Generation {
    /// The generation of a request or status path (`/v3/...` is v3).
    pub fn of_path(path: &str) -> Generation {
        if path.starts_with("/v3/") {
            Generation::V3
        } else {
            Generation::Legacy
        }
    }
}

// === impl Price ===

impl Price {
    /// Seconds charged for a legacy (v1/v2) video of `duration_ms`.
    pub fn billed_seconds(&self, duration_ms: u64) -> u64 {
        self.billed_seconds_in(Generation::Legacy, duration_ms)
    }

    /// Seconds charged for a video of `duration_ms` made through `gen`:
    /// whole seconds rounded up to that generation's increment, at least one
    /// increment and `minimum_seconds`. Per-call prices bill no seconds.
    pub fn billed_seconds_in(&self, gen: Generation, duration_ms: u64) -> u64 {
        if self.unit == Unit::PerCall {
            return 0;
        }
        let secs = duration_ms.div_ceil(1000).max(1);
        let step = match gen {
            Generation::Legacy => self.increment_seconds,
            Generation::V3 => self.increment_seconds_v3,
        };
        let inc = u64::from(step.max(1));
        secs.div_ceil(inc)
            .saturating_mul(inc)
            .max(u64::from(self.minimum_seconds))
    }

    /// Cost of `billed_seconds`: ceil(seconds × micros/min ÷ 60), integer only.
    /// Per-call prices cost their flat price.
    pub fn cost_of_seconds(&self, billed_seconds: u64) -> Micros {
        match self.unit {
            Unit::PerCall => self.micros,
            Unit::PerMinute => {
                let num = u128::from(billed_seconds) * self.micros.max(0) as u128;
                Micros::try_from(num.div_ceil(60)).unwrap_or(Micros::MAX)
            }
        }
    }

    /// `(billed_seconds, cost)` of one legacy video of `duration_ms`.
    pub fn cost(&self, duration_ms: u64) -> (u64, Micros) {
        self.cost_in(Generation::Legacy, duration_ms)
    }

    /// `(billed_seconds, cost)` of one video of `duration_ms` made through `gen`.
    pub fn cost_in(&self, gen: Generation, duration_ms: u64) -> (u64, Micros) {
        let billed = self.billed_seconds_in(gen, duration_ms);
        (billed, self.cost_of_seconds(billed))
    }
}

/// Validated projection parameters, integers scaled by 1000.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    /// Words per minute × 1000.
    pub wpm_milli: u64,
    /// CJK characters per second × 1000.
    pub cjk_cps_milli: u64,
    /// Safety factor × 1000 (≥ 1000).
    pub safety_permille: u64,
    pub default_audio_ms: u64,
    pub default_translation_source_ms: u64,
    pub default_template_ms: u64,
    pub default_agent_ms: u64,
    pub default_session_ms: u64,
    /// HyperFrames renders (length set by the composition).
    pub default_render_ms: u64,
    /// Apply learned per-tenant corrections (`pricing::learn`).
    pub learn: bool,
}

/// The validated, immutable price book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceBook {
    // Built only by `book_file` (validation) so a book is always valid.
    pub(super) version: String,
    pub(super) prices: BTreeMap<&'static str, Price>,
    pub(super) projection: Projection,
}

// === impl PriceBook ===

impl PriceBook {
    /// Version string recorded with every ledger entry.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Names of every priced feature.
    pub fn features(&self) -> impl Iterator<Item = &str> {
        self.prices.keys().copied()
    }

    /// The price of one feature.
    pub fn price(&self, feature: &str) -> Option<&Price> {
        self.prices.get(feature)
    }

    /// Projection parameters.
    pub fn projection(&self) -> &Projection {
        &self.projection
    }
}
