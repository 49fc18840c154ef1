//! Settlement families: where each completed job's real length came from,
//! and the captures that had to fall back to the gateway's own estimate.

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec};

use super::reg::Reg;
use super::Metrics;

/// Where a completed job's length came from, as the `source` label spells
/// it: HeyGen's status (read by a tenant, the poller or a webhook's
/// re-read), the finished output file itself, or nowhere (the hold is
/// captured: the estimate).
pub const SETTLEMENT_SOURCES: [&str; 4] = ["status", "webhook", "output_probe", "estimate"];

/// Real ÷ projected length: below 1 the hold erred high (as it should),
/// above 1 the projection was short.
const RATIO_BUCKETS: [f64; 12] = [
    0.25, 0.5, 0.75, 0.9, 1.0, 1.05, 1.1, 1.25, 1.5, 2.0, 3.0, 5.0,
];

pub(super) struct SettlementFamilies {
    sources: IntCounterVec,
    at_estimate: IntCounterVec,
    projection_ratio: HistogramVec,
}

impl SettlementFamilies {
    pub(super) fn register(r: &Reg<'_>) -> Result<SettlementFamilies, prometheus::Error> {
        let families = SettlementFamilies {
            sources: r.int_counter(
                "heygen_gateway_settlement_source_total",
                "Completed jobs settled, by where their real length came from \
                 (status, webhook, output_probe, estimate).",
                &["source"],
            )?,
            at_estimate: r.int_counter(
                "heygen_gateway_settlement_at_estimate_total",
                "Completed jobs captured at the hold because no real length could be learned, \
                 by feature: each is spend the gateway could not check against HeyGen's bill.",
                &["feature"],
            )?,
            projection_ratio: r.add(HistogramVec::new(
                HistogramOpts::new(
                    "heygen_gateway_projection_ratio",
                    "Settled jobs' real length divided by the length they were held for, by feature \
                     (`heygen-gateway calibrate` reads the same from the ledger).",
                )
                .buckets(RATIO_BUCKETS.to_vec()),
                &["feature"],
            )?)?,
        };
        // Zero from start so `increase(...) > 0` alerts see the first one.
        for source in SETTLEMENT_SOURCES {
            families.sources.with_label_values(&[source]);
        }
        Ok(families)
    }
}

// === impl Metrics (settlement) ===

impl Metrics {
    /// Counts a completed job's settlement by the source of its length;
    /// `estimate` also counts it against `feature`.
    pub fn settled_from(&self, source: &str, feature: &str) {
        let s = &self.inner.settlement;
        s.sources.with_label_values(&[source]).inc();
        if source == "estimate" {
            s.at_estimate.with_label_values(&[feature]).inc();
        }
    }

    /// Observes a settled job's real ÷ projected length.
    pub fn projection_ratio(&self, feature: &str, ratio: f64) {
        if ratio.is_finite() && ratio >= 0.0 {
            let h = &self.inner.settlement.projection_ratio;
            h.with_label_values(&[feature]).observe(ratio);
        }
    }

    /// Creates the at-estimate series of `features` at 0.
    pub fn init_settlement_features<'a>(&self, features: impl IntoIterator<Item = &'a str>) {
        for feature in features {
            self.inner
                .settlement
                .at_estimate
                .with_label_values(&[feature]);
        }
    }
}
