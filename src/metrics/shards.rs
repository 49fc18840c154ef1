//! The request families' storage: one block of cells per route family and
//! thread slot, written with relaxed atomics no other core writes, summed when
//! scraped (`requests` turns the sums into Prometheus families).
//!
//! A bucket is chosen by comparing whole nanoseconds with the bounds
//! (where prometheus's `v <= bound` in seconds puts every value up to 60 s
//! too), and the sum is kept as prometheus keeps it, f64 seconds, which
//! never wrap (nanoseconds in a `u64` would, after 584 years of latency:
//! weeks for a busy family of long uploads). Its compare-and-swap loop
//! now runs on a line no other core writes. A scrape reads each cell
//! once: the count is the buckets' total, so buckets and count always
//! agree; the sum may be ahead or behind them by an observation landing
//! between the reads (prometheus swaps hot and cold shards to avoid
//! that; a mean off by one observation for one scrape is not worth it).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use super::LATENCY_BUCKETS;

/// `status_class` label values, indexed by [`class_index`].
pub(super) const STATUS_CLASSES: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"];

/// The `outcome` values the request path records (`proxy::context`).
pub(super) const OUTCOMES: [&str; 5] = ["forwarded", "replayed", "rejected", "error", "abandoned"];

/// Request counters per family: by `class * OUTCOMES.len() + outcome`.
pub(super) const COUNTERS: usize = STATUS_CLASSES.len() * OUTCOMES.len();

const BOUNDS: usize = LATENCY_BUCKETS.len();

/// The finite bucket bounds in nanoseconds; one more bucket holds the rest.
const BOUNDS_NS: [u64; BOUNDS] = {
    let mut out = [0; BOUNDS];
    let mut i = 0;
    while i < BOUNDS {
        out[i] = (LATENCY_BUCKETS[i] * 1e9 + 0.5) as u64;
        i += 1;
    }
    out
};

/// One route family's series as one thread slot writes them. Aligned so
/// that no two slots share a cache line (128 bytes: adjacent-line
/// prefetching pairs lines on x86).
#[repr(align(128))]
#[derive(Default)]
pub(super) struct Cells {
    requests: [AtomicU64; COUNTERS],
    pub(super) request_duration: Hist,
    pub(super) upstream_duration: Hist,
}

impl Cells {
    pub(super) fn count(&self, counter: usize) {
        if let Some(c) = self.requests.get(counter) {
            c.fetch_add(1, Relaxed);
        }
    }
}

#[derive(Default)]
pub(super) struct Hist {
    buckets: [AtomicU64; BOUNDS + 1],
    /// f64 seconds, as bits.
    sum: AtomicU64,
}

impl Hist {
    pub(super) fn observe(&self, elapsed: Duration) {
        let ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let i = BOUNDS_NS.iter().position(|b| ns <= *b).unwrap_or(BOUNDS);
        if let Some(b) = self.buckets.get(i) {
            b.fetch_add(1, Relaxed);
        }
        let add = |bits| Some((f64::from_bits(bits) + elapsed.as_secs_f64()).to_bits());
        // Never `Err`: the closure always gives a value.
        let _ = self.sum.fetch_update(Relaxed, Relaxed, add);
    }
}

/// A family's cells summed over its slots.
#[derive(Default)]
pub(super) struct Sums {
    pub(super) requests: [u64; COUNTERS],
    pub(super) request_duration: HistSums,
    pub(super) upstream_duration: HistSums,
}

#[derive(Default)]
pub(super) struct HistSums {
    buckets: [u64; BOUNDS + 1],
    sum: f64,
}

impl Sums {
    pub(super) fn add(&mut self, cells: &Cells) {
        for (sum, c) in self.requests.iter_mut().zip(&cells.requests) {
            *sum = sum.wrapping_add(c.load(Relaxed));
        }
        self.request_duration.add(&cells.request_duration);
        self.upstream_duration.add(&cells.upstream_duration);
    }
}

impl HistSums {
    fn add(&mut self, hist: &Hist) {
        for (sum, b) in self.buckets.iter_mut().zip(&hist.buckets) {
            *sum = sum.wrapping_add(b.load(Relaxed));
        }
        self.sum += f64::from_bits(hist.sum.load(Relaxed));
    }

    pub(super) fn count(&self) -> u64 {
        self.buckets.iter().fold(0, |n, b| n.wrapping_add(*b))
    }

    pub(super) fn sum_seconds(&self) -> f64 {
        self.sum
    }

    /// `(upper bound in seconds, cumulative count)` of each finite bucket.
    pub(super) fn cumulative(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        let mut running = 0u64;
        LATENCY_BUCKETS
            .iter()
            .zip(&self.buckets)
            .map(move |(bound, n)| {
                running = running.wrapping_add(*n);
                (*bound, running)
            })
    }
}

/// Index into [`STATUS_CLASSES`]; anything outside 100..=599 is `other`.
pub(super) fn class_index(status: u16) -> usize {
    match status / 100 {
        n @ 1..=5 => usize::from(n - 1),
        _ => STATUS_CLASSES.len() - 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value on a bound counts in that bound's bucket (`le`), as in
    /// prometheus; one nanosecond more counts in the next.
    #[test]
    fn bounds_are_inclusive_to_the_nanosecond() {
        assert_eq!(BOUNDS_NS[0], 1_000_000);
        assert_eq!(BOUNDS_NS[1], 2_500_000);
        let h = Hist::default();
        h.observe(Duration::from_micros(2500));
        h.observe(Duration::from_nanos(2_500_001));
        h.observe(Duration::from_secs(61));
        let mut sums = HistSums::default();
        sums.add(&h);
        let cumulative: Vec<(f64, u64)> = sums.cumulative().take(3).collect();
        assert_eq!(cumulative, [(0.001, 0), (0.0025, 1), (0.005, 2)]);
        assert_eq!(sums.cumulative().last(), Some((60.0, 2)));
        assert_eq!(sums.count(), 3);
        assert!((sums.sum_seconds() - 61.005_000_001).abs() < 1e-9);
    }

    #[test]
    fn status_classes() {
        assert_eq!(class_index(101), 0);
        assert_eq!(class_index(599), 4);
        assert_eq!(class_index(999), 5);
        assert_eq!(class_index(42), 5);
    }
}
