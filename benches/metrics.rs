//! What the request path pays for its metrics: one finished request (the
//! request counter and latency histogram) plus the upstream latency, as
//! `proxy::request_log` and `proxy::forward` record them.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

/// The allocator the gateway binary runs with (`src/main.rs`).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
use heygen_gateway::catalog::Family;
use heygen_gateway::metrics::Metrics;

fn request_metrics(c: &mut Criterion) {
    let registry = prometheus::Registry::new();
    let Ok(metrics) = Metrics::register(&registry) else {
        panic!("registering the gateway's metrics on a fresh registry");
    };
    let families: Vec<&'static str> = Family::ALL.iter().map(|f| f.as_str()).collect();
    metrics.declare_request_families(&families);
    let took = Duration::from_micros(420);
    c.bench_function("metrics_free_read", |b| {
        b.iter(|| {
            metrics.upstream(Family::Avatar.as_str(), took);
            metrics.request(Family::Avatar.as_str(), 200, "forwarded", took);
        })
    });
}

criterion_group!(benches, request_metrics);
criterion_main!(benches);
