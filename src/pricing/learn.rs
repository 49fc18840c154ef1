//! Learned corrections (`pricing.projection.learn = true`): when a tenant's
//! settled jobs of a feature keep running longer than projected, its later
//! projections of that feature are scaled up by the 90th-percentile ratio
//! (real ÷ projected) — bounded to 1.0×–3.0× and only after
//! [`MIN_JOBS`] settled jobs, so a correction never holds less than the
//! plain projection and a few odd jobs cannot move it. Applied to lengths
//! projected from words (`text`, `template_script`); probed, declared and
//! default lengths are left alone. Pure: the ratios come from the caller.

use std::collections::HashMap;

/// Settled jobs of one tenant and feature needed before a correction.
pub const MIN_JOBS: usize = 10;
/// The largest correction, ×1000.
pub const MAX_PERMILLE: u64 = 3000;
/// Scene bases a correction scales.
pub const LEARNED_BASES: &[&str] = &["text", "template_script"];

/// A ratio distribution (real ÷ projected length).
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub jobs: usize,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub max: f64,
}

/// Nearest-rank percentile of sorted values.
fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

impl Stats {
    /// The distribution of `(projected_ms, actual_ms)` pairs.
    pub fn of(pairs: impl IntoIterator<Item = (i64, i64)>) -> Stats {
        let mut r: Vec<f64> = pairs
            .into_iter()
            .map(|(projected, actual)| actual as f64 / projected.max(1) as f64)
            .collect();
        r.sort_by(f64::total_cmp);
        Stats {
            jobs: r.len(),
            p50: pct(&r, 0.5),
            p90: pct(&r, 0.9),
            p95: pct(&r, 0.95),
            max: r.last().copied().unwrap_or(0.0),
        }
    }

    /// The correction these jobs call for, ×1000: the 90th percentile,
    /// rounded up, within 1.0–3.0; `None` below [`MIN_JOBS`] or when the
    /// projection already held.
    pub fn correction_permille(&self) -> Option<u64> {
        if self.jobs < MIN_JOBS || self.p90 <= 1.0 {
            return None;
        }
        Some(((self.p90 * 1000.0).ceil() as u64).clamp(1000, MAX_PERMILLE))
    }
}

/// Corrections per (tenant, feature), ×1000.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Corrections(HashMap<(String, String), u64>);

impl Corrections {
    /// From settled jobs: `(tenant, feature, projected_ms, actual_ms)`.
    pub fn learn<'a>(samples: impl IntoIterator<Item = (&'a str, &'a str, i64, i64)>) -> Self {
        let mut groups: HashMap<(String, String), Vec<(i64, i64)>> = HashMap::new();
        for (tenant, feature, projected, actual) in samples {
            groups
                .entry((tenant.to_string(), feature.to_string()))
                .or_default()
                .push((projected, actual));
        }
        Corrections(
            groups
                .into_iter()
                .filter_map(|(k, pairs)| Some((k, Stats::of(pairs).correction_permille()?)))
                .collect(),
        )
    }

    /// A tenant's corrections by feature.
    pub fn of_tenant(&self, tenant: &str) -> HashMap<String, u64> {
        self.0
            .iter()
            .filter(|((t, _), _)| t == tenant)
            .map(|((_, f), c)| (f.clone(), *c))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrections_need_enough_jobs_and_stay_within_bounds() {
        let long: Vec<(&str, &str, i64, i64)> = (0..10).map(|_| ("a", "tts", 100, 200)).collect();
        let c = Corrections::learn(long.clone());
        assert_eq!(c.of_tenant("a").get("tts"), Some(&2000));
        assert!(c.of_tenant("b").is_empty());
        // Nine jobs are not enough; short jobs never lower a projection.
        assert!(Corrections::learn(long[..9].to_vec()).is_empty());
        let short: Vec<_> = (0..20).map(|_| ("a", "tts", 100, 50)).collect();
        assert!(Corrections::learn(short).is_empty());
        // Runaway ratios are capped.
        let wild: Vec<_> = (0..10).map(|_| ("a", "tts", 100, 10_000)).collect();
        assert_eq!(Corrections::learn(wild).of_tenant("a")["tts"], MAX_PERMILLE);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let s = Stats::of((1..=20).map(|i| (100, 50 + i * 5)));
        assert_eq!((s.jobs, s.p50, s.p95, s.max), (20, 1.0, 1.45, 1.5));
    }
}
