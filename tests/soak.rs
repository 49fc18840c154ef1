//! Soak (issue 12): the real `heygen-gateway serve` binary as a child
//! process in front of the in-process mock HeyGen, under a mixed workload
//! (reads, billable submissions settled by status reads and by webhooks,
//! idempotent retries, uploads, refusals, injected upstream faults) with a
//! SIGHUP reload every 15 s. Every report interval it samples the gateway's
//! resident memory and open descriptors from /proc and fails on growth past
//! `proc_stats::Bounds`; it fails on any 5xx the workload did not inject, and,
//! when the binary has `ledger verify`, on a failed audit after a clean stop.
//!
//! In `cargo test` it runs ~90 s against the debug binary. `bench/soak.sh
//! [minutes]` runs it for longer against the release binary:
//!   SOAK_SECONDS      total run time (default 90)
//!   SOAK_REPORT_SECONDS  sampling interval (default: 60, at most a third of the run)
//!   SOAK_BIN          the gateway binary (default: the one cargo built for this test)
//!   SOAK_WORKERS      concurrent clients (default 4)
//!   SOAK_TLS=1        HeyGen over HTTPS with HTTP/2, as in production
//! A second test runs the soak over HTTPS for SOAK_HTTPS_SECONDS (default
//! 30), one soak at a time.

// A failed unwrap in a test is a failed assertion.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "soak/gateway.rs"]
mod gateway;
#[path = "soak/proc_stats.rs"]
mod proc_stats;
#[path = "soak/workload.rs"]
mod workload;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{TestConfig, ADMIN_TOKEN};
use heygen_mock::{MockConfig, MockHeygen};

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

/// Alpha may send as fast as the workload does; beta holds less than one
/// video's credit (the 402 refusal). Only the status reads and webhooks
/// settle: the poller waits a day.
fn config(mock: &MockHeygen) -> TestConfig {
    let cfg = TestConfig::for_mock(mock)
        .set("settlement", "poll_min_age_seconds", "86400")
        .tenant_budgets("beta", "daily = 0.1")
        .tenant_limits("beta", "requests_per_minute = 100000000, burst = 1000000");
    config_swap(cfg, 0)
}

/// The config after reload `generation`: alpha's burst alternates so each
/// reload changes something (same temp dir, so the ledger stays).
fn config_swap(cfg: TestConfig, generation: u64) -> TestConfig {
    cfg.tenant_limits(
        "alpha",
        &format!(
            "requests_per_minute = 100000000, burst = {}",
            1_000_000 + generation % 2
        ),
    )
}

/// `heygen_gateway_config_reloads_total{result="success"}` from the admin listener.
async fn reloads_ok(admin_url: &str) -> Option<u64> {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let r = common::try_send(
        "GET",
        admin_url,
        &[("authorization", &auth)],
        common::full(""),
        false,
    )
    .await
    .ok()?;
    r.text()
        .lines()
        .find(|l| l.starts_with(r#"heygen_gateway_config_reloads_total{result="success"}"#))?
        .rsplit(' ')
        .next()?
        .parse()
        .ok()
}

/// One soak at a time: two at once would share the machine's two cores
/// and each other's descriptors in `/proc` samples.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_mixed_workload_keeps_memory_descriptors_and_ledger_sound() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let tls = env_u64("SOAK_TLS", 0) == 1;
    soak(Duration::from_secs(env_u64("SOAK_SECONDS", 90)), tls).await;
}

/// The same, shorter, with HeyGen over HTTPS and HTTP/2 (the production
/// path; the one above reaches a plain-HTTP mock over HTTP/1.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_over_https_keeps_memory_descriptors_and_ledger_sound() {
    let _alone = ONE_AT_A_TIME.lock().await;
    soak(Duration::from_secs(env_u64("SOAK_HTTPS_SECONDS", 30)), true).await;
}

async fn soak(total: Duration, tls: bool) {
    let report = Duration::from_secs(
        env_u64("SOAK_REPORT_SECONDS", 60)
            .min(total.as_secs() / 3)
            .max(1),
    );
    let workers = env_u64("SOAK_WORKERS", 4) as usize;
    let bin = std::env::var_os("SOAK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_heygen-gateway")));
    let bounds = proc_stats::Bounds::DEFAULT;

    let mut mc = MockConfig::new(common::ORG_KEY);
    // Jobs complete at once: the status reads and webhooks settle them.
    mc.auto_complete = Some(10.0);
    if tls {
        mc.tls = Some(common::mock_tls());
    }
    let mock = Arc::new(MockHeygen::start(mc).await.unwrap());
    let (mut gw, mut cfg) = gateway::GatewayProc::spawn(&bin, config(&mock));
    gw.wait_ready().await;
    println!(
        "soak: {} for {total:?}, {workers} workers, report every {report:?}, HeyGen at {}",
        bin.display(),
        mock.url()
    );

    let load = Arc::new(workload::Workload::new(gw.url(""), mock.clone()));
    let start = Instant::now();
    let deadline = tokio::time::Instant::now() + total;
    let tasks: Vec<_> = (0..workers)
        .map(|n| tokio::spawn(load.clone().worker(n, deadline)))
        .collect();

    let reload_every = Duration::from_secs(15);
    let (mut next_reload, mut next_report) = (reload_every, report);
    let (mut reloads, mut baseline, mut samples) = (0u64, None, Vec::new());
    while start.elapsed() < total {
        tokio::time::sleep(Duration::from_millis(250)).await;
        gw.assert_running();
        if start.elapsed() >= next_reload {
            reloads += 1;
            cfg = config_swap(cfg, reloads);
            gw.reload(&cfg);
            next_reload += reload_every;
        }
        if start.elapsed() >= next_report {
            next_report += report;
            let s = proc_stats::sample(gw.pid, start.elapsed()).expect("gateway process vanished");
            println!(
                "soak: t={:>5}s rss={} KiB peak={} KiB fds={} failures={}",
                s.at.as_secs(),
                s.rss_kib,
                s.peak_rss_kib,
                s.fds,
                load.failures.lock().unwrap().len()
            );
            match &baseline {
                None => baseline = Some(s),
                Some(base) => {
                    if let Some(why) = bounds.violation(base, &s) {
                        panic!("soak: {why}");
                    }
                }
            }
            samples.push(s);
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let tally = load.tally.lock().unwrap().clone();
    println!("soak: outcomes (step, status) -> count: {tally:?}");
    let failures = load.failures.lock().unwrap().clone();
    assert!(
        failures.is_empty(),
        "soak failures:\n{}\nlog:\n{}",
        failures.join("\n"),
        gw.log_text()
    );
    // Every kind of step ran (a soak that silently skipped one proves nothing).
    for step in [
        workload::Step::Read,
        workload::Step::SubmitSettleByStatus,
        workload::Step::SubmitSettleByWebhook,
        workload::Step::IdempotentRetry,
        workload::Step::Upload,
        workload::Step::Refusal,
        workload::Step::InjectedFault,
    ] {
        assert!(tally.keys().any(|(s, _)| *s == step), "{step:?} never ran");
    }
    // Every job was settled (status reads, webhooks): no hold outlives its
    // job, and what was spent is on the books. Webhook settlement runs in
    // the background, so the last ones may need a moment.
    let mut usage = load.alpha_usage().await;
    for _ in 0..100 {
        if matches!(usage, Ok((0, _))) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        usage = load.alpha_usage().await;
    }
    let (held, spent) = usage.unwrap();
    println!("soak: alpha held {held} µcr, spent {spent} µcr");
    assert_eq!(held, 0, "holds left open after every job settled");
    assert!(spent > 0, "nothing settled");
    // The SIGHUPs were reloads that took, not no-ops. The last may have
    // been sent as the run ended, and a signal is handled asynchronously:
    // give it a moment (a busy machine delays it).
    let mut ok = reloads_ok(&gw.admin_url("/metrics")).await;
    for _ in 0..100 {
        if reloads == 0 || ok >= Some(reloads) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        ok = reloads_ok(&gw.admin_url("/metrics")).await;
    }
    assert!(
        reloads == 0 || ok >= Some(reloads),
        "{reloads} SIGHUPs, {ok:?} successful reloads"
    );
    assert!(
        samples.len() >= 2 || total < report * 2,
        "too few samples: {samples:?}"
    );

    gw.stop();
    match gateway::ledger_verify(&bin, &gw.config_path) {
        None => println!(
            "soak: `heygen-gateway ledger verify` not available in this binary; audit skipped"
        ),
        Some(Ok(out)) => println!("soak: ledger verify passed\n{out}"),
        Some(Err(out)) => panic!("soak: ledger verify failed:\n{out}"),
    }
    drop(cfg);
}
