//! PostgreSQL stopped and started again under load (issue 12, chaos): a
//! gateway process on its own PostgreSQL server takes billable POSTs and
//! free reads from several clients while the test stops the server
//! (`pg_ctl stop -m fast`), keeps sending for a few seconds, and starts it
//! again on the same port.
//!
//! Promised, and checked here: a costed request sent while the ledger is
//! down gets 503 in HeyGen's envelope (`ledger_unavailable`), no other
//! status; free reads keep passing; nothing reaches HeyGen without a hold;
//! the same process admits again within [`RECOVERY_BOUND`] of the restart;
//! and the ledger audit passes afterwards — no hold lost or doubled.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use heygen_mock::MockHeygen;
use tokio::time::Instant;

use crate::common::{self, full, tenant_token, TestResponse};
use crate::harness::{admin_get, base_config, generate, GatewayProc, Node, GENERATE};
use crate::ledger_view::LedgerView;

/// Clients sending billable requests, and clients sending free reads.
const COSTED_WORKERS: usize = 6;
const READ_WORKERS: usize = 2;
/// How long the ledger stays down while the load goes on.
const OUTAGE: Duration = Duration::from_secs(3);
/// The restarted ledger admits again within this (pool reconnects included).
const RECOVERY_BOUND: Duration = Duration::from_secs(10);
/// A free read the gateway forwards without asking the ledger.
const FREE_READ: &str = "/v2/video_translate/target_languages";

/// Where the ledger was when a request was sent.
const UP: u8 = 0;
const STOPPING: u8 = 1;
const DOWN: u8 = 2;
const RESTARTED: u8 = 3;

/// One answer, with the ledger's phase when the request left.
#[derive(Debug, Clone)]
struct Sent {
    phase: u8,
    at: Instant,
    costed: bool,
    status: u16,
    /// `error.code` of a gateway refusal in HeyGen's envelope.
    code: Option<String>,
    rejected: Option<String>,
    hold: Option<String>,
    body: String,
}

impl Sent {
    fn of(phase: u8, at: Instant, costed: bool, r: &TestResponse) -> Sent {
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        let code = body["error"]["code"]
            .as_str()
            .or_else(|| body["error_code"].as_str())
            .map(str::to_string);
        Sent {
            phase,
            at,
            costed,
            status: r.status.as_u16(),
            code,
            rejected: r.header("x-gateway-rejected").map(str::to_string),
            hold: r.header("x-gateway-hold-id").map(str::to_string),
            body: r.text(),
        }
    }
}

async fn free_read(base: &str) -> Result<TestResponse, String> {
    let token = tenant_token("alpha");
    let url = format!("{base}{FREE_READ}");
    common::try_send("GET", &url, &[("x-api-key", &token)], full(""), false).await
}

/// Runs the load until `stop`; every answer goes to `log`.
fn spawn_load(
    gw: &GatewayProc,
    phase: &Arc<AtomicU8>,
    stop: &Arc<AtomicBool>,
    log: &Arc<Mutex<Vec<Sent>>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..COSTED_WORKERS + READ_WORKERS)
        .map(|i| {
            let costed = i < COSTED_WORKERS;
            let (base, phase, stop, log) = (gw.url(""), phase.clone(), stop.clone(), log.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let (p, at) = (phase.load(Ordering::SeqCst), Instant::now());
                    let r = if costed {
                        generate(&base).await
                    } else {
                        free_read(&base).await
                    };
                    let r = r.unwrap_or_else(|e| panic!("transport failure (phase {p}): {e}"));
                    log.lock().unwrap().push(Sent::of(p, at, costed, &r));
                    // Refusals come back at once; keep the loop from spinning.
                    if r.status != 200 {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            })
        })
        .collect()
}

/// The jobs HeyGen created for the load.
fn accepted(mock: &MockHeygen) -> BTreeSet<String> {
    mock.jobs()
        .into_iter()
        .filter(|j| j.created_by == GENERATE)
        .map(|j| j.id)
        .collect()
}

fn count(log: &[Sent], f: impl Fn(&Sent) -> bool) -> usize {
    log.iter().filter(|s| f(s)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_stopped_and_restarted_under_load_refuses_then_recovers_without_restart() {
    let (server, url) = crate::pg::own_database().await;
    let mock = common::start_mock().await;
    let cfg = base_config(&mock, Some(&url)).set("store", "pool_size", "4");
    let mut node = Node::new(cfg);
    let gw = crate::start(&mut node, None).await;

    let phase = Arc::new(AtomicU8::new(UP));
    let stop = Arc::new(AtomicBool::new(false));
    let log = Arc::new(Mutex::new(Vec::new()));
    let workers = spawn_load(&gw, &phase, &stop, &log);
    let oks = || count(&log.lock().unwrap(), |s| s.costed && s.status == 200);
    common::eventually(|| oks() >= 20, Duration::from_secs(20)).await;

    phase.store(STOPPING, Ordering::SeqCst);
    let s = server.clone();
    tokio::task::spawn_blocking(move || s.stop()).await.unwrap();
    phase.store(DOWN, Ordering::SeqCst);
    tokio::time::sleep(OUTAGE).await;
    let s = server.clone();
    let restarted_at = Instant::now();
    phase.store(RESTARTED, Ordering::SeqCst);
    tokio::task::spawn_blocking(move || s.restart())
        .await
        .unwrap();

    // Recovery by itself: a billable request sent after the restart succeeds.
    let recovered = || {
        log.lock()
            .unwrap()
            .iter()
            .any(|s| s.costed && s.phase == RESTARTED && s.status == 200)
    };
    let waited = tokio::time::timeout(RECOVERY_BOUND + Duration::from_secs(5), async {
        while !recovered() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    // A little more load on the recovered ledger before stopping.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        if let Err(e) = w.await {
            panic!("a load worker failed: {e}; gateway log:\n{}", gw.log_text());
        }
    }
    let log = log.lock().unwrap().clone();
    assert!(
        waited.is_ok(),
        "no billable request succeeded after PostgreSQL came back; gateway log:\n{}",
        gw.log_text()
    );
    let first_ok = log
        .iter()
        .filter(|s| s.costed && s.phase == RESTARTED && s.status == 200)
        .map(|s| s.at)
        .min()
        .unwrap();
    let recovery = first_ok.saturating_duration_since(restarted_at);
    assert!(
        recovery <= RECOVERY_BOUND,
        "recovered only after {recovery:?}"
    );

    // Every answer: 200, or the gateway's 503 in HeyGen's envelope.
    for s in &log {
        let refused = s.status == 503
            && s.code.as_deref() == Some("service_unavailable")
            && s.rejected.as_deref() == Some("ledger_unavailable");
        assert!(
            s.status == 200 || (s.costed && refused),
            "unexpected answer {s:?}: {}",
            s.body
        );
    }
    // Sent while the ledger was down: refused, every one, and never forwarded.
    let down = count(&log, |s| s.costed && s.phase == DOWN);
    let down_ok = count(&log, |s| s.costed && s.phase == DOWN && s.status == 200);
    assert!(
        down >= 10,
        "only {down} billable requests during the outage"
    );
    assert_eq!(down_ok, 0, "a billable request passed with the ledger down");
    // Free reads passed throughout, the outage included.
    let reads_down = count(&log, |s| !s.costed && s.phase == DOWN);
    assert!(reads_down >= 5, "only {reads_down} reads during the outage");

    // Nothing forwarded without a hold, nothing held twice.
    let view = LedgerView::read(&gw).await;
    let jobs = accepted(&mock);
    let unrecorded = view.assert_accounts_for(&jobs);
    let forwarded = mock.requests_to(GENERATE).len();
    assert!(
        forwarded <= view.holds.len(),
        "{forwarded} requests reached HeyGen but the ledger has {} holds",
        view.holds.len()
    );
    let mut told = BTreeSet::new();
    for s in log.iter().filter(|s| s.costed && s.status == 200) {
        let h = s.hold.clone().expect("a 200 names its hold");
        assert!(told.insert(h.clone()), "hold {h} answered twice");
        assert!(view.holds.contains_key(&h), "hold {h} lost");
    }
    let audit = admin_get(&gw, "/admin/v1/ledger/verify").await.json();
    assert_eq!(audit["ok"], true, "the ledger audit fails: {audit}");
    eprintln!(
        "pg outage: {} answers; {down} billable sent while down (all 503), {reads_down} reads; \
         recovered {recovery:?} after the restart; {} holds, {forwarded} forwarded, {unrecorded} unrecorded",
        log.len(),
        view.holds.len(),
    );
}

/// HeyGen accepts a render, PostgreSQL stops before the gateway records
/// the job, and starts again: the client has its 200 at once, and the
/// record is retried until it lands, so the job is the tenant's (not an
/// orphan settled at its projection when the hold expires).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_postgres_missed_is_recorded_once_it_is_back() {
    let (server, url) = crate::pg::own_database().await;
    let mock = common::start_mock().await;
    let mut node = Node::new(base_config(&mock, Some(&url)));
    let gw = crate::start(&mut node, None).await;
    mock.on_path(GENERATE)
        .delay_answers(Duration::from_millis(1500));
    let base = gw.url("");
    let render = tokio::spawn(async move { generate(&base).await });
    common::eventually(
        || !mock.requests_to(GENERATE).is_empty(),
        Duration::from_secs(10),
    )
    .await;
    let s = server.clone();
    tokio::task::spawn_blocking(move || s.stop()).await.unwrap();
    let r = render.await.unwrap().unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let hold = r.header("x-gateway-hold-id").expect("hold id").to_string();
    let s = server.clone();
    tokio::task::spawn_blocking(move || s.restart())
        .await
        .unwrap();
    let jobs = accepted(&mock);
    assert_eq!(jobs.len(), 1);
    let mut view = LedgerView::read(&gw).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while view.holds.get(&hold).map(String::as_str) != Some("submitted") {
        assert!(
            Instant::now() < deadline,
            "never recorded: {view:?}\n{}",
            gw.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        view = LedgerView::read(&gw).await;
    }
    assert_eq!(view.assert_accounts_for(&jobs), 0);
    let log = gw.log_text();
    assert!(
        log.contains("HeyGen created the job but the ledger did not record it")
            && log.contains(&hold),
        "{log}"
    );
}
