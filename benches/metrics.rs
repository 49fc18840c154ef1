//! What the request path pays for its metrics: one finished request (the
//! request counter and latency histogram) plus the upstream latency, as
//! `proxy::request_log` and `proxy::forward` record them; alone, and while
//! a second I/O thread records the same family (the serving case on more
//! than one core, where shared cells would move between cores).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

/// The allocator the gateway binary runs with (`src/main.rs`).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
use heygen_gateway::catalog::Family;
use heygen_gateway::metrics::Metrics;

fn free_read(metrics: &Metrics, took: Duration) {
    metrics.upstream(Family::Avatar.as_str(), took);
    metrics.request(Family::Avatar.as_str(), 200, "forwarded", took);
}

fn request_metrics(c: &mut Criterion) {
    let registry = prometheus::Registry::new();
    let Ok(metrics) = Metrics::register(&registry) else {
        panic!("registering the gateway's metrics on a fresh registry");
    };
    let families: Vec<&'static str> = Family::ALL.iter().map(|f| f.as_str()).collect();
    metrics.declare_request_families(&families);
    let took = Duration::from_micros(420);
    c.bench_function("metrics_free_read", |b| {
        b.iter(|| free_read(&metrics, took))
    });
    c.bench_function("metrics_free_read_beside_another_thread", |b| {
        b.iter_custom(|iters| {
            let stop = Arc::new(AtomicBool::new(false));
            // Timing starts once the other thread is recording.
            let started = Arc::new(Barrier::new(2));
            let other = {
                let (metrics, stop, started) = (metrics.clone(), stop.clone(), started.clone());
                std::thread::spawn(move || {
                    heygen_gateway::io_slot::pin(2);
                    free_read(&metrics, took);
                    started.wait();
                    while !stop.load(Ordering::Relaxed) {
                        free_read(&metrics, took);
                    }
                })
            };
            heygen_gateway::io_slot::pin(1);
            started.wait();
            let start = Instant::now();
            for _ in 0..iters {
                free_read(&metrics, took);
            }
            let elapsed = start.elapsed();
            stop.store(true, Ordering::Relaxed);
            let _ = other.join();
            heygen_gateway::io_slot::pin(0);
            elapsed
        })
    });
}

criterion_group!(benches, request_metrics);
criterion_main!(benches);
