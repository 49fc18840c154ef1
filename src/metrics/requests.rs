//! The per-request families: requests by route family, status class and
//! outcome, and the request and upstream latencies by route family.
//!
//! Every read records three series, on whichever I/O thread serves it.
//! prometheus's own histogram updates a shared count, a bucket, an f64 sum
//! (a compare-and-swap loop) and a second count, and its counter one more
//! atomic, all on cache lines every thread writes: under load those lines
//! move between cores on every read (stop 46's profile: nearly all of
//! `observe`, the largest of the gateway's own items, was those updates).
//! So these three families are a collector of their own: a read adds to
//! its I/O thread's cells (`shards`, picked by `io_slot`) and a scrape
//! sums them. What is exported is what prometheus's vectors exported: series
//! appear on first use, and a declared family's 5xx series exist from the
//! start.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use prometheus::core::{Collector, Desc};
use prometheus::proto::{self, MetricFamily, MetricType};

use super::reg::Reg;
use super::shards::{class_index, Cells, HistSums, Sums, OUTCOMES, STATUS_CLASSES};

/// The collector; `Metrics` keeps one handle and the registry another.
#[derive(Clone)]
pub(super) struct RequestFamilies(Arc<Shared>);

struct Shared {
    /// Requests, request duration, upstream duration.
    descs: [Desc; 3],
    /// Cells per family: one for each core's I/O thread and one that every
    /// other thread shares (`server.io_threads = 0` serves there, as
    /// contended as before). More I/O threads than cores share the last
    /// cells, which is still exact.
    slots: usize,
    /// The route families the server declares, found without a lock.
    declared: OnceLock<Box<[Family]>>,
    /// What the gateway never records (tests do): families that were not
    /// declared and outcomes outside [`OUTCOMES`].
    others: Mutex<Others>,
}

#[derive(Default)]
struct Others {
    families: Vec<Family>,
    /// By family, status class index and outcome.
    outcomes: BTreeMap<(String, usize, String), u64>,
}

struct Family {
    name: Cow<'static, str>,
    /// Its 5xx series are exported from the start.
    declared: bool,
    cells: Box<[Cells]>,
}

impl Family {
    fn new(name: Cow<'static, str>, declared: bool, slots: usize) -> Family {
        let cells = (0..slots.max(1)).map(|_| Cells::default()).collect();
        Family {
            name,
            declared,
            cells,
        }
    }

    fn at(&self, slot: usize) -> &Cells {
        // Not empty (`new`); a slot past the end shares the last cells.
        &self.cells[slot.min(self.cells.len() - 1)]
    }
}

impl RequestFamilies {
    pub(super) fn register(r: &Reg<'_>) -> Result<RequestFamilies, prometheus::Error> {
        let desc = |name: &str, help: &str, labels: &[&str]| {
            let labels = labels.iter().map(|l| l.to_string()).collect();
            Desc::new(name.into(), help.into(), labels, HashMap::new())
        };
        let descs = [
            desc(
                "heygen_gateway_requests_total",
                "Requests by route family, status class and outcome.",
                &["family", "status_class", "outcome"],
            )?,
            desc(
                "heygen_gateway_request_duration_seconds",
                "Time from request received to response headers sent.",
                &["family"],
            )?,
            desc(
                "heygen_gateway_upstream_duration_seconds",
                "Time waiting for HeyGen's response headers.",
                &["family"],
            )?,
        ];
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        r.add(RequestFamilies(Arc::new(Shared {
            descs,
            slots: cores + 1,
            declared: OnceLock::new(),
            others: Mutex::default(),
        })))
    }

    /// Keeps `families` for look-ups without a lock (the first call
    /// decides the set) and exports each one's 5xx series at 0.
    pub(super) fn declare(&self, families: &[&'static str]) {
        let slots = self.0.slots;
        let declared = families.iter();
        let declared = declared.map(|&f| Family::new(Cow::Borrowed(f), true, slots));
        let _ = self.0.declared.set(declared.collect());
    }

    pub(super) fn request(&self, family: &str, status: u16, outcome: &str, elapsed: Duration) {
        let class = class_index(status);
        let known = OUTCOMES.iter().position(|o| *o == outcome);
        self.0.with_cells(family, |cells| {
            if let Some(o) = known {
                cells.count(class * OUTCOMES.len() + o);
            }
            cells.request_duration.observe(elapsed);
        });
        if known.is_none() {
            let key = (family.to_owned(), class, outcome.to_owned());
            *self.0.others().outcomes.entry(key).or_default() += 1;
        }
    }

    pub(super) fn upstream(&self, family: &str, elapsed: Duration) {
        self.0
            .with_cells(family, |cells| cells.upstream_duration.observe(elapsed));
    }
}

impl Shared {
    fn with_cells(&self, family: &str, record: impl FnOnce(&Cells)) {
        let slot = crate::io_slot::current();
        let declared = self
            .declared
            .get()
            .and_then(|d| d.iter().find(|f| f.name == family));
        if let Some(f) = declared {
            return record(f.at(slot));
        }
        let mut others = self.others();
        let families = &mut others.families;
        match families.iter().position(|f| f.name == family) {
            Some(i) => record(families[i].at(slot)),
            None => {
                let f = Family::new(Cow::Owned(family.to_owned()), false, 1);
                record(f.at(slot));
                families.push(f);
            }
        }
    }

    fn others(&self) -> MutexGuard<'_, Others> {
        self.others.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Collector for RequestFamilies {
    fn desc(&self) -> Vec<&Desc> {
        self.0.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let shared = &self.0;
        // By name, so a family recorded before it was declared is one series.
        let mut by_name: BTreeMap<&str, (bool, Sums)> = BTreeMap::new();
        let others = shared.others();
        let declared = shared
            .declared
            .get()
            .map(|d| d.iter())
            .into_iter()
            .flatten();
        for f in declared.chain(&others.families) {
            let (is_declared, sums) = by_name.entry(&f.name).or_default();
            *is_declared |= f.declared;
            f.cells.iter().for_each(|c| sums.add(c));
        }
        let (mut requests, mut request_duration, mut upstream_duration) = Default::default();
        for (name, (is_declared, sums)) in &by_name {
            for (counter, n) in sums.requests.iter().enumerate() {
                let class = STATUS_CLASSES[counter / OUTCOMES.len()];
                let outcome = OUTCOMES[counter % OUTCOMES.len()];
                // The shipped 5xx-rate alert sees a first error as a rise
                // only if the series was there at 0 before it.
                let at_start =
                    *is_declared && class == "5xx" && matches!(outcome, "forwarded" | "error");
                if *n > 0 || at_start {
                    push_counter(&mut requests, name, class, outcome, *n);
                }
            }
            push_histogram(&mut request_duration, name, &sums.request_duration);
            push_histogram(&mut upstream_duration, name, &sums.upstream_duration);
        }
        for ((family, class, outcome), n) in &others.outcomes {
            let class = STATUS_CLASSES.get(*class).copied().unwrap_or("other");
            push_counter(&mut requests, family, class, outcome, *n);
        }
        let [r, rd, ud] = &shared.descs;
        vec![
            family(r, MetricType::COUNTER, requests),
            family(rd, MetricType::HISTOGRAM, request_duration),
            family(ud, MetricType::HISTOGRAM, upstream_duration),
        ]
    }
}

fn push_counter(to: &mut Vec<proto::Metric>, family: &str, class: &str, outcome: &str, n: u64) {
    let mut counter = proto::Counter::default();
    counter.set_value(n as f64);
    let mut m = metric(&[
        ("family", family),
        ("outcome", outcome),
        ("status_class", class),
    ]);
    m.set_counter(counter);
    to.push(m);
}

/// Adds `family`'s histogram once it has an observation (first use).
fn push_histogram(to: &mut Vec<proto::Metric>, family: &str, sums: &HistSums) {
    let count = sums.count();
    if count == 0 {
        return;
    }
    let mut h = proto::Histogram::default();
    h.set_sample_count(count);
    h.set_sample_sum(sums.sum_seconds());
    let buckets = sums.cumulative().map(|(bound, n)| {
        let mut b = proto::Bucket::default();
        b.set_upper_bound(bound);
        b.set_cumulative_count(n);
        b
    });
    h.set_bucket(buckets.collect());
    let mut m = metric(&[("family", family)]);
    m.set_histogram(h);
    to.push(m);
}

/// A metric with `labels`, given in name order (as prometheus sorts them).
fn metric(labels: &[(&str, &str)]) -> proto::Metric {
    let pairs = labels.iter().map(|(name, value)| {
        let mut pair = proto::LabelPair::default();
        pair.set_name((*name).to_owned());
        pair.set_value((*value).to_owned());
        pair
    });
    let mut m = proto::Metric::default();
    m.set_label(pairs.collect());
    m
}

fn family(desc: &Desc, kind: MetricType, metrics: Vec<proto::Metric>) -> MetricFamily {
    let mut f = MetricFamily::default();
    f.set_name(desc.fq_name.clone());
    f.set_help(desc.help.clone());
    f.set_field_type(kind);
    f.set_metric(metrics);
    f
}
