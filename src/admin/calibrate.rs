//! `heygen-gateway calibrate`: how far projections were from what settled
//! jobs really lasted, per feature and per tenant, and which
//! `pricing.projection` values would have held each feature's jobs. A
//! ratio is real ÷ projected length: below 1 the hold erred high (the
//! intent), above 1 the projection was short and spend ran past the hold.

use serde_json::{json, Value};

use crate::ledger::CalibrationSample;
use crate::pricing::Projection;

pub(crate) use crate::pricing::learn::Stats;

pub(crate) fn stats(samples: &[&CalibrationSample]) -> Stats {
    Stats::of(samples.iter().map(|s| (s.projected_ms, s.actual_ms)))
}

/// Settled jobs a feature needs before its suggestions are more than a
/// hint: below 20, the 95th percentile is simply the largest ratio seen,
/// so one odd job would set the safety factor for everyone.
pub(crate) const MIN_JOBS_FOR_SUGGESTIONS: u64 = 20;

/// The safety factor that would have held 95 % of the jobs: the current
/// one scaled by the 95th percentile ratio, never below 1.0 (the gateway
/// never projects below the plain projection), to two decimals, up.
pub(crate) fn suggested_safety(current: f64, s: &Stats) -> f64 {
    ((current * s.p95 * 100.0).ceil() / 100.0).max(1.0)
}

/// Words per minute that would put the median script at its real length
/// (meaningful for features whose projections come from scripts).
pub(crate) fn suggested_wpm(current: f64, s: &Stats) -> f64 {
    if s.p50 <= 0.0 {
        return current;
    }
    (current / s.p50).round()
}

fn group_json(s: &Stats) -> Value {
    let r = |x: f64| (x * 1000.0).round() / 1000.0;
    json!({"jobs": s.jobs, "p50": r(s.p50), "p90": r(s.p90), "p95": r(s.p95), "max": r(s.max)})
}

/// The report: per feature (with suggestions) and per feature and tenant.
pub(crate) fn report(samples: &[CalibrationSample], projection: &Projection) -> Value {
    let safety = projection.safety_permille as f64 / 1000.0;
    let wpm = projection.wpm_milli as f64 / 1000.0;
    let mut features: Vec<&str> = samples.iter().map(|s| s.feature.as_str()).collect();
    features.dedup();
    let mut out = Vec::new();
    for f in features {
        let of: Vec<&CalibrationSample> = samples.iter().filter(|s| s.feature == f).collect();
        let st = stats(&of);
        let mut tenants: Vec<&str> = of.iter().map(|s| s.tenant.as_str()).collect();
        tenants.sort_unstable();
        tenants.dedup();
        let per_tenant: Vec<Value> = tenants
            .iter()
            .map(|t| {
                let mine: Vec<&CalibrationSample> =
                    of.iter().copied().filter(|s| s.tenant == *t).collect();
                let mut v = group_json(&stats(&mine));
                v["tenant"] = json!(t);
                v
            })
            .collect();
        let mut v = group_json(&st);
        v["feature"] = json!(f);
        v["tenants"] = json!(per_tenant);
        v["suggested_safety_factor"] = json!(suggested_safety(safety, &st));
        v["suggested_words_per_minute"] = json!(suggested_wpm(wpm, &st));
        v["suggestions_reliable"] = json!(st.jobs as u64 >= MIN_JOBS_FOR_SUGGESTIONS);
        out.push(v);
    }
    json!({
        "safety_factor": safety,
        "words_per_minute": wpm,
        "features": out,
    })
}

/// The report as a table for a terminal.
pub(crate) fn table(report: &Value) -> String {
    let mut out = format!(
        "{:<28} {:<14} {:>6} {:>7} {:>7} {:>7} {:>7}  SUGGESTED safety_factor / words_per_minute\n",
        "FEATURE", "TENANT", "JOBS", "P50", "P90", "P95", "MAX"
    );
    let num = |v: &Value, k: &str| v[k].as_f64().unwrap_or(0.0);
    // A JSON value ignores width and alignment: counts go in as integers.
    let jobs = |v: &Value| v["jobs"].as_u64().unwrap_or(0);
    for f in report["features"].as_array().into_iter().flatten() {
        let feature = f["feature"].as_str().unwrap_or("");
        out.push_str(&format!(
            "{:<28} {:<14} {:>6} {:>7.3} {:>7.3} {:>7.3} {:>7.3}  {} / {}\n",
            feature,
            "(all)",
            jobs(f),
            num(f, "p50"),
            num(f, "p90"),
            num(f, "p95"),
            num(f, "max"),
            f["suggested_safety_factor"],
            f["suggested_words_per_minute"],
        ));
        if f["suggestions_reliable"] == false {
            out.pop();
            out.push_str(&format!(
                "  (only {} jobs: a hint, not a setting)\n",
                jobs(f)
            ));
        }
        for t in f["tenants"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "{:<28} {:<14} {:>6} {:>7.3} {:>7.3} {:>7.3} {:>7.3}\n",
                "",
                t["tenant"].as_str().unwrap_or(""),
                jobs(t),
                num(t, "p50"),
                num(t, "p90"),
                num(t, "p95"),
                num(t, "max"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(feature: &str, tenant: &str, projected: i64, actual: i64) -> CalibrationSample {
        CalibrationSample {
            feature: feature.into(),
            tenant: tenant.into(),
            projected_ms: projected,
            actual_ms: actual,
        }
    }

    #[test]
    fn percentiles_and_suggestions() {
        let all: Vec<CalibrationSample> = (1..=20)
            .map(|i| sample("standard_avatar", "a", 100, 50 + i * 5))
            .collect();
        let refs: Vec<&CalibrationSample> = all.iter().collect();
        let s = stats(&refs);
        assert_eq!((s.jobs, s.p50, s.p95, s.max), (20, 1.0, 1.45, 1.5));
        assert_eq!(suggested_safety(1.1, &s), 1.6, "1.1 × 1.45 = 1.595, up");
        assert_eq!(suggested_wpm(150.0, &s), 150.0);
        // Projections that err high never suggest going below 1.0.
        let low = stats(&[&sample("x", "a", 100, 10)]);
        assert_eq!(suggested_safety(1.1, &low), 1.0);
        assert_eq!(suggested_wpm(150.0, &low), 1500.0);
    }

    #[test]
    fn report_groups_by_feature_then_tenant() {
        let all = vec![
            sample("avatar_iv", "a", 100, 200),
            sample("avatar_iv", "b", 100, 100),
            sample("standard_avatar", "a", 100, 90),
        ];
        let book = crate::pricing::PriceBook::builtin();
        let r = report(&all, book.projection());
        assert_eq!(r["features"][0]["feature"], "avatar_iv");
        assert_eq!(r["features"][0]["jobs"], 2);
        assert_eq!(r["features"][0]["tenants"][1]["tenant"], "b");
        assert_eq!(r["features"][0]["max"], 2.0);
        // Two jobs suggest, but say they are only a hint.
        assert_eq!(r["features"][0]["suggestions_reliable"], false);
        assert!(table(&r).contains("(only 2 jobs: a hint, not a setting)"));
        let many: Vec<_> = (0..20)
            .map(|_| sample("avatar_iv", "a", 100, 120))
            .collect();
        let r = report(&many, book.projection());
        assert_eq!(r["features"][0]["suggestions_reliable"], true);
        assert!(!table(&r).contains("a hint"));
        let r = report(&all, book.projection());
        assert!(table(&r).contains("avatar_iv"));
        // Every row's job count ends where the header's JOBS does.
        let text = table(&r);
        let end = text.find("JOBS").map_or(0, |i| i + 4);
        for line in text.lines().skip(1) {
            let b = line.as_bytes();
            assert!(b[end - 1].is_ascii_digit() && b[end] == b' ', "{text}");
        }
    }
}
