//! Hold throughput and latency per backend: holds per second and p50/p99
//! latency of `Ledger::hold`, sequentially and with concurrent callers.
//!
//! `cargo bench --bench ledger [-- --holds N]`. Each hold is a real
//! budget-checked, durable hold (tenant and org budgets configured, eight
//! counter rows, hold row, journal row). SQLite uses `synchronous=FULL`
//! on a temp dir; PostgreSQL runs on a server started by
//! `tests/common/pg.rs`, once with fsync on (durable, comparable) and once
//! with fsync off (what the test suite uses), and with fsync on as two
//! replicas (two ledgers, own pools) sharing one database.

#[path = "../tests/common/pg.rs"]
mod pg;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use heygen_gateway::config::Budgets;
use heygen_gateway::ledger::{HoldDecision, HoldRequest, Ledger, PostgresLedger, SqliteLedger};
use heygen_gateway::money::MICROS_PER_CREDIT;

const CONCURRENCY: [usize; 3] = [1, 8, 64];

fn request(i: usize) -> HoldRequest {
    let now = Utc::now();
    let big = Some(1_000_000_000 * MICROS_PER_CREDIT);
    HoldRequest {
        tenant: format!("tenant-{}", i % 8),
        feature: "avatar_video".into(),
        route: "POST /v2/video/generate".into(),
        amount: MICROS_PER_CREDIT,
        price_version: "bench".into(),
        request_id: format!("bench-{i}"),
        tz: chrono_tz::UTC,
        now,
        expires_at: now + chrono::Duration::hours(48),
        tenant_budgets: Budgets {
            daily: big,
            monthly: big,
            ..Budgets::default()
        },
        org_budgets: Budgets {
            monthly: big,
            ..Budgets::default()
        },
        tenant_shadow: false,
        org_shadow: false,
        // Render caps are exercised by the suite; here open holds are never
        // settled, so counting them would measure an unrealistic backlog.
        render: false,
        render_lease: std::time::Duration::ZERO,
        tenant_render_cap: None,
        org_render_cap: None,
        session_cap: None,
        idem: None,
        contact_project: None,
    }
}

/// Runs `n` holds with `concurrency` callers spread round robin over the
/// replicas; returns (holds/s, p50, p99).
async fn run(
    replicas: &[Arc<dyn Ledger>],
    n: usize,
    concurrency: usize,
) -> (f64, Duration, Duration) {
    let start = Instant::now();
    let per_worker = n / concurrency;
    let mut workers = Vec::with_capacity(concurrency);
    for w in 0..concurrency {
        let l = replicas[w % replicas.len()].clone();
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per_worker);
            for i in 0..per_worker {
                let r = request(w * per_worker + i);
                let t = Instant::now();
                match l.hold(r).await {
                    Ok(HoldDecision::Held { .. }) => lat.push(t.elapsed()),
                    other => panic!("hold failed: {other:?}"),
                }
            }
            lat
        }));
    }
    let mut all = Vec::with_capacity(n);
    for w in workers {
        match w.await {
            Ok(lat) => all.extend(lat),
            Err(e) => panic!("worker: {e}"),
        }
    }
    let elapsed = start.elapsed();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    (
        all.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
    )
}

async fn bench(name: &str, replicas: &[Arc<dyn Ledger>], n: usize) {
    // Warm up: statement caches, counter rows, pool connections.
    run(replicas, 64, 8).await;
    for c in CONCURRENCY {
        let (rate, p50, p99) = run(replicas, n, c).await;
        println!(
            "{name:<22} concurrency {c:>3}: {rate:>8.0} holds/s  p50 {:>7.2} ms  p99 {:>7.2} ms",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
    }
}

fn holds_from_args() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--holds")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(2048)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n = holds_from_args();
    println!("{n} holds per run (8 tenants, tenant and org budgets configured)");
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("temp dir: {e}"),
    };
    match SqliteLedger::open(&dir.path().join("bench.db")).await {
        Ok(l) => bench("sqlite (FULL sync)", &[Arc::new(l)], n).await,
        Err(e) => panic!("sqlite: {e}"),
    }
    for durable in [true, false] {
        let server = pg::PgServer::start_with(durable);
        let url = server.create_database();
        let name = if durable {
            "postgres (fsync on)"
        } else {
            "postgres (fsync off)"
        };
        bench(name, &[replica(&url).await], n).await;
        if durable {
            // Two replicas on one database: their batches contend for the
            // same org counter rows, as two gateway processes would.
            let two = [replica(&url).await, replica(&url).await];
            bench("postgres ×2 replicas", &two, n).await;
        }
    }
}

async fn replica(url: &str) -> Arc<dyn Ledger> {
    match PostgresLedger::connect(url, 16).await {
        Ok(l) => Arc::new(l),
        Err(e) => panic!("postgres: {e}"),
    }
}
