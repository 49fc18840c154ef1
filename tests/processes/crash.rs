//! The crash: SIGKILL a gateway while billable requests are in flight,
//! restart it on the same ledger and config, and account for every job
//! HeyGen accepted.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use heygen_mock::MockHeygen;

use crate::common::{self, eventually, eventually_async, start_mock, tenant_token};
use crate::harness::{base_config, generate, GatewayProc, Node, GENERATE, HOLD_MICROS};
use crate::ledger_view::{tenant_window, LedgerView};

/// Concurrent clients of the load.
const WORKERS: usize = 16;
/// Successful requests before the kill.
const OK_BEFORE_KILL: usize = 40;
/// Upstream latency, so requests are in flight when the process dies.
const MOCK_LATENCY: Duration = Duration::from_millis(20);
/// Requests sent to the restarted gateway.
const AFTER_RESTART: usize = 5;

/// The jobs HeyGen created for the load.
fn accepted(mock: &MockHeygen) -> BTreeSet<String> {
    mock.jobs()
        .into_iter()
        .filter(|j| j.created_by == GENERATE)
        .map(|j| j.id)
        .collect()
}

/// Loops billable requests on `WORKERS` clients until the gateway stops
/// answering; kills it once `OK_BEFORE_KILL` have succeeded. Returns the hold
/// ids of every 200 seen before the kill.
async fn load_then_kill(mut gw: GatewayProc) -> BTreeSet<String> {
    let base = gw.url("");
    let seen = Arc::new(Mutex::new(BTreeSet::new()));
    let ok = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (base, seen, ok, killed) = (base.clone(), seen.clone(), ok.clone(), killed.clone());
            tokio::spawn(async move {
                while !killed.load(Ordering::SeqCst) {
                    let Ok(r) = generate(&base).await else {
                        // The process is gone (reset or refused).
                        break;
                    };
                    assert_eq!(r.status, 200, "before the kill: {}", r.text());
                    let id = r.header("x-gateway-hold-id").expect("200 without hold id");
                    assert!(
                        seen.lock().unwrap().insert(id.to_string()),
                        "hold {id} twice"
                    );
                    ok.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    // A worker that stopped early (a failed assertion, or the gateway died
    // on its own) ends the wait too; joining it below reports why.
    eventually(
        || ok.load(Ordering::SeqCst) >= OK_BEFORE_KILL || workers.iter().any(|w| w.is_finished()),
        Duration::from_secs(60),
    )
    .await;
    gw.kill();
    killed.store(true, Ordering::SeqCst);
    for w in workers {
        if let Err(e) = w.await {
            panic!("a load worker failed: {e}; gateway log:\n{}", gw.log_text());
        }
    }
    let ok = ok.load(Ordering::SeqCst);
    assert!(
        ok >= OK_BEFORE_KILL,
        "the load stopped after {ok} successes; gateway log:\n{}",
        gw.log_text()
    );
    let seen = seen.lock().unwrap().clone();
    seen
}

async fn crash(store: Option<String>) {
    let mock = start_mock().await;
    mock.set_latency(MOCK_LATENCY);
    let mut node = Node::new(base_config(&mock, store.as_deref()));
    let seen = load_then_kill(node.start().await).await;

    // Restart on the same ledger and config (same ports when still free).
    let gw = node.start().await;
    let view = LedgerView::read(&gw).await;
    let jobs = accepted(&mock);
    let unrecorded = view.assert_accounts_for(&jobs);
    // Nothing lost: every hold a client was told about survived, with its job.
    for h in &seen {
        assert_eq!(
            view.holds.get(h).map(String::as_str),
            Some("submitted"),
            "hold {h}"
        );
        assert_eq!(view.jobs_of.get(h).map(Vec::len), Some(1), "hold {h}");
    }
    // Nothing settled or released yet: every hold is open, and the window
    // counters agree with the rows.
    let open = view.in_state("held").len() + view.in_state("submitted").len();
    assert_eq!(open, view.holds.len(), "{:?}", view.kinds);
    let w = tenant_window(&gw, "alpha", "total").await;
    assert_eq!(w.held, open as i64 * HOLD_MICROS, "{w:?}");
    assert_eq!(w.spent, 0);
    eprintln!(
        "crash: {} ok before the kill, {} holds ({} held, {} submitted), {} jobs upstream, {} unrecorded",
        seen.len(),
        view.holds.len(),
        view.in_state("held").len(),
        view.in_state("submitted").len(),
        jobs.len(),
        unrecorded
    );

    serves_and_settles(&mock, &gw, &view).await;

    // The accounting still holds after the restarted gateway's own work.
    let end = LedgerView::read(&gw).await;
    end.assert_accounts_for(&accepted(&mock));
    for h in view.in_state("held") {
        assert_eq!(
            end.holds[&h], "held",
            "an unsubmitted hold stays open (TTL captures it)"
        );
    }
}

/// The restarted gateway takes new billable work, and settles every recorded
/// job (old and new) from status reads passing through it.
async fn serves_and_settles(mock: &MockHeygen, gw: &GatewayProc, before: &LedgerView) {
    mock.set_latency(Duration::ZERO);
    for _ in 0..AFTER_RESTART {
        let r = generate(&gw.url("")).await.unwrap();
        assert_eq!(r.status, 200, "after restart: {}", r.text());
    }
    let view = LedgerView::read(gw).await;
    let submitted = view.in_state("submitted");
    assert_eq!(
        submitted.len(),
        before.in_state("submitted").len() + AFTER_RESTART
    );
    let spent_before = tenant_window(gw, "alpha", "total").await.spent;

    let token = tenant_token("alpha");
    for hold in &submitted {
        let job = &view.jobs_of[hold][0];
        assert!(mock.complete(job, 10.0), "job {job} unknown to the mock");
        let r = common::send(
            "GET",
            &gw.url(&format!("/v1/video_status.get?video_id={job}")),
            &[("x-api-key", &token)],
            "",
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["data"]["status"], "completed", "{}", r.text());
    }
    // Settlement runs off the response path: wait for every capture.
    let want = &submitted;
    eventually_async(
        || async move {
            let v = LedgerView::read(gw).await;
            want.iter().all(|h| v.holds[h] == "captured")
        },
        Duration::from_secs(30),
    )
    .await;
    let w = tenant_window(gw, "alpha", "total").await;
    // 10 s bills as 30 s: each job captures exactly its 0.5-credit hold.
    assert_eq!(w.spent - spent_before, submitted.len() as i64 * HOLD_MICROS);
    let still_held = LedgerView::read(gw).await.in_state("held").len();
    assert_eq!(w.held, still_held as i64 * HOLD_MICROS, "{w:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_mid_load_on_sqlite_loses_and_doubles_nothing() {
    crash(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_mid_load_on_postgres_loses_and_doubles_nothing() {
    let url = crate::pg::database().await;
    crash(Some(url)).await;
}
