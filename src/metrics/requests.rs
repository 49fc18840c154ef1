//! The per-request families: requests by route family, status class and
//! outcome, and the request and upstream latencies by route family.
//!
//! Every request records three series, so the handles of each declared
//! route family are kept once resolved: `with_label_values` hashes each
//! label value, takes the vector's lock and clones the series on every
//! call, where a declared family costs a short scan of the family names
//! and one atomic load. Labels outside the declared set (none in the
//! gateway, some in tests) take the vector's own path; either way the
//! exported series are the same and appear on first use, as before.

use std::sync::OnceLock;
use std::time::Duration;

use prometheus::{Histogram, HistogramVec, IntCounter, IntCounterVec};

use super::reg::Reg;

/// `status_class` label values, indexed by [`class_index`].
const STATUS_CLASSES: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"];

/// The `outcome` values the request path records (`proxy::context`).
const OUTCOMES: [&str; 4] = ["forwarded", "replayed", "rejected", "error"];

pub(super) struct RequestFamilies {
    requests: IntCounterVec,
    request_duration: HistogramVec,
    upstream_duration: HistogramVec,
    /// Resolved handles, one entry per declared route family.
    declared: OnceLock<Box<[Resolved]>>,
}

/// One route family's series, each created on first use.
struct Resolved {
    family: &'static str,
    /// By `class_index * OUTCOMES.len() + outcome index`.
    requests: [OnceLock<IntCounter>; STATUS_CLASSES.len() * OUTCOMES.len()],
    request_duration: OnceLock<Histogram>,
    upstream_duration: OnceLock<Histogram>,
}

impl RequestFamilies {
    pub(super) fn register(r: &Reg<'_>) -> Result<RequestFamilies, prometheus::Error> {
        Ok(RequestFamilies {
            requests: r.int_counter(
                "heygen_gateway_requests_total",
                "Requests by route family, status class and outcome.",
                &["family", "status_class", "outcome"],
            )?,
            request_duration: r.histogram(
                "heygen_gateway_request_duration_seconds",
                "Time from request received to response headers sent.",
            )?,
            upstream_duration: r.histogram(
                "heygen_gateway_upstream_duration_seconds",
                "Time waiting for HeyGen's response headers.",
            )?,
            declared: OnceLock::new(),
        })
    }

    /// Keeps `families` for resolved look-ups (the first call decides the
    /// set) and creates each one's 5xx series at 0.
    pub(super) fn declare(&self, families: &[&'static str]) {
        let _ = self.declared.set(
            families
                .iter()
                .map(|&family| Resolved {
                    family,
                    requests: Default::default(),
                    request_duration: OnceLock::new(),
                    upstream_duration: OnceLock::new(),
                })
                .collect(),
        );
        for family in families {
            for outcome in ["forwarded", "error"] {
                self.count(self.resolved(family), family, class_index(500), outcome, 0);
            }
        }
    }

    pub(super) fn request(&self, family: &str, status: u16, outcome: &str, elapsed: Duration) {
        let resolved = self.resolved(family);
        self.count(resolved, family, class_index(status), outcome, 1);
        let slot = resolved.map(|r| &r.request_duration);
        observe(&self.request_duration, slot, family, elapsed);
    }

    pub(super) fn upstream(&self, family: &str, elapsed: Duration) {
        let slot = self.resolved(family).map(|r| &r.upstream_duration);
        observe(&self.upstream_duration, slot, family, elapsed);
    }

    /// Adds `n` to the request series (0 creates it).
    fn count(
        &self,
        resolved: Option<&Resolved>,
        family: &str,
        class: usize,
        outcome: &str,
        n: u64,
    ) {
        let slot = resolved.and_then(|r| {
            let o = OUTCOMES.iter().position(|o| *o == outcome)?;
            r.requests.get(class * OUTCOMES.len() + o)
        });
        let make = || {
            let class = STATUS_CLASSES.get(class).copied().unwrap_or("other");
            self.requests.with_label_values(&[family, class, outcome])
        };
        match slot {
            Some(slot) => slot.get_or_init(make).inc_by(n),
            None => make().inc_by(n),
        }
    }

    fn resolved(&self, family: &str) -> Option<&Resolved> {
        self.declared.get()?.iter().find(|r| r.family == family)
    }
}

fn observe(
    vec: &HistogramVec,
    slot: Option<&OnceLock<Histogram>>,
    family: &str,
    elapsed: Duration,
) {
    let make = || vec.with_label_values(&[family]);
    match slot {
        Some(slot) => slot.get_or_init(make).observe(elapsed.as_secs_f64()),
        None => make().observe(elapsed.as_secs_f64()),
    }
}

/// Index into [`STATUS_CLASSES`]; anything outside 100..=599 is `other`.
fn class_index(status: u16) -> usize {
    match status / 100 {
        n @ 1..=5 => usize::from(n - 1),
        _ => STATUS_CLASSES.len() - 1,
    }
}
